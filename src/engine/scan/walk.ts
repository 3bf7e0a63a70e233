import type { Entry } from '../../core/entry.js';
import { isFsError } from '../../fs/file-system.js';
import { compileFilter } from '../filters.js';
import type { RootState, ScanOptions, ScanResult } from '../scan.js';
import { BaselineMatch } from './baseline-match.js';
import { coveringPaths } from './covering-paths.js';
import { errorMessage, Walker, type WalkOps } from './walker.js';

/**
 * Walking one root into a Snapshot (DESIGN "Performance shape": this is the
 * hot path).
 *
 * - Synchronous and iterative: an explicit stack, so depth is bounded by
 *   memory, not by the call stack.
 * - lstat only: a symbolic link is reported as a link (its text verbatim) and
 *   never followed or descended through, so nothing outside the root is read.
 * - Filters apply while walking (filters.ts): excluded and pruned directories
 *   are never read; a leading directory is reported only once something below
 *   it is.
 * - Problems are data: an unreadable directory becomes a `problem` entry whose
 *   subtree is UNKNOWN (not empty; reconcile must not read its absence as
 *   deletions), an unstat-able name becomes a `problem` entry, and the walk
 *   goes on. Sockets, FIFOs and devices already come back from lstat as
 *   `problem` entries with code `unsupported`.
 * - Conduit temporaries (`.<name>.conduit-tmp-<token>-<random>`, strictly)
 *   are never entries: this conduit's own, when their final name is in
 *   scope, are listed in `staleTemps`; another conduit's are left alone.
 */
export function walk(ops: WalkOps, root: string, options: ScanOptions): ScanResult {
  const { paths, list, ...rest } = walkCollected(ops, root, options);
  const entries = new Map<string, Entry>();
  for (let i = 0; i < paths.length; i++) entries.set(paths[i]!, list[i]!);
  return { ...rest, entries };
}

/**
 * A walk's entries as two parallel arrays (path i has entry i), in the order
 * a Map would hold them, each path once. The scan worker packs these directly
 * (snapshot-codec.ts `packEntries`): building a Map only to iterate it again
 * cost ~25% of the walk (Map.set of ~20,000 fresh path strings).
 */
export interface CollectedWalk extends Omit<ScanResult, 'entries'> {
  readonly paths: readonly string[];
  readonly list: readonly Entry[];
}

export function walkCollected(ops: WalkOps, root: string, options: ScanOptions): CollectedWalk {
  const rootCheck = checkRoot(ops, root);
  if (rootCheck.root !== 'ok') return emptyResult(rootCheck.root, rootCheck.message, options);

  // Against a baseline (issue 9): entries exactly as their rows are counted, not reported (scan/baseline-match.ts).
  const match = options.against === undefined ? undefined : new BaselineMatch(options.against);
  const walker = new Walker(ops, root, compileFilter(options.rules), options.onlyPaths !== undefined, options.tempToken, match);
  if (options.onlyPaths === undefined) {
    const failure = walker.walkRoot();
    if (failure !== undefined) {
      // The root passed lstat, so it exists; a root symlink may still dangle (ENOENT) or point at a file (ENOTDIR).
      const state: RootState = isFsError(failure, 'ENOENT') ? 'missing' : isFsError(failure, 'ENOTDIR') ? 'not_a_directory' : 'unreadable';
      return emptyResult(state, `scan root ${root}: ${errorMessage(failure)}`, options);
    }
  } else {
    walker.scanPaths(options.onlyPaths);
  }
  const collected = { root: 'ok' as const, paths: walker.paths, list: walker.list, staleTemps: walker.staleTemps, visited: walker.visited };
  if (match === undefined) return collected;
  const scope = options.onlyPaths === undefined ? undefined : coveringPaths(options.onlyPaths);
  return { ...collected, changes: match.changes(walker.paths.length, scope, problemPaths(walker.paths, walker.list)) };
}

/**
 * A root that is not there (or not readable) says nothing about its rows:
 * against a baseline none is gone (the engine refuses such a root anyway,
 * guards.ts), rather than every row.
 */
function emptyResult(root: RootState, rootMessage: string, options: ScanOptions): CollectedWalk {
  const empty = { root, rootMessage, paths: [], list: [], staleTemps: [], visited: 0 };
  return options.against === undefined ? empty : { ...empty, changes: { gone: [], inScope: 0, unchanged: 0 } };
}

/** The reported problem entries' paths: below each, the subtree is unknown, so no row there is gone. */
function problemPaths(paths: readonly string[], list: readonly Entry[]): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i < list.length; i++) if (list[i]!.kind === 'problem') out.add(paths[i]!);
  return out;
}

/**
 * The root is the user's chosen path, so unlike every path inside it, a root
 * that is itself a symlink to a directory is accepted: readdir follows it, and
 * the walk below it still never follows a link.
 */
function checkRoot(ops: WalkOps, root: string): { root: RootState; message: string } {
  let entry: Entry;
  try {
    entry = ops.lstatSync(root);
  } catch (err) {
    const code = isFsError(err) ? err.code : 'EOTHER';
    // ENOTDIR: a component of the root's path is a file, so the root does not exist either.
    const state: RootState = code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'unreadable';
    return { root: state, message: `scan root ${root}: ${errorMessage(err)}` };
  }
  if (entry.kind === 'dir' || entry.kind === 'symlink') return { root: 'ok', message: '' };
  if (entry.kind === 'problem') return { root: 'not_a_directory', message: `scan root ${root}: ${entry.message}` };
  return { root: 'not_a_directory', message: `scan root ${root}: is a ${entry.kind}, not a directory` };
}
