import { describe as suite, expect, it } from 'vitest';
import { reconcile } from '../../src/core/reconcile.js';
import type { Conflict, Plan, Skip } from '../../src/core/plan.js';
import type { ConflictPolicy, Mode } from '../../src/core/vocabulary.js';
import {
  baselineOf, describe, fileEntry, generationInMemory, reconcileAsEngine, swapSides, tree, type TreeSpec,
} from './support.js';

const STAMP = '20261122T101500Z';
const OLD = '20200101T000000Z'; // the timestamp of conflict copies made by an earlier generation

/**
 * One row per situation of SPEC §2.1–§2.3, in plain English, with the whole
 * plan each mode must produce: actions, conflicts (with the copy each one
 * names), skips, forgotten and held paths. Every file's content and mtime are
 * given independently (support.ts), and reconcile runs as the engine runs it:
 * `filesToHash` picks the files to hash and only those carry a hash, so a
 * comparison that `filesToHash` forgot shows up as a wrong plan.
 *
 * Bidirectional rows also run as their mirror image — sides swapped, the
 * `source` and `target` policies swapped, and `source`/`target` in path names
 * swapped — unless the row depends on a tie going to the source.
 *
 * After each plan is applied (in memory), a second generation must plan
 * nothing and find no new conflict: held (`manual`) conflicts stay open.
 */
interface Row {
  does: string;
  policy?: ConflictPolicy;
  baseline?: TreeSpec;
  source: TreeSpec;
  target: TreeSpec;
  /** Expected actions per mode; a mode left out is not run for this row. */
  expect: Partial<Record<Mode, string[]>>;
  /** Conflicts as `kind path resolution [=> copy]`, per mode (default: none). */
  conflicts?: Partial<Record<Mode, string[]>>;
  /** Skips as `side path: reason`, per mode (default: none). */
  skips?: Partial<Record<Mode, string[]>>;
  forget?: string[];
  hold?: string[];
  symmetric?: false;
}

const ALL = (actions: string[]) => ({ mirror: actions, bidirectional: actions, selective: actions });
const BI = (actions: string[]) => ({ bidirectional: actions });
const copyName = (stem: string, side: 'source' | 'target', ext = '.txt', stamp = STAMP) => `${stem}.conflict-${side}-${stamp}${ext}`;

// ------------------------------------------------------------ the four conflict kinds of SPEC §2.1, as scenarios

/** both_modified: both sides edited the file since the baseline, to different content (and sizes). */
const BOTH_MODIFIED = {
  baseline: { 'a.txt': ['v1', 10] }, source: { 'a.txt': ['source edit', 20] }, target: { 'a.txt': ['target edit!', 30] },
} satisfies Pick<Row, 'baseline' | 'source' | 'target'>;
/** first_sync_differs: never synced, a file on both sides with different content. */
const FIRST_SYNC = {
  source: { 'a.md': ['A from source', 20] }, target: { 'a.md': ['A from target!', 30] },
} satisfies Pick<Row, 'baseline' | 'source' | 'target'>;
/** modify_delete: the source deleted the file, the target edited it. */
const MODIFY_DELETE = {
  baseline: { 'a.txt': ['v1', 10], 'k.txt': 'k' }, source: { 'k.txt': 'k' }, target: { 'a.txt': ['v2', 20], 'k.txt': 'k' },
} satisfies Pick<Row, 'baseline' | 'source' | 'target'>;
/** type_change: the source turned file d into a directory, the target edited the file d. */
const TYPE_CHANGE = {
  baseline: { 'd': ['file', 10], 'k.txt': 'k' }, source: { 'd/n.txt': ['new', 20], 'k.txt': 'k' }, target: { 'd': ['file edited', 30], 'k.txt': 'k' },
} satisfies Pick<Row, 'baseline' | 'source' | 'target'>;
/** type_change: the source replaced directory d by a file, the target edited a file inside d. */
const REPLACED_DIR = {
  baseline: { 'd/x.txt': ['x', 10], 'k.txt': 'k' }, source: { 'd': ['now a file', 30], 'k.txt': 'k' }, target: { 'd/x.txt': ['x edited', 20], 'k.txt': 'k' },
} satisfies Pick<Row, 'baseline' | 'source' | 'target'>;

const policyRows: Row[] = [
  // both_modified
  {
    does: 'keep-both, both_modified: the newer (target) stays at the path, the source version is saved on both sides',
    policy: 'keep-both', ...BOTH_MODIFIED,
    expect: BI([`conflict_copy source a.txt => ${copyName('a', 'source')} [source,target]`, 'copy target>source a.txt']),
    conflicts: { bidirectional: [`both_modified a.txt kept_both => ${copyName('a', 'source')}`] },
  },
  {
    does: 'newer, both_modified: the newer version wins, no copy',
    policy: 'newer', ...BOTH_MODIFIED,
    expect: BI(['copy target>source a.txt']),
    conflicts: { bidirectional: ['both_modified a.txt accepted_target'] },
  },
  {
    does: 'source, both_modified: the source wins though it is older, no copy',
    policy: 'source', ...BOTH_MODIFIED,
    expect: BI(['copy source>target a.txt']),
    conflicts: { bidirectional: ['both_modified a.txt accepted_source'] },
  },
  {
    does: 'target, both_modified: the target wins, no copy',
    policy: 'target', ...BOTH_MODIFIED,
    expect: BI(['copy target>source a.txt']),
    conflicts: { bidirectional: ['both_modified a.txt accepted_target'] },
  },
  {
    does: 'manual, both_modified: nothing changes at the path, it is held and stays open',
    policy: 'manual', ...BOTH_MODIFIED,
    expect: BI([]),
    conflicts: { bidirectional: ['both_modified a.txt unresolved'] },
    hold: ['a.txt'],
  },
  // first_sync_differs
  {
    does: 'keep-both, first_sync_differs: the newer stays, the other is saved on both sides',
    policy: 'keep-both', ...FIRST_SYNC,
    expect: BI([`conflict_copy source a.md => ${copyName('a', 'source', '.md')} [source,target]`, 'copy target>source a.md']),
    conflicts: { bidirectional: [`first_sync_differs a.md kept_both => ${copyName('a', 'source', '.md')}`] },
  },
  {
    does: 'newer, first_sync_differs: the newer wins, no copy',
    policy: 'newer', ...FIRST_SYNC,
    expect: BI(['copy target>source a.md']),
    conflicts: { bidirectional: ['first_sync_differs a.md accepted_target'] },
  },
  {
    does: 'source, first_sync_differs: the source wins, no copy',
    policy: 'source', ...FIRST_SYNC,
    expect: BI(['copy source>target a.md']),
    conflicts: { bidirectional: ['first_sync_differs a.md accepted_source'] },
  },
  {
    does: 'target, first_sync_differs: the target wins, no copy',
    policy: 'target', ...FIRST_SYNC,
    expect: BI(['copy target>source a.md']),
    conflicts: { bidirectional: ['first_sync_differs a.md accepted_target'] },
  },
  {
    does: 'manual, first_sync_differs: both versions stay where they are, held',
    policy: 'manual', ...FIRST_SYNC,
    expect: BI([]),
    conflicts: { bidirectional: ['first_sync_differs a.md unresolved'] },
    hold: ['a.md'],
  },
  // modify_delete
  {
    does: 'keep-both, modify_delete: the modification wins and is restored on the deleting side',
    policy: 'keep-both', ...MODIFY_DELETE,
    expect: BI(['copy target>source a.txt']),
    conflicts: { bidirectional: ['modify_delete a.txt kept_both'] },
  },
  {
    does: 'newer, modify_delete: the modification wins',
    policy: 'newer', ...MODIFY_DELETE,
    expect: BI(['copy target>source a.txt']),
    conflicts: { bidirectional: ['modify_delete a.txt accepted_target'] },
  },
  {
    does: 'source, modify_delete (the source deleted): the deletion wins',
    policy: 'source', ...MODIFY_DELETE,
    expect: BI(['delete target a.txt']),
    conflicts: { bidirectional: ['modify_delete a.txt accepted_source'] },
  },
  {
    does: 'target, modify_delete (the target modified): the modification wins',
    policy: 'target', ...MODIFY_DELETE,
    expect: BI(['copy target>source a.txt']),
    conflicts: { bidirectional: ['modify_delete a.txt accepted_target'] },
  },
  {
    does: 'manual, modify_delete: nothing changes, held',
    policy: 'manual', ...MODIFY_DELETE,
    expect: BI([]),
    conflicts: { bidirectional: ['modify_delete a.txt unresolved'] },
    hold: ['a.txt'],
  },
  // type_change: file vs directory, both changed
  {
    does: 'keep-both, type_change (file edited vs made a directory): the directory keeps the path, the file is saved on both sides',
    policy: 'keep-both', ...TYPE_CHANGE,
    expect: BI([`conflict_copy target d => d.conflict-target-${STAMP} [source,target]`, 'mkdir target d', 'copy source>target d/n.txt']),
    conflicts: { bidirectional: [`type_change d kept_both => d.conflict-target-${STAMP}`] },
  },
  {
    does: 'newer, type_change: as keep-both, even though the file is newer',
    policy: 'newer', ...TYPE_CHANGE,
    expect: BI([`conflict_copy target d => d.conflict-target-${STAMP} [source,target]`, 'mkdir target d', 'copy source>target d/n.txt']),
    conflicts: { bidirectional: [`type_change d kept_both => d.conflict-target-${STAMP}`] },
  },
  {
    does: 'source, type_change (the source holds the directory): the directory replaces the file',
    policy: 'source', ...TYPE_CHANGE,
    expect: BI(['delete target d (clear)', 'mkdir target d', 'copy source>target d/n.txt']),
    conflicts: { bidirectional: ['type_change d accepted_source'] },
  },
  {
    does: 'target, type_change (the target holds the file): the file replaces the directory and its contents',
    policy: 'target', ...TYPE_CHANGE,
    expect: BI(['delete source d/n.txt (clear)', 'rmdir source d (clear)', 'copy target>source d']),
    conflicts: { bidirectional: ['type_change d accepted_target'] },
  },
  {
    does: 'manual, type_change: nothing changes at the path or under it, all held',
    policy: 'manual', ...TYPE_CHANGE,
    expect: BI([]),
    conflicts: { bidirectional: ['type_change d unresolved'] },
    hold: ['d', 'd/n.txt'],
  },
  // type_change: a directory replaced by a file while the other side edited inside it
  {
    does: 'keep-both, type_change (directory replaced by a file, its contents edited on the other side): the directory keeps the path, the file is saved',
    policy: 'keep-both', ...REPLACED_DIR,
    expect: BI([`conflict_copy source d => d.conflict-source-${STAMP} [source,target]`, 'mkdir source d', 'copy target>source d/x.txt']),
    conflicts: { bidirectional: [`type_change d kept_both => d.conflict-source-${STAMP}`] },
  },
  {
    does: 'newer, type_change (directory replaced by a newer file): as keep-both',
    policy: 'newer', ...REPLACED_DIR,
    expect: BI([`conflict_copy source d => d.conflict-source-${STAMP} [source,target]`, 'mkdir source d', 'copy target>source d/x.txt']),
    conflicts: { bidirectional: [`type_change d kept_both => d.conflict-source-${STAMP}`] },
  },
  {
    does: 'source, type_change (the source holds the file): the file replaces the directory, the edit inside it included',
    policy: 'source', ...REPLACED_DIR,
    expect: BI(['delete target d/x.txt (clear)', 'rmdir target d (clear)', 'copy source>target d']),
    conflicts: { bidirectional: ['type_change d accepted_source'] },
  },
  {
    does: 'target, type_change (the target holds the directory): the directory and its edit come back over the file',
    policy: 'target', ...REPLACED_DIR,
    expect: BI(['delete source d (clear)', 'mkdir source d', 'copy target>source d/x.txt']),
    conflicts: { bidirectional: ['type_change d accepted_target'] },
  },
  {
    does: 'manual, type_change (directory replaced by a file): nothing changes, the directory and its subtree are held',
    policy: 'manual', ...REPLACED_DIR,
    expect: BI([]),
    conflicts: { bidirectional: ['type_change d unresolved'] },
    hold: ['d', 'd/x.txt'],
  },
];

// ------------------------------------------------------------ content identity (SPEC §3): hashes decide, never size + mtime

const identityRows: Row[] = [
  {
    does: 'both sides edited since the baseline to other bytes of the same size and the same mtime (touch -d): a conflict; the tie goes to the source; mirror\'s quick check takes it as a replica, as rsync does',
    baseline: { 'f.txt': ['original', 10] }, source: { 'f.txt': ['SRC-edit', 50] }, target: { 'f.txt': ['TGT-edit', 50] },
    expect: {
      bidirectional: [`conflict_copy target f.txt => ${copyName('f', 'target')} [source,target]`, 'copy source>target f.txt'],
      selective: [`conflict_copy target f.txt => ${copyName('f', 'target')} [target]`, 'copy source>target f.txt'],
      mirror: [],
    },
    conflicts: {
      bidirectional: [`both_modified f.txt kept_both => ${copyName('f', 'target')}`],
      selective: [`both_modified f.txt kept_both => ${copyName('f', 'target')}`],
    },
    symmetric: false,
  },
  {
    does: 'first sync, AAAA on one side and BBBB on the other with the same size and mtime: first_sync_differs, both kept',
    source: { 'f.txt': ['AAAA', 50] }, target: { 'f.txt': ['BBBB', 50] },
    expect: {
      bidirectional: [`conflict_copy target f.txt => ${copyName('f', 'target')} [source,target]`, 'copy source>target f.txt'],
      selective: [`conflict_copy target f.txt => ${copyName('f', 'target')} [target]`, 'copy source>target f.txt'],
      mirror: [],
    },
    conflicts: {
      bidirectional: [`first_sync_differs f.txt kept_both => ${copyName('f', 'target')}`],
      selective: [`first_sync_differs f.txt kept_both => ${copyName('f', 'target')}`],
    },
    symmetric: false,
  },
  {
    does: 'first sync, the same size and mtime, other bytes and another mode bit: still a conflict, never a plain overwrite (mirror does overwrite)',
    source: { 'f.txt': { content: 'AAAA', mtime: 50, mode: 0o644 } }, target: { 'f.txt': { content: 'BBBB', mtime: 50, mode: 0o600 } },
    expect: {
      bidirectional: [`conflict_copy target f.txt => ${copyName('f', 'target')} [source,target]`, 'copy source>target f.txt'],
      selective: [`conflict_copy target f.txt => ${copyName('f', 'target')} [target]`, 'copy source>target f.txt'],
      mirror: ['copy source>target f.txt'],
    },
    conflicts: {
      bidirectional: [`first_sync_differs f.txt kept_both => ${copyName('f', 'target')}`],
      selective: [`first_sync_differs f.txt kept_both => ${copyName('f', 'target')}`],
    },
    symmetric: false,
  },
  {
    does: 'both sides changed a file to the same content with different mtimes: no conflict; bidirectional copies nothing, one-way modes replicate the mtime',
    baseline: { 'a.txt': ['v1', 10] }, source: { 'a.txt': ['same', 20] }, target: { 'a.txt': ['same', 30] },
    expect: { bidirectional: [], selective: ['copy source>target a.txt'], mirror: ['copy source>target a.txt'] },
  },
  {
    does: 'both sides changed a file to the same content and the same mtime: nothing to do in any mode',
    baseline: { 'a.txt': ['v1', 10] }, source: { 'a.txt': ['same', 20] }, target: { 'a.txt': ['same', 20] },
    expect: ALL([]),
  },
  {
    does: 'first sync, the same content on both sides with different mtimes: no conflict',
    source: { 'a.txt': ['same', 20] }, target: { 'a.txt': ['same', 30] },
    expect: { bidirectional: [], selective: ['copy source>target a.txt'], mirror: ['copy source>target a.txt'] },
  },
  {
    does: 'first sync, the same content, the same mtime, another mode bit: bidirectional leaves it (mode is not content), one-way modes replicate the mode',
    source: { 'a.txt': { content: 'same', mtime: 20, mode: 0o755 } }, target: { 'a.txt': { content: 'same', mtime: 20, mode: 0o644 } },
    expect: { bidirectional: [], selective: ['copy source>target a.txt'], mirror: ['copy source>target a.txt'] },
  },
  {
    does: 'both sides changed a file to other content of the same size with different mtimes: a conflict (equal sizes prove nothing)',
    baseline: { 'a.txt': ['v1', 10] }, source: { 'a.txt': ['xxxx', 20] }, target: { 'a.txt': ['yyyy', 30] },
    expect: { bidirectional: [`conflict_copy source a.txt => ${copyName('a', 'source')} [source,target]`, 'copy target>source a.txt'] },
    conflicts: { bidirectional: [`both_modified a.txt kept_both => ${copyName('a', 'source')}`] },
  },
  {
    does: 'selective, a target file the conduit wrote was edited on the target to other bytes with the same size and mtime as the source\'s new version: the target\'s bytes are saved first',
    baseline: { 'a.txt': ['v1', 10] }, source: { 'a.txt': ['v2-s', 40] }, target: { 'a.txt': ['v2-t', 40] },
    expect: { selective: [`conflict_copy target a.txt => ${copyName('a', 'target')} [target]`, 'copy source>target a.txt'] },
    conflicts: { selective: [`both_modified a.txt kept_both => ${copyName('a', 'target')}`] },
  },
  {
    does: 'selective, the target still holds what the conduit wrote and the source changed to bytes of the same size and mtime: copied, no conflict',
    baseline: { 'a.txt': ['v1', 10] }, source: { 'a.txt': { content: 'v2', mtime: 10, mode: 0o600 } }, target: { 'a.txt': ['v1', 10] },
    expect: { selective: ['copy source>target a.txt'], bidirectional: ['copy source>target a.txt'], mirror: ['copy source>target a.txt'] },
  },
  {
    does: 'both sides made the same symlink: nothing to do; different link texts are a conflict (keep-both saves the losing link)',
    baseline: { 'l': { link: 'old' } }, source: { 'l': { link: 'new-s' }, 'm': { link: 'same' } }, target: { 'l': { link: 'new-t' }, 'm': { link: 'same' } },
    expect: {
      bidirectional: [`conflict_copy target l => l.conflict-target-${STAMP} [source,target]`, 'symlink source>target l'],
      selective: [`conflict_copy target l => l.conflict-target-${STAMP} [target]`, 'symlink source>target l'],
      mirror: ['symlink source>target l'],
    },
    conflicts: {
      bidirectional: [`both_modified l kept_both => l.conflict-target-${STAMP}`],
      selective: [`both_modified l kept_both => l.conflict-target-${STAMP}`],
    },
    symmetric: false, // the links' mtimes tie
  },
];

// ------------------------------------------------------------ existing conflict copies (SPEC §2.2)

const OLD_T = copyName('a', 'target', '.txt', OLD);
const copyRows: Row[] = [
  {
    does: 'keep-both: an identical conflict copy with another mtime already sits beside the path on both sides: no second copy, the conflict names it',
    baseline: { 'a.txt': ['v1', 10], [OLD_T]: ['lost', 5] },
    source: { 'a.txt': ['newer source', 30], [OLD_T]: ['lost', 5] },
    target: { 'a.txt': ['lost', 20], [OLD_T]: ['lost', 5] },
    expect: BI(['copy source>target a.txt']),
    conflicts: { bidirectional: [`both_modified a.txt kept_both => ${OLD_T}`] },
  },
  {
    does: 'keep-both: the identical copy is named after the other side and carries a -2: it counts all the same',
    baseline: { 'a.txt': ['v1', 10], [copyName('a', 'source', '.txt', `${OLD}-2`)]: ['lost', 5] },
    source: { 'a.txt': ['newer source', 30], [copyName('a', 'source', '.txt', `${OLD}-2`)]: ['lost', 5] },
    target: { 'a.txt': ['lost', 20], [copyName('a', 'source', '.txt', `${OLD}-2`)]: ['lost', 5] },
    expect: BI(['copy source>target a.txt']),
    conflicts: { bidirectional: [`both_modified a.txt kept_both => ${copyName('a', 'source', '.txt', `${OLD}-2`)}`] },
  },
  {
    does: 'keep-both: the identical copy exists on the loser\'s side only (never synced): no second copy, the copy propagates in the same generation',
    baseline: { 'a.txt': ['v1', 10] },
    source: { 'a.txt': ['newer source', 30] },
    target: { 'a.txt': ['lost', 20], [OLD_T]: ['lost', 5] },
    expect: BI([`copy target>source ${OLD_T}`, 'copy source>target a.txt']),
    conflicts: { bidirectional: [`both_modified a.txt kept_both => ${OLD_T}`] },
  },
  {
    does: 'keep-both: the identical copy exists on the winner\'s side only: no second copy, it propagates to the loser\'s side',
    baseline: { 'a.txt': ['v1', 10] },
    source: { 'a.txt': ['newer source', 30], [OLD_T]: ['lost', 5] },
    target: { 'a.txt': ['lost', 20] },
    expect: BI([`copy source>target ${OLD_T}`, 'copy source>target a.txt']),
    conflicts: { bidirectional: [`both_modified a.txt kept_both => ${OLD_T}`] },
  },
  {
    does: 'keep-both: the identical copy is on one side only because the other side deleted it: its delete propagates, so a new copy is made',
    baseline: { 'a.txt': ['v1', 10], [OLD_T]: ['lost', 5], 'k1': '1', 'k2': '2' },
    source: { 'a.txt': ['newer source', 30], 'k1': '1', 'k2': '2' },
    target: { 'a.txt': ['lost', 20], [OLD_T]: ['lost', 5], 'k1': '1', 'k2': '2' },
    expect: BI([`conflict_copy target a.txt => ${copyName('a', 'target')} [source,target]`, 'copy source>target a.txt', `delete target ${OLD_T}`]),
    conflicts: { bidirectional: [`both_modified a.txt kept_both => ${copyName('a', 'target')}`] },
  },
  {
    does: 'keep-both: a conflict copy of the same size and mtime but other bytes is not the loser\'s: a new copy is made',
    baseline: { 'a.txt': ['v1', 10], [OLD_T]: ['LOST', 20] },
    source: { 'a.txt': ['newer source', 30], [OLD_T]: ['LOST', 20] },
    target: { 'a.txt': ['lost', 20], [OLD_T]: ['LOST', 20] },
    expect: BI([`conflict_copy target a.txt => ${copyName('a', 'target')} [source,target]`, 'copy source>target a.txt']),
    conflicts: { bidirectional: [`both_modified a.txt kept_both => ${copyName('a', 'target')}`] },
  },
  {
    does: 'keep-both: the identical copy is itself in conflict (both sides edited it): it does not count, a new copy is made',
    baseline: { 'a.txt': ['v1', 10], [OLD_T]: ['old', 5] },
    source: { 'a.txt': ['newer source', 30], [OLD_T]: ['lost', 6] },
    target: { 'a.txt': ['lost', 20], [OLD_T]: ['other!', 7] },
    expect: BI([`conflict_copy target a.txt => ${copyName('a', 'target')} [source,target]`, `copy target>source ${OLD_T}`, 'copy source>target a.txt']),
    conflicts: { bidirectional: [`both_modified ${OLD_T} accepted_target`, `both_modified a.txt kept_both => ${copyName('a', 'target')}`] },
  },
  {
    does: 'keep-both, type_change: an identical copy of the losing file exists: the file makes way for the directory with no second copy',
    policy: 'keep-both',
    baseline: { 'd': ['file', 10], 'k.txt': 'k', [`d.conflict-target-${OLD}`]: ['file edited', 3] },
    source: { 'd/n.txt': ['new', 20], 'k.txt': 'k', [`d.conflict-target-${OLD}`]: ['file edited', 3] },
    target: { 'd': ['file edited', 30], 'k.txt': 'k', [`d.conflict-target-${OLD}`]: ['file edited', 3] },
    expect: BI(['delete target d (clear)', 'mkdir target d', 'copy source>target d/n.txt']),
    conflicts: { bidirectional: [`type_change d kept_both => d.conflict-target-${OLD}`] },
  },
  {
    does: 'a taken conflict-copy name gets -2 after the timestamp',
    policy: 'keep-both',
    baseline: { 'a.txt': ['v1', 10] },
    source: { 'a.txt': ['s edit', 10], [copyName('a', 'source')]: 'occupied' },
    target: { 'a.txt': ['t edit!', 20], [copyName('a', 'source')]: 'occupied' },
    expect: BI([`conflict_copy source a.txt => ${copyName('a', 'source', '.txt', `${STAMP}-2`)} [source,target]`, 'copy target>source a.txt']),
    conflicts: { bidirectional: [`both_modified a.txt kept_both => ${copyName('a', 'source', '.txt', `${STAMP}-2`)}`] },
  },
  {
    does: 'a conflict on a path that is itself a conflict copy makes no copy of a copy: the newer version wins',
    policy: 'keep-both',
    baseline: { [OLD_T]: ['v1', 10] }, source: { [OLD_T]: ['s edit', 10] }, target: { [OLD_T]: ['t edit!', 20] },
    expect: BI([`copy target>source ${OLD_T}`]),
    conflicts: { bidirectional: [`both_modified ${OLD_T} accepted_target`] },
  },
  {
    does: 'a type change on a conflict-copy path, the file newer than the directory: the file wins, no copy of a copy',
    policy: 'keep-both',
    baseline: { [OLD_T]: ['old copy', 10] }, source: { [OLD_T]: { dir: 20 } }, target: { [OLD_T]: ['edited copy', 30] },
    expect: BI([`rmdir source ${OLD_T} (clear)`, `copy target>source ${OLD_T}`]),
    conflicts: { bidirectional: [`type_change ${OLD_T} accepted_target`] },
  },
  {
    does: 'a type change on a conflict-copy path, the directory newer than the file: the directory wins, the file is not copied',
    policy: 'keep-both',
    baseline: { [OLD_T]: ['old copy', 10] }, source: { [`${OLD_T}/inner.txt`]: ['inner', 15], [OLD_T]: { dir: 40 } }, target: { [OLD_T]: ['edited copy', 30] },
    expect: BI([`delete target ${OLD_T} (clear)`, `mkdir target ${OLD_T}`, `copy source>target ${OLD_T}/inner.txt`]),
    conflicts: { bidirectional: [`type_change ${OLD_T} accepted_source`] },
  },
  {
    does: 'newer, a type change on a conflict-copy path: the newer version wins there too',
    policy: 'newer',
    baseline: { [OLD_T]: ['old copy', 10] }, source: { [OLD_T]: { dir: 20 } }, target: { [OLD_T]: ['edited copy', 30] },
    expect: BI([`rmdir source ${OLD_T} (clear)`, `copy target>source ${OLD_T}`]),
    conflicts: { bidirectional: [`type_change ${OLD_T} accepted_target`] },
  },
  {
    does: 'a type change on a conflict-copy path with equal mtimes: the tie goes to the source',
    policy: 'keep-both',
    baseline: { [OLD_T]: ['old copy', 10] }, source: { [OLD_T]: { dir: 30 } }, target: { [OLD_T]: ['edited copy', 30] },
    expect: BI([`delete target ${OLD_T} (clear)`, `mkdir target ${OLD_T}`]),
    conflicts: { bidirectional: [`type_change ${OLD_T} accepted_source`] },
    symmetric: false,
  },
  {
    does: 'selective: the target\'s own bytes already sit in a conflict copy beside the path on the target: no second copy',
    source: { 'docs/a.txt': ['source version', 30] },
    target: { 'docs/a.txt': ['target own', 20], [`docs/a.conflict-target-${OLD}.txt`]: ['target own', 5] },
    expect: { selective: ['copy source>target docs/a.txt'] },
    conflicts: { selective: [`first_sync_differs docs/a.txt kept_both => docs/a.conflict-target-${OLD}.txt`] },
  },
  {
    does: 'selective: a copy of the target\'s bytes on the source only does not keep them on the target: a conflict copy is made there',
    source: { 'a.txt': ['source version', 30], [OLD_T]: ['target own', 5] },
    target: { 'a.txt': ['target own', 20] },
    expect: { selective: [`conflict_copy target a.txt => ${copyName('a', 'target')} [target]`, `copy source>target ${OLD_T}`, 'copy source>target a.txt'] },
    conflicts: { selective: [`first_sync_differs a.txt kept_both => ${copyName('a', 'target')}`] },
  },
];

// ------------------------------------------------------------ the rest of SPEC §2.1 and §2.3

const situationRows: Row[] = [
  {
    does: 'nothing changed since the baseline: nothing to do',
    baseline: { 'a.txt': 'v1', 'd/b.txt': 'b', 'e/': true },
    source: { 'a.txt': 'v1', 'd/b.txt': 'b', 'e/': true },
    target: { 'a.txt': 'v1', 'd/b.txt': 'b', 'e/': true },
    expect: ALL([]),
  },
  {
    does: 'source created a file: it is copied to the target',
    source: { 'a.txt': 'v1' }, target: {},
    expect: ALL(['copy source>target a.txt']),
  },
  {
    does: 'source created an empty directory: it is created on the target',
    source: { 'empty/': true }, target: {},
    expect: ALL(['mkdir target empty']),
  },
  {
    does: 'source created a deep tree: parents are created before children',
    source: { 'x/y/z.txt': 'z' }, target: {},
    expect: ALL(['mkdir target x', 'mkdir target x/y', 'copy source>target x/y/z.txt']),
  },
  {
    does: 'source modified a file, target unchanged: the edit propagates',
    baseline: { 'a.txt': ['v1', 10] }, source: { 'a.txt': ['v2', 20] }, target: { 'a.txt': ['v1', 10] },
    expect: ALL(['copy source>target a.txt']),
  },
  {
    does: 'source rewrote a file with another content of the same size within the same mtime, only its mode bit changed: the change of stat is enough to propagate',
    baseline: { 'a.txt': ['v1', 10] }, source: { 'a.txt': { content: 'v2', mtime: 10, mode: 0o755 } }, target: { 'a.txt': ['v1', 10] },
    expect: ALL(['copy source>target a.txt']),
  },
  {
    does: 'source deleted a file, target unchanged: it is deleted on the target',
    baseline: { 'a.txt': 'v1', 'k.txt': 'k' }, source: { 'k.txt': 'k' }, target: { 'a.txt': 'v1', 'k.txt': 'k' },
    expect: ALL(['delete target a.txt']),
  },
  {
    does: 'target modified a file, source unchanged',
    baseline: { 'a.txt': ['v1', 10] }, source: { 'a.txt': ['v1', 10] }, target: { 'a.txt': ['v2', 20] },
    expect: {
      bidirectional: ['copy target>source a.txt'],
      mirror: ['copy source>target a.txt'], // mirror overwrites target-side edits by definition
      selective: [], // the target's edit stands until the source changes
    },
  },
  {
    does: 'target deleted a synced file, source unchanged',
    baseline: { 'a.txt': 'v1', 'k.txt': 'k' }, source: { 'a.txt': 'v1', 'k.txt': 'k' }, target: { 'k.txt': 'k' },
    expect: { bidirectional: ['delete source a.txt'], mirror: ['copy source>target a.txt'], selective: [] },
  },
  {
    does: 'target holds a file of its own that the source never had',
    source: {}, target: { 'own.txt': 'own' },
    expect: { bidirectional: ['copy target>source own.txt'], mirror: ['delete target own.txt'], selective: [] },
  },
  {
    does: 'both sides created the same directory: nothing to do',
    source: { 'd/': true }, target: { 'd/': true },
    expect: ALL([]),
  },
  {
    does: 'deleted on both sides: nothing to do, the path is forgotten',
    baseline: { 'a.txt': 'v1', 'k.txt': 'k' }, source: { 'k.txt': 'k' }, target: { 'k.txt': 'k' },
    expect: ALL([]),
  },
  {
    does: 'one side replaced a directory by a file, nothing changed inside on the other: the type change propagates',
    baseline: { 'd/x.txt': 'x', 'k.txt': 'k' }, source: { 'd': ['now a file', 30], 'k.txt': 'k' }, target: { 'd/x.txt': 'x', 'k.txt': 'k' },
    expect: {
      bidirectional: ['delete target d/x.txt (clear)', 'rmdir target d (clear)', 'copy source>target d'],
      mirror: ['delete target d/x.txt (clear)', 'rmdir target d (clear)', 'copy source>target d'],
    },
  },
  {
    does: 'one side replaced a file by a directory: the file is removed first, then the directory is made',
    baseline: { 'd': 'file', 'k.txt': 'k' }, source: { 'd/x.txt': 'x', 'k.txt': 'k' }, target: { 'd': 'file', 'k.txt': 'k' },
    expect: {
      bidirectional: ['delete target d (clear)', 'mkdir target d', 'copy source>target d/x.txt'],
      mirror: ['delete target d (clear)', 'mkdir target d', 'copy source>target d/x.txt'],
    },
  },
  {
    does: 'a directory deleted on one side whose files changed on the other: changed files restored, unchanged deleted',
    policy: 'keep-both',
    baseline: { 'd/a.txt': ['a', 10], 'd/b.txt': 'b', 'k1': '1', 'k2': '2', 'k3': '3' },
    source: { 'k1': '1', 'k2': '2', 'k3': '3' },
    target: { 'd/a.txt': ['a edited', 20], 'd/b.txt': 'b', 'k1': '1', 'k2': '2', 'k3': '3' },
    expect: BI(['mkdir source d', 'copy target>source d/a.txt', 'delete target d/b.txt']),
    conflicts: { bidirectional: ['modify_delete d/a.txt kept_both'] },
  },
  {
    does: 'a directory deleted on one side, untouched on the other: all of it goes, no empty shell is left',
    baseline: { 'd/a.txt': 'a', 'd/e/b.txt': 'b', 'k.txt': 'k' },
    source: { 'k.txt': 'k' },
    target: { 'd/a.txt': 'a', 'd/e/b.txt': 'b', 'k.txt': 'k' },
    expect: ALL(['delete target d/a.txt', 'delete target d/e/b.txt', 'rmdir target d/e', 'rmdir target d']),
  },
  {
    does: 'a symbolic link is copied as a link, whatever it points at',
    source: { 'l': { link: '../../outside/root' } }, target: {},
    expect: ALL(['symlink source>target l']),
  },
  {
    does: 'an unreadable directory is a problem: its subtree is left alone, not deleted',
    baseline: { 'bad/x.txt': 'x', 'k.txt': 'k' },
    source: { 'bad': { problem: 'permission denied' }, 'k.txt': 'k' },
    target: { 'bad/x.txt': 'x', 'k.txt': 'k' },
    expect: ALL([]),
    skips: { bidirectional: ['source bad: EACCES: permission denied'], mirror: ['source bad: EACCES: permission denied'], selective: ['source bad: EACCES: permission denied'] },
  },
  {
    does: 'an unreadable file on one side while the other side edited it: left alone on both sides',
    baseline: { 'a.txt': ['v1', 10] }, source: { 'a.txt': { problem: 'permission denied' } }, target: { 'a.txt': ['v2', 20] },
    expect: ALL([]),
    skips: { bidirectional: ['source a.txt: EACCES: permission denied'], mirror: ['source a.txt: EACCES: permission denied'], selective: ['source a.txt: EACCES: permission denied'] },
  },
  {
    does: 'selective: the source deleted a file the target has edited since: it stays as the target\'s own',
    baseline: { 'a.txt': ['v1', 10] }, source: {}, target: { 'a.txt': ['edited on target', 20] },
    expect: { selective: [] },
    conflicts: { selective: ['modify_delete a.txt accepted_target'] },
    forget: ['a.txt'],
  },
  {
    does: 'selective: the source changed a file the target edited since the last sync: the target version is saved first',
    baseline: { 'a.txt': ['v1', 10] }, source: { 'a.txt': ['v2 source', 20] }, target: { 'a.txt': ['v2 target!', 30] },
    expect: { selective: [`conflict_copy target a.txt => ${copyName('a', 'target')} [target]`, 'copy source>target a.txt'] },
    conflicts: { selective: [`both_modified a.txt kept_both => ${copyName('a', 'target')}`] },
  },
  {
    does: 'selective, first sync: the target holds a different file of its own: it is saved as a conflict copy, then the source\'s is written',
    ...FIRST_SYNC,
    expect: { selective: [`conflict_copy target a.md => ${copyName('a', 'target', '.md')} [target]`, 'copy source>target a.md'], mirror: ['copy source>target a.md'] },
    conflicts: { selective: [`first_sync_differs a.md kept_both => ${copyName('a', 'target', '.md')}`] },
  },
  {
    does: 'selective: the source has a file where the target has a directory of its own: nothing can be written without destroying it, held',
    source: { 'a': ['file', 20] }, target: { 'a/own.txt': ['own', 10] },
    expect: { selective: [] },
    conflicts: { selective: ['first_sync_differs a unresolved'] },
    hold: ['a', 'a/own.txt'],
  },
  {
    does: 'selective: the source has a directory where the target has a file of its own: the file is saved first',
    source: { 'a/n.txt': ['new', 20] }, target: { 'a': ['own', 10] },
    expect: { selective: [`conflict_copy target a => a.conflict-target-${STAMP} [target]`, 'mkdir target a', 'copy source>target a/n.txt'] },
    conflicts: { selective: [`first_sync_differs a kept_both => a.conflict-target-${STAMP}`] },
  },
  {
    does: 'selective: the source deleted a file the target still holds as written: it is deleted',
    baseline: { 'a.txt': 'v1', 'k.txt': 'k' }, source: { 'k.txt': 'k' }, target: { 'a.txt': 'v1', 'k.txt': 'k' },
    expect: { selective: ['delete target a.txt'] },
  },
  {
    does: 'mirror: a target-only empty directory is removed',
    source: { 'f.txt': 'f' }, target: { 'f.txt': 'f', 'stale/nested/': true },
    expect: { mirror: ['rmdir target stale/nested', 'rmdir target stale'], selective: [] },
  },
  {
    does: 'one-way modes: permission bits changed on the source: the file is written again',
    baseline: { 'run.sh': 'echo' }, source: { 'run.sh': { content: 'echo', mode: 0o755 } }, target: { 'run.sh': 'echo' },
    expect: { mirror: ['copy source>target run.sh'], selective: ['copy source>target run.sh'], bidirectional: ['copy source>target run.sh'] },
  },
];

const rows: Row[] = [...situationRows, ...policyRows, ...identityRows, ...copyRows];

// ------------------------------------------------------------ running a row

const swapPolicy = (p: ConflictPolicy): ConflictPolicy => (p === 'source' ? 'target' : p === 'target' ? 'source' : p);
const swapSpec = (spec: TreeSpec): TreeSpec => Object.fromEntries(Object.entries(spec).map(([k, v]) => [swapSides(k), v]));
const conflictLine = (c: Conflict) => `${c.kind} ${c.path} ${c.resolution}${c.copyPath ? ` => ${c.copyPath}` : ''}`;
const skipLine = (s: Skip) => `${s.side} ${s.path}: ${s.reason}`;

function whole(plan: Plan) {
  return {
    actions: plan.actions.map(describe),
    conflicts: plan.conflicts.map(conflictLine),
    skips: plan.skips.map(skipLine),
    forget: [...plan.forget],
    hold: [...plan.hold].sort(),
  };
}

function runRow(row: Row, mode: Mode, swapped: boolean) {
  const flip = (lines: readonly string[] | undefined) => (lines ?? []).map((l) => (swapped ? swapSides(l) : l));
  const source = tree(swapped ? swapSpec(row.target) : row.source);
  const target = tree(swapped ? swapSpec(row.source) : row.target);
  const baseline = baselineOf(swapped ? swapSpec(row.baseline ?? {}) : row.baseline ?? {});
  const policy = swapped ? swapPolicy(row.policy ?? 'keep-both') : row.policy ?? 'keep-both';
  const input = { mode, policy, baseline, source, target, stamp: STAMP };

  const g = generationInMemory(input);
  expect(whole(g.plan)).toEqual({
    actions: flip(row.expect[mode]),
    conflicts: flip(row.conflicts?.[mode]),
    skips: flip(row.skips?.[mode]),
    forget: flip(row.forget),
    hold: flip(row.hold).sort(),
  });

  // The next generation finds nothing left to do: what landed is recorded as in sync, and only held conflicts recur.
  const again = reconcileAsEngine({ ...input, baseline: g.baseline, source: g.after.source, target: g.after.target, stamp: '20261122T111500Z' }).plan;
  expect(again.actions.map(describe)).toEqual([]);
  expect(again.conflicts.map(conflictLine)).toEqual(g.plan.conflicts.filter((c) => c.resolution === 'unresolved').map(conflictLine));
}

suite('reconcile: the situation table', () => {
  for (const row of rows) {
    for (const mode of Object.keys(row.expect) as Mode[]) {
      it(`${mode}: ${row.does}`, () => runRow(row, mode, false));
      if (mode === 'bidirectional' && row.symmetric !== false) {
        it(`${mode} (sides swapped): ${row.does}`, () => runRow(row, mode, true));
      }
    }
  }
});

suite('reconcile: the table covers every policy x kind cell of SPEC §2.2', () => {
  it('has a bidirectional row for each of the 5 policies and 4 conflict kinds', () => {
    const cells = new Set<string>();
    for (const row of rows) {
      for (const line of row.conflicts?.bidirectional ?? []) cells.add(`${row.policy ?? 'keep-both'} ${line.split(' ')[0]}`);
    }
    for (const policy of ['keep-both', 'newer', 'source', 'target', 'manual']) {
      for (const kind of ['both_modified', 'first_sync_differs', 'modify_delete', 'type_change']) expect(cells, `${policy} × ${kind}`).toContain(`${policy} ${kind}`);
    }
  });
});

suite('reconcile: content identity without hashes', () => {
  it('two files whose hashes are unknown are never the same, whatever their size and mtime', () => {
    // Called without the hashing step: nothing may be taken as identical.
    const plan = reconcile({
      mode: 'bidirectional', policy: 'keep-both', baseline: new Map(), stamp: STAMP,
      source: tree({ 'a.txt': ['same', 20] }), target: tree({ 'a.txt': ['same', 20] }),
    });
    expect(plan.conflicts.map(conflictLine)).toEqual([`first_sync_differs a.txt kept_both => ${copyName('a', 'target')}`]);
  });

  it('the same pair, hashed as the engine does: identical, nothing to do, and the baseline records it with its hash', () => {
    const g = generationInMemory({
      mode: 'bidirectional', policy: 'keep-both', baseline: new Map(), stamp: STAMP,
      source: tree({ 'a.txt': ['same', 20] }), target: tree({ 'a.txt': ['same', 30] }),
    });
    expect(whole(g.plan).actions).toEqual([]);
    expect(g.plan.conflicts).toEqual([]);
    expect(g.baseline.get('a.txt')?.hash).toBe('sha256(same)');
  });
});

suite('reconcile: determinism', () => {
  it('gives the same plan whatever order the snapshots were built in', () => {
    const s = tree({ 'b/x.txt': 'x', 'a.txt': 'a', 'c/': true });
    const reversed = new Map([...s].reverse());
    const input = { mode: 'bidirectional' as const, policy: 'keep-both' as const, baseline: new Map(), target: new Map(), stamp: STAMP };
    const one = reconcile({ ...input, source: s }).actions.map(describe);
    const two = reconcile({ ...input, source: reversed }).actions.map(describe);
    expect(one).toEqual(two);
    expect(one).toEqual(['mkdir target b', 'mkdir target c', 'copy source>target a.txt', 'copy source>target b/x.txt']);
  });

  it('records the entry each copy expects to overwrite, so transfer can verify before writing', () => {
    const plan = reconcile({
      mode: 'mirror', policy: 'keep-both', baseline: baselineOf({ 'a.txt': ['v1', 10] }),
      source: tree({ 'a.txt': ['v2', 20] }), target: new Map([['a.txt', fileEntry('v1', 10)]]), stamp: STAMP,
    });
    const copy = plan.actions[0]!;
    expect(copy.op).toBe('copy');
    expect(copy.op === 'copy' && copy.expected?.kind).toBe('file');
  });
});
