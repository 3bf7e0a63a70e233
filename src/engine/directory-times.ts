import { join } from 'node:path';
import { comparePaths, depthOf, mtimesMatchAcrossSides, parentOf, type Snapshot } from '../core/entry.js';
import type { Action, Outcome, Problem } from '../core/plan.js';
import type { Mode } from '../core/vocabulary.js';
import type { FileSystem } from '../fs/file-system.js';
import { runBounded } from './bounded.js';
import { checkAncestors, isConfinementError, type RootDirectories } from './confine.js';
import { compileFilter } from './filters.js';
import type { FilterRules } from './scan.js';

/**
 * Mirror replicates directories' permission bits and mtimes too (SPEC §2
 * mirror row), as `rsync -a` does, and selective for the directories of its
 * selection (SPEC §2.3; `replicatedDirectories` says which). conduit must be able to write into a
 * directory while it fills it, and writing into a directory moves its mtime,
 * so both are set after the transfer: every target directory whose mode or
 * mtime differs from the source's, or that the generation wrote into, gets
 * the source's exact mode and mtime, deepest first (setting a directory's
 * attributes does not touch its parent, and a parent made read-only last
 * does not stop its children from being set). Before the transfer, a target
 * directory the plan writes into that lacks owner rwx (a 0555 directory
 * replicated earlier) is opened for the owner, and closed again afterwards.
 *
 * Every change is confined (confine.ts): the directory and those above it
 * must still be the ones the scan saw (or this generation made). A refusal is
 * a problem of that path; any other failure is left for the next
 * generation, which sees the difference again and retries.
 */

/** Which target directories (relative paths) get the source's mode and mtime. */
export type ReplicatedDirectories = (relPath: string) => boolean;

const EVERY_DIRECTORY: ReplicatedDirectories = () => true;

/**
 * The directories whose attributes a conduit of `mode` replicates; null when
 * it replicates none (bidirectional: each side's directories are its own).
 *
 * - mirror: every directory (the target is a replica).
 * - selective (SPEC §2.3, "as in mirror" for the selection): the directories
 *   the include rules select, itself or through an ancestor (`docs/` selects
 *   `docs` and everything below; `docs/**` selects what is below `docs`, not
 *   `docs`), whether the conduit created them or the target had them —
 *   inside the selection the source decides, as it does for the mode and
 *   mtime of a file there with the same bytes. A directory that only leads
 *   to selected paths is not in the selection: one the target already had
 *   is the target's own, and its mode and mtime are never set (the writes
 *   into it move its mtime, as any program's would); one the conduit creates
 *   gets the source's mode, owner rwx added, from mkdir (transfer.ts), and
 *   nothing after. The conduit cannot tell later which leading directories it
 *   made (the baseline records both kinds alike once synced), so it changes
 *   none of them. Directories outside the selection are never even read.
 */
export function replicatedDirectories(mode: Mode, rules: FilterRules): ReplicatedDirectories | null {
  switch (mode) {
    case 'bidirectional':
      return null;
    case 'mirror':
      return EVERY_DIRECTORY;
    case 'selective': {
      const filter = compileFilter(rules);
      return (relPath) => filter.dirInScope(relPath);
    }
  }
}

/** Owner read, write and search: what conduit needs to fill a directory. */
const OWNER_RWX = 0o700;

/** The op named in the problems of this module. */
const OP = 'setattr';

export interface DirectoryAttributesResult {
  /** How many directories got their attributes set. */
  readonly set: number;
  /** Refused changes (a directory swapped since the scan): recorded as errors of the generation. */
  readonly problems: readonly Problem[];
}

/**
 * Give the owner rwx on every scanned target directory that `actions` write
 * into and that lacks it, among the `replicated` ones (a read-only directory
 * of the target's own stays as it is: its user made it so). Returns the
 * relative paths opened (for `replicateDirectoryAttributes`, which restores
 * their exact mode) and the refusals.
 */
export async function openDirectoriesForWriting(
  fs: FileSystem,
  dirs: RootDirectories,
  actions: readonly Action[],
  target: Snapshot,
  replicated: ReplicatedDirectories = EVERY_DIRECTORY,
): Promise<{ readonly opened: readonly string[]; readonly problems: readonly Problem[] }> {
  const due = new Set<string>();
  for (const action of actions) {
    if (!writesTarget(action)) continue;
    const parent = parentOf(action.path);
    if (parent === '' || !replicated(parent)) continue;
    const there = target.get(parent);
    if (there !== undefined && there.kind === 'dir' && (there.mode & OWNER_RWX) !== OWNER_RWX) due.add(parent);
  }
  const opened: string[] = [];
  const problems: Problem[] = [];
  for (const path of [...due].sort(comparePaths)) {
    const mode = (target.get(path) as { mode: number }).mode | OWNER_RWX;
    const done = await setConfined(fs, dirs, path, { mode }, problems);
    if (done) opened.push(path);
  }
  return { opened, problems };
}

function writesTarget(action: Action): boolean {
  switch (action.op) {
    case 'copy':
    case 'symlink':
    case 'mkdir':
      return action.to === 'target';
    case 'delete':
    case 'rmdir':
      return action.side === 'target';
    case 'conflict_copy':
      return action.sides.includes('target');
  }
}

export async function replicateDirectoryAttributes(
  fs: FileSystem,
  dirs: RootDirectories,
  source: Snapshot,
  target: Snapshot,
  outcomes: readonly Outcome[],
  removedTemps: readonly string[],
  opened: readonly string[] = [],
  replicated: ReplicatedDirectories = EVERY_DIRECTORY,
): Promise<DirectoryAttributesResult> {
  const wroteInto = new Set<string>(opened);
  const madeDirs = new Set<string>();
  for (const o of outcomes) {
    for (const l of o.landed) {
      if (l.side !== 'target') continue;
      wroteInto.add(parentOf(l.path));
      if (l.entry?.kind === 'dir') madeDirs.add(l.path);
    }
  }
  for (const temp of removedTemps) wroteInto.add(parentOf(temp));
  const due: { path: string; mode: number; mtimeNs: bigint }[] = [];
  for (const [path, entry] of source) {
    if (entry.kind !== 'dir' || !replicated(path)) continue;
    const there = target.get(path);
    // The target still holds something else there (a FIFO, a file the plan kept or failed to replace): not a directory to set.
    if (there !== undefined && there.kind !== 'dir' && !madeDirs.has(path)) continue;
    if (
      wroteInto.has(path) || there === undefined || there.kind !== 'dir'
      || there.mode !== entry.mode || !mtimesMatchAcrossSides(there.mtimeNs, entry.mtimeNs)
    ) {
      due.push({ path, mode: entry.mode, mtimeNs: entry.mtimeNs });
    }
  }
  due.sort((a, b) => depthOf(b.path) - depthOf(a.path) || comparePaths(a.path, b.path));
  // A directory with a failed action at or below it already has its error: a refusal here is the same cause again.
  const reported = new Set<string>();
  for (const o of outcomes) {
    if (o.status !== 'failed') continue;
    for (let p = o.action.path; p !== '' && !reported.has(p); p = parentOf(p)) reported.add(p);
  }
  let set = 0;
  const problems: Problem[] = [];
  // One depth level at a time, deepest first; inside a level the directories are independent (none is
  // another's parent), so their calls overlap: each is a handful of round trips to the threadpool, and
  // one after the other they were most of this step's time (hundreds of directories after an initial mirror).
  for (let at = 0; at < due.length; ) {
    const depth = depthOf(due[at]!.path);
    let end = at;
    while (end < due.length && depthOf(due[end]!.path) === depth) end++;
    const level = due.slice(at, end);
    at = end;
    const found = await runBounded(level, DIRECTORIES_AT_ONCE, async ({ path, mode, mtimeNs }) => {
      const refused: Problem[] = [];
      return { path, done: await setConfined(fs, dirs, path, { mode, mtimeNs }, refused), refused };
    });
    for (const result of found) {
      if (!result.started) continue;
      const { path, done, refused } = result.value;
      if (done) set++;
      if (!reported.has(path)) problems.push(...refused);
    }
  }
  return { set, problems };
}

/**
 * Directories of one level whose attributes are set at once: enough to keep node's threadpool (4) busy,
 * and, on a remote root, enough calls in flight that the link's round trips overlap (each directory is
 * an lstat per directory above it and a setAttributes, one after the other).
 */
const DIRECTORIES_AT_ONCE = 32;

/** Set attributes of the target directory `path` after checking it and the directories above it; false when not done. */
async function setConfined(
  fs: FileSystem, dirs: RootDirectories, path: string, attributes: { mode: number; mtimeNs?: bigint }, problems: Problem[],
): Promise<boolean> {
  const abs = join(dirs.root, path);
  try {
    await checkAncestors(fs, dirs.selfAndAncestorsOf(path), OP, abs);
    // RACE: swapped for a link after the check, the directory's chmod would reach the link's target;
    // NodeFileSystem.setAttributes re-checks with lstat and never chmods a link, which narrows it further.
    await fs.setAttributes(abs, attributes);
    return true;
  } catch (err) {
    // Gone (a failed mkdir, a directory removed meanwhile) or not ours to change: the next generation retries.
    if (isConfinementError(err) && err.code !== 'ENOENT') {
      problems.push({ path, op: OP, code: err.code, message: err.message, transient: err.transient });
    }
    return false;
  }
}
