import { ancestorsOf, comparePaths, depthOf, parentOf, type Entry, type ProblemEntry, type Snapshot } from '../core/entry.js';
import { isFsError, type FileSystem } from '../fs/file-system.js';
import { compileFilter, parseTempName, type PathFilter } from './filters.js';

/** The filter rules of SPEC §5, in a form that can cross a worker boundary (see filters.ts). */
export interface FilterRules {
  /** .gitignore-syntax patterns; when non-empty only matching paths (and the directories leading to them) are in scope. */
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  /** Built-in ignores plus `.conduitignore` lines, applied like `exclude`. */
  readonly ignore: readonly string[];
}

export interface ScanOptions {
  readonly rules: FilterRules;
  /**
   * Scan only these relative paths (and, for directories among them, their
   * subtrees) instead of the whole root: the watcher-driven fast path. Their
   * ancestors are reported too so the plan can create parents.
   */
  readonly onlyPaths?: readonly string[];
  /**
   * The scanning conduit's temp token (temp-name.ts `tempTokenFor`): its own
   * temporaries in scope are listed in `staleTemps`. Any conduit's
   * temporaries are never reported as entries; without a token none is
   * listed as stale.
   */
  readonly tempToken?: string;
}

export type RootState = 'ok' | 'missing' | 'not_a_directory' | 'unreadable';

export interface ScanResult {
  readonly root: RootState;
  /** The root's problem in words, when `root` is not `ok`. */
  readonly rootMessage?: string;
  readonly entries: Snapshot;
  /**
   * Relative paths of this conduit's temporaries (`ScanOptions.tempToken`)
   * whose final name is in scope: leftovers of an interrupted generation,
   * removed by the engine on the sides the mode writes.
   */
  readonly staleTemps: readonly string[];
  /** How many directory entries were looked at (for the bench and the fast-path proof). */
  readonly visited: number;
}

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

/** The two calls a walk needs, made next to the disk (node's scan worker, the in-memory filesystem, a decorator walking through its hooks). */
export type WalkOps = Pick<FileSystem, 'readdirSync' | 'lstatSync'>;

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
  if (rootCheck.root !== 'ok') return emptyResult(rootCheck.root, rootCheck.message);

  const walker = new Walker(ops, root, compileFilter(options.rules), options.onlyPaths !== undefined, options.tempToken);
  if (options.onlyPaths === undefined) {
    const failure = walker.walkRoot();
    if (failure !== undefined) {
      // The root passed lstat, so it exists; a root symlink may still dangle (ENOENT) or point at a file (ENOTDIR).
      const state: RootState = isFsError(failure, 'ENOENT') ? 'missing' : isFsError(failure, 'ENOTDIR') ? 'not_a_directory' : 'unreadable';
      return emptyResult(state, `scan root ${root}: ${describe(failure)}`);
    }
  } else {
    walker.scanPaths(options.onlyPaths);
  }
  return { root: 'ok', paths: walker.paths, list: walker.list, staleTemps: walker.staleTemps, visited: walker.visited };
}

function emptyResult(root: RootState, rootMessage: string): CollectedWalk {
  return { root, rootMessage, paths: [], list: [], staleTemps: [], visited: 0 };
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
    return { root: state, message: `scan root ${root}: ${describe(err)}` };
  }
  if (entry.kind === 'dir' || entry.kind === 'symlink') return { root: 'ok', message: '' };
  if (entry.kind === 'problem') return { root: 'not_a_directory', message: `scan root ${root}: ${entry.message}` };
  return { root: 'not_a_directory', message: `scan root ${root}: is a ${entry.kind}, not a directory` };
}

/**
 * What the walk does with a name once it knows its entry:
 * - `skip`: not reported, not descended (excluded, pruned, or out of scope);
 * - `report`: a non-directory, or a problem;
 * - `reportAndWalk`: a directory in scope for itself;
 * - `walkLeading`: a leading directory, walked and reported only if something below it is.
 */
type Verdict = 'skip' | 'report' | 'reportAndWalk' | 'walkLeading';

class Walker {
  /** Reported entries: path i has entry i, in report order (see `CollectedWalk`). */
  readonly paths: string[] = [];
  readonly list: Entry[] = [];
  /**
   * Where a reported path sits in `paths`, for the paths the walk may look up
   * or replace: every path on the fast path (ancestors are looked up), and
   * only non-files on a full walk (a directory whose readdir fails is
   * replaced by a problem). Files are the bulk of a tree, and a full walk
   * reports each name once, so they are not indexed.
   */
  private readonly index = new Map<string, number>();
  readonly staleTemps: string[] = [];
  visited = 0;
  /** Leading directories read but not (yet) reported, by relative path. */
  private readonly pending = new Map<string, Entry>();
  /** Relative paths of directories still to read, and (same index) whether each is selected, so its children are too. */
  private readonly stack: string[] = [];
  private readonly stackSelected: boolean[] = [];
  /** Below the root, everything is selected unless include patterns say otherwise. */
  private readonly rootSelected: boolean;
  /** The root as given, without a trailing slash (except `/` itself). */
  private readonly rootPath: string;
  /** The root with exactly one trailing slash, so `base + rel` is the absolute path. */
  private readonly base: string;

  constructor(
    private readonly ops: WalkOps,
    root: string,
    private readonly filter: PathFilter,
    /** Index every reported path (the onlyPaths fast path), not only non-files. */
    private readonly indexAll = false,
    /** This conduit's temp token: which temporaries are its own (see ScanOptions). */
    private readonly tempToken?: string,
  ) {
    this.rootPath = root.length > 1 ? root.replace(/\/+$/, '') || '/' : root;
    this.base = this.rootPath.endsWith('/') ? this.rootPath : `${this.rootPath}/`;
    this.rootSelected = !filter.selective;
  }

  /** Full walk. Returns the error when the root itself cannot be read. */
  walkRoot(): unknown {
    try {
      this.readDir('', this.rootSelected, this.ops.readdirSync(this.rootPath));
    } catch (err) {
      return err;
    }
    this.drain();
    return undefined;
  }

  /**
   * The watcher fast path: each path (and, for a directory, its subtree) plus
   * its ancestors, with the same filter and reporting rules as a full walk.
   * A path that no longer exists (or whose parent is no longer a directory)
   * is absent from the result; the caller knows what it asked for.
   */
  scanPaths(paths: readonly string[]): void {
    for (const rel of coveringPaths(paths)) {
      const parentSelected = this.reachAncestors(rel);
      if (parentSelected === undefined) continue;
      this.visited++;
      let entry: Entry;
      try {
        entry = this.ops.lstatSync(this.base + rel);
      } catch (err) {
        if (isFsError(err, 'ENOENT') || isFsError(err, 'ENOTDIR')) continue;
        entry = problemOf(err);
      }
      this.place(rel, entry, lastSegment(rel), parentSelected, true);
      this.drain();
    }
  }

  /**
   * Read and place every ancestor of `rel`, top down. Returns whether `rel`'s
   * parent is selected, or undefined when `rel` cannot be reached or is out of scope.
   */
  private reachAncestors(rel: string): boolean | undefined {
    let selected = this.rootSelected;
    let end = rel.indexOf('/');
    while (end >= 0) {
      const dir = rel.slice(0, end);
      const known = this.lookup(dir) ?? this.pending.get(dir);
      if (known === undefined) {
        this.visited++;
        let entry: Entry;
        try {
          entry = this.ops.lstatSync(this.base + dir);
        } catch (err) {
          if (isFsError(err, 'ENOENT') || isFsError(err, 'ENOTDIR')) return undefined;
          entry = problemOf(err);
        }
        // Placed like any walked name (a file or link where a directory was is reported as what it is now),
        // but not descended: only the asked-for paths are walked.
        const verdict = this.place(dir, entry, lastSegment(dir), selected, false);
        if (verdict === 'reportAndWalk') selected = true;
        else if (verdict !== 'walkLeading') return undefined;
      } else if (known.kind !== 'dir') {
        // Already placed as a link, file or problem: never look through it (lstat of a path below a
        // symlink would follow the link), and below a problem the contents are unknown.
        return undefined;
      } else {
        selected ||= this.filter.selectedHere(dir, true);
      }
      end = rel.indexOf('/', end + 1);
    }
    return selected;
  }

  /** Read directories off the stack until it is empty. */
  private drain(): void {
    const { stack, stackSelected, ops, base } = this;
    while (stack.length > 0) {
      const dir = stack.pop()!;
      const selected = stackSelected.pop()!;
      let names: string[];
      try {
        names = ops.readdirSync(base + dir);
      } catch (err) {
        this.report(dir, problemOf(err)); // replaces the dir entry: its subtree is unknown, not empty
        this.pending.delete(dir);
        continue;
      }
      this.readDir(dir, selected, names);
    }
  }

  private readDir(dir: string, selected: boolean, names: readonly string[]): void {
    const { ops, base } = this;
    const prefix = dir === '' ? '' : `${dir}/`;
    this.visited += names.length;
    for (const name of names) {
      const rel = prefix + name;
      let entry: Entry;
      try {
        entry = ops.lstatSync(base + rel);
      } catch (err) {
        // Unstat-able, or vanished between readdir and lstat: either way we cannot say what is there.
        entry = problemOf(err);
      }
      this.place(rel, entry, name, selected, true);
    }
  }

  /**
   * Decide what one name is to the scan and record it. `descend` is false for
   * ancestors reached on the fast path, which are recorded but not read.
   */
  private place(rel: string, entry: Entry, name: string, parentSelected: boolean, descend: boolean): Verdict {
    if (entry.kind !== 'dir') {
      const temp = parseTempName(name);
      if (temp !== null) {
        // In scope when the file it stands for is: that is the only place this conduit writes one.
        const standsFor = rel.slice(0, rel.length - name.length) + temp.name;
        if (temp.token === this.tempToken && !this.filter.excludedHere(standsFor, false) && (parentSelected || this.filter.selectedHere(standsFor, false))) {
          this.staleTemps.push(rel);
        }
        return 'skip';
      }
    }
    const verdict = this.judge(rel, entry, parentSelected);
    switch (verdict) {
      case 'skip':
        break;
      case 'report':
        this.report(rel, entry);
        break;
      case 'reportAndWalk':
        this.report(rel, entry);
        if (descend) this.push(rel, true);
        break;
      case 'walkLeading':
        this.pending.set(rel, entry);
        if (descend) this.push(rel, false);
        break;
    }
    return verdict;
  }

  private push(dir: string, selected: boolean): void {
    this.stack.push(dir);
    this.stackSelected.push(selected);
  }

  /** The filter decision for one name whose parent was walked (so no ancestor is excluded, and `parentSelected` says the rest). */
  private judge(rel: string, entry: Entry, parentSelected: boolean): Verdict {
    const { filter } = this;
    if (entry.kind === 'dir') {
      if (filter.excludedHere(rel, true)) return 'skip';
      if (parentSelected || filter.selectedHere(rel, true)) return 'reportAndWalk';
      return filter.mayContainIncluded(rel) ? 'walkLeading' : 'skip';
    }
    if (entry.kind === 'problem' && entry.code !== 'unsupported') {
      // lstat failed, so we do not know whether a file or a directory is there: hidden if either
      // reading excludes it, reported if either could be in scope (its contents are unknown, not absent).
      if (filter.excludedHere(rel, false) || filter.excludedHere(rel, true)) return 'skip';
      const maybe = parentSelected || filter.selectedHere(rel, false) || filter.selectedHere(rel, true) || filter.mayContainIncluded(rel);
      return maybe ? 'report' : 'skip';
    }
    return !filter.excludedHere(rel, false) && (parentSelected || filter.selectedHere(rel, false)) ? 'report' : 'skip';
  }

  /** Record an entry, and give it the leading directories above it that were waiting for a reason to be reported. */
  private report(rel: string, entry: Entry): void {
    this.record(rel, entry);
    if (this.pending.size === 0) return;
    // Every walked directory is either reported or pending, and a reported one has all its ancestors
    // reported, so the first ancestor that is not pending ends the climb.
    for (let p = parentOf(rel); p !== ''; p = parentOf(p)) {
      const waiting = this.pending.get(p);
      if (waiting === undefined) break;
      this.pending.delete(p);
      this.record(p, waiting);
    }
  }

  /** Like Map.set on the reported entries: a path already there keeps its place and takes the new entry. */
  private record(rel: string, entry: Entry): void {
    const at = this.index.get(rel);
    if (at !== undefined) {
      this.list[at] = entry;
      return;
    }
    if (this.indexAll || entry.kind !== 'file') this.index.set(rel, this.paths.length);
    this.paths.push(rel);
    this.list.push(entry);
  }

  private lookup(rel: string): Entry | undefined {
    const at = this.index.get(rel);
    return at === undefined ? undefined : this.list[at];
  }
}

/**
 * The asked-for paths, validated, deduplicated, and without those that lie
 * below another asked-for path (walking that one covers them: if it is a
 * directory its subtree is walked, and if it is not, nothing can be below it).
 */
function coveringPaths(paths: readonly string[]): string[] {
  for (const p of paths) {
    if (p === '' || p.startsWith('/') || p.endsWith('/') || p.split('/').some((s) => s === '' || s === '.' || s === '..')) {
      throw new Error(`scan onlyPaths: ${JSON.stringify(p)} is not a clean relative path`);
    }
  }
  // Shortest first, so an ancestor is kept before anything below it is considered.
  const unique = [...new Set(paths)].sort((a, b) => depthOf(a) - depthOf(b) || comparePaths(a, b));
  const kept = new Set<string>();
  for (const p of unique) {
    if (!ancestorsOf(p).some((a) => kept.has(a))) kept.add(p);
  }
  return [...kept];
}

function lastSegment(rel: string): string {
  return rel.slice(rel.lastIndexOf('/') + 1);
}

function problemOf(err: unknown): ProblemEntry {
  return { kind: 'problem', code: isFsError(err) ? err.code : 'EOTHER', message: describe(err) };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Scan one root: the filesystem's own `walkTree` (node: in a scan worker,
 * scan-pool.ts; memory: inline; a decorator: forwarded, or walked through its
 * hooks). The engine never asks which filesystem it has.
 */
export function scanRoot(fs: FileSystem, root: string, options: ScanOptions): Promise<ScanResult> {
  return fs.walkTree(root, options);
}

// The node implementation's scan workers live in scan-pool.ts; these stay importable from here.
export { prewarmScanWorkers, scanInWorker, stopScanWorkers } from './scan-pool.js';
