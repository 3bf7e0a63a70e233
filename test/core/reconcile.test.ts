import { describe as suite, expect, it } from 'vitest';
import { reconcile } from '../../src/core/reconcile.js';
import type { Entry } from '../../src/core/entry.js';
import type { ConflictPolicy, Mode } from '../../src/core/vocabulary.js';
import { baselineOf, describe, fileEntry, swapSides, tree, type TreeSpec } from './support.js';

const STAMP = '20261122T101500Z';

/**
 * One row per situation of SPEC §2.1–§2.3, in plain English, with the whole
 * plan each mode must produce. Bidirectional rows are also run with the two
 * sides swapped ("source did X" mirrored by "target did X") unless the row
 * depends on a tie going to the source.
 */
interface Row {
  does: string;
  policy?: ConflictPolicy;
  baseline?: TreeSpec;
  source: TreeSpec;
  target: TreeSpec;
  /** Expected actions per mode; a mode left out is not run for this row. */
  expect: Partial<Record<Mode, string[]>>;
  /** Conflicts as `kind path resolution`, per mode (default: none). */
  conflicts?: Partial<Record<Mode, string[]>>;
  forget?: string[];
  symmetric?: false;
  /** Entries to override after building the trees (hashes, modes). */
  patch?: (s: Map<string, Entry>, t: Map<string, Entry>) => void;
}

const ALL = (actions: string[]) => ({ mirror: actions, bidirectional: actions, selective: actions });

const rows: Row[] = [
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
    baseline: { 'a.txt': 'v1' }, source: { 'a.txt': 'v2' }, target: { 'a.txt': 'v1' },
    expect: ALL(['copy source>target a.txt']),
  },
  {
    does: 'source deleted a file, target unchanged: it is deleted on the target',
    baseline: { 'a.txt': 'v1', 'k.txt': 'k' }, source: { 'k.txt': 'k' }, target: { 'a.txt': 'v1', 'k.txt': 'k' },
    expect: ALL(['delete target a.txt']),
  },
  {
    does: 'target modified a file, source unchanged',
    baseline: { 'a.txt': 'v1' }, source: { 'a.txt': 'v1' }, target: { 'a.txt': 'v2' },
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
    does: 'both sides changed a file to the same content with different mtimes: no copy, no conflict',
    baseline: { 'a.txt': 'v1' }, source: { 'a.txt': ['same', 10] }, target: { 'a.txt': ['same', 20] },
    patch: (s, t) => {
      s.set('a.txt', { ...(s.get('a.txt') as Extract<Entry, { kind: 'file' }>), hash: 'h-same' });
      t.set('a.txt', { ...(t.get('a.txt') as Extract<Entry, { kind: 'file' }>), hash: 'h-same' });
    },
    expect: { bidirectional: [] },
  },
  {
    does: 'both sides created the same directory: nothing to do',
    source: { 'd/': true }, target: { 'd/': true },
    expect: { bidirectional: [], mirror: [], selective: [] },
  },
  {
    does: 'keep-both: both modified differently, the newer (target) stays, the source version is saved on both sides',
    policy: 'keep-both',
    baseline: { 'a.txt': 'v1' }, source: { 'a.txt': ['source edit', 10] }, target: { 'a.txt': ['target edit!', 20] },
    expect: { bidirectional: [`conflict_copy source a.txt => a.conflict-source-${STAMP}.txt [source,target]`, 'copy target>source a.txt'] },
    conflicts: { bidirectional: ['both_modified a.txt kept_both'] },
  },
  {
    does: 'newer: both modified, the newer version wins and no copy is kept',
    policy: 'newer',
    baseline: { 'a.txt': 'v1' }, source: { 'a.txt': ['source edit', 10] }, target: { 'a.txt': ['target edit!', 20] },
    expect: { bidirectional: ['copy target>source a.txt'] },
    conflicts: { bidirectional: ['both_modified a.txt accepted_target'] },
  },
  {
    does: 'source policy: both modified, the source wins even though it is older',
    policy: 'source',
    baseline: { 'a.txt': 'v1' }, source: { 'a.txt': ['source edit', 10] }, target: { 'a.txt': ['target edit!', 20] },
    expect: { bidirectional: ['copy source>target a.txt'] },
    conflicts: { bidirectional: ['both_modified a.txt accepted_source'] },
    symmetric: false,
  },
  {
    does: 'manual: both modified, nothing changes on either side and the conflict stays open',
    policy: 'manual',
    baseline: { 'a.txt': 'v1', 'b.txt': 'b' }, source: { 'a.txt': ['source edit', 10], 'b.txt': 'b2' }, target: { 'a.txt': ['target edit!', 20], 'b.txt': 'b' },
    expect: { bidirectional: ['copy source>target b.txt'] },
    conflicts: { bidirectional: ['both_modified a.txt unresolved'] },
  },
  {
    does: 'keep-both: modified on one side, deleted on the other: the modification is restored',
    policy: 'keep-both',
    baseline: { 'a.txt': 'v1', 'k.txt': 'k' }, source: { 'k.txt': 'k' }, target: { 'a.txt': 'v2', 'k.txt': 'k' },
    expect: { bidirectional: ['copy target>source a.txt'] },
    conflicts: { bidirectional: ['modify_delete a.txt kept_both'] },
  },
  {
    does: 'source policy: modified on the target, deleted on the source: the deletion wins',
    policy: 'source',
    baseline: { 'a.txt': 'v1', 'k.txt': 'k' }, source: { 'k.txt': 'k' }, target: { 'a.txt': 'v2', 'k.txt': 'k' },
    expect: { bidirectional: ['delete target a.txt'] },
    conflicts: { bidirectional: ['modify_delete a.txt accepted_source'] },
    symmetric: false,
  },
  {
    does: 'no baseline and different content on both sides',
    source: { 'a.md': ['A from source', 10] }, target: { 'a.md': ['A from target!', 20] },
    expect: {
      bidirectional: [`conflict_copy source a.md => a.conflict-source-${STAMP}.md [source,target]`, 'copy target>source a.md'],
      mirror: ['copy source>target a.md'],
      selective: [`conflict_copy target a.md => a.conflict-target-${STAMP}.md [target]`, 'copy source>target a.md'],
    },
    conflicts: { bidirectional: ['first_sync_differs a.md kept_both'], selective: ['first_sync_differs a.md kept_both'] },
    symmetric: false,
  },
  {
    does: 'one side replaced a directory by a file, nothing changed inside on the other: the type change propagates',
    baseline: { 'd/x.txt': 'x', 'k.txt': 'k' }, source: { 'd': 'now a file', 'k.txt': 'k' }, target: { 'd/x.txt': 'x', 'k.txt': 'k' },
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
    does: 'keep-both: one side replaced a directory whose contents the other side edited: the directory keeps the path, the file is saved',
    policy: 'keep-both',
    baseline: { 'd/x.txt': 'x', 'k.txt': 'k' }, source: { 'd': ['now a file', 30], 'k.txt': 'k' }, target: { 'd/x.txt': 'x edited', 'k.txt': 'k' },
    expect: { bidirectional: [`conflict_copy source d => d.conflict-source-${STAMP} [source,target]`, 'mkdir source d', 'copy target>source d/x.txt'] },
    conflicts: { bidirectional: ['type_change d kept_both'] },
  },
  {
    does: 'a directory deleted on one side whose files changed on the other: changed files restored, unchanged deleted',
    policy: 'keep-both',
    baseline: { 'd/a.txt': 'a', 'd/b.txt': 'b', 'k1': '1', 'k2': '2', 'k3': '3' },
    source: { 'k1': '1', 'k2': '2', 'k3': '3' },
    target: { 'd/a.txt': 'a edited', 'd/b.txt': 'b', 'k1': '1', 'k2': '2', 'k3': '3' },
    expect: { bidirectional: ['mkdir source d', 'copy target>source d/a.txt', 'delete target d/b.txt'] },
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
  },
  {
    does: 'a conflict on a conflict copy makes no copy of a copy: the newer version wins',
    policy: 'keep-both',
    baseline: { 'a.conflict-source-20200101T000000Z.txt': 'v1' },
    source: { 'a.conflict-source-20200101T000000Z.txt': ['s edit', 10] },
    target: { 'a.conflict-source-20200101T000000Z.txt': ['t edit!', 20] },
    expect: { bidirectional: ['copy target>source a.conflict-source-20200101T000000Z.txt'] },
    conflicts: { bidirectional: ['both_modified a.conflict-source-20200101T000000Z.txt accepted_target'] },
    symmetric: false, // the path's own name says "source"
  },
  {
    does: 'an identical conflict copy already sits beside the path on both sides: no second copy',
    policy: 'keep-both',
    baseline: { 'a.txt': 'v1', 'a.conflict-source-20200101T000000Z.txt': ['s edit', 10] },
    source: { 'a.txt': ['s edit', 10], 'a.conflict-source-20200101T000000Z.txt': ['s edit', 10] },
    target: { 'a.txt': ['t edit!', 20], 'a.conflict-source-20200101T000000Z.txt': ['s edit', 10] },
    expect: { bidirectional: ['copy target>source a.txt'] },
    conflicts: { bidirectional: ['both_modified a.txt kept_both'] },
    symmetric: false, // the existing copy's name says "source"
  },
  {
    does: 'a taken conflict-copy name gets -2 after the timestamp',
    policy: 'keep-both',
    baseline: { 'a.txt': 'v1' },
    source: { 'a.txt': ['s edit', 10], [`a.conflict-source-${STAMP}.txt`]: 'occupied' },
    target: { 'a.txt': ['t edit!', 20], [`a.conflict-source-${STAMP}.txt`]: 'occupied' },
    expect: { bidirectional: [`conflict_copy source a.txt => a.conflict-source-${STAMP}-2.txt [source,target]`, 'copy target>source a.txt'] },
    conflicts: { bidirectional: ['both_modified a.txt kept_both'] },
    symmetric: false,
  },
  {
    does: 'selective: the source deleted a file the target has edited since: it stays as the target\'s own',
    baseline: { 'a.txt': 'v1' }, source: {}, target: { 'a.txt': 'edited on target' },
    expect: { selective: [] },
    conflicts: { selective: ['modify_delete a.txt accepted_target'] },
    forget: ['a.txt'],
  },
  {
    does: 'selective: the source changed a file the target edited since the last sync: the target version is saved first',
    baseline: { 'a.txt': 'v1' }, source: { 'a.txt': 'v2 source' }, target: { 'a.txt': 'v2 target!' },
    expect: { selective: [`conflict_copy target a.txt => a.conflict-target-${STAMP}.txt [target]`, 'copy source>target a.txt'] },
    conflicts: { selective: ['both_modified a.txt kept_both'] },
  },
  {
    does: 'mirror: a target-only empty directory is removed',
    source: { 'f.txt': 'f' }, target: { 'f.txt': 'f', 'stale/nested/': true },
    expect: { mirror: ['rmdir target stale/nested', 'rmdir target stale'], selective: [] },
  },
  {
    does: 'mirror: permission bits changed on the source: the file is written again',
    baseline: { 'run.sh': 'echo' }, source: { 'run.sh': 'echo' }, target: { 'run.sh': 'echo' },
    patch: (s) => s.set('run.sh', { ...(s.get('run.sh') as Extract<Entry, { kind: 'file' }>), mode: 0o755 }),
    expect: { mirror: ['copy source>target run.sh'], selective: ['copy source>target run.sh'] },
  },
];

function runRow(row: Row, mode: Mode, swapped: boolean) {
  const source = tree(swapped ? row.target : row.source);
  const target = tree(swapped ? row.source : row.target);
  if (row.patch) swapped ? row.patch(target, source) : row.patch(source, target);
  const plan = reconcile({
    mode, policy: row.policy ?? 'keep-both', baseline: baselineOf(row.baseline ?? {}), source, target, stamp: STAMP,
  });
  const expected = row.expect[mode]!.map((l) => (swapped ? swapSides(l) : l));
  expect(plan.actions.map(describe)).toEqual(expected);
  const conflicts = (row.conflicts?.[mode] ?? []).map((l) => (swapped ? swapSides(l) : l));
  expect(plan.conflicts.map((c) => `${c.kind} ${c.path} ${c.resolution}`)).toEqual(conflicts);
  expect([...plan.forget]).toEqual(row.forget ?? []);
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
      mode: 'mirror', policy: 'keep-both', baseline: baselineOf({ 'a.txt': 'v1' }),
      source: tree({ 'a.txt': 'v2' }), target: new Map([['a.txt', fileEntry('v1')]]), stamp: STAMP,
    });
    const copy = plan.actions[0]!;
    expect(copy.op).toBe('copy');
    expect(copy.op === 'copy' && copy.expected?.kind).toBe('file');
  });
});
