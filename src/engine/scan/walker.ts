import { parentOf, type Entry, type ProblemEntry } from '../../core/entry.js';
import { isFsError, type FileSystem } from '../../fs/file-system.js';
import { parseTempName, type PathFilter } from '../filters.js';
import type { BaselineMatch } from './baseline-match.js';
import { coveringPaths } from './covering-paths.js';

/** The two calls a walk needs, made next to the disk (node's scan worker, the in-memory filesystem, a decorator walking through its hooks). */
export type WalkOps = Pick<FileSystem, 'readdirSync' | 'lstatSync'>;

/**
 * What the walk does with a name once it knows its entry:
 * - `skip`: not reported, not descended (excluded, pruned, or out of scope);
 * - `report`: a non-directory, or a problem;
 * - `reportAndWalk`: a directory in scope for itself;
 * - `walkLeading`: a leading directory, walked and reported only if something below it is.
 */
type Verdict = 'skip' | 'report' | 'reportAndWalk' | 'walkLeading';

/**
 * One walk of one root: a full walk (`walkRoot`) or the fast path
 * (`scanPaths`), each name judged by the filter as it is met.
 */
export class Walker {
  /** Reported entries: path i has entry i, in report order (see walk.ts `CollectedWalk`). */
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
  /** On the fast path against a baseline: the entries placed but not reported (unchanged), so an ancestor is never placed twice. */
  private readonly placedUnchanged = new Map<string, Entry>();
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
    /** Compare with this side's baseline (ScanOptions.against): an entry exactly as its row is counted, not reported. */
    private readonly match?: BaselineMatch,
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
    // A full walk never indexes files (and meets each once), so it need not look one up.
    const at = this.indexAll || entry.kind !== 'file' ? this.index.get(rel) : undefined;
    if (at !== undefined) {
      this.list[at] = entry;
      return;
    }
    if (this.match?.unchangedAt(rel, entry)) {
      if (this.indexAll) this.placedUnchanged.set(rel, entry);
      return;
    }
    if (this.indexAll || entry.kind !== 'file') this.index.set(rel, this.paths.length);
    this.paths.push(rel);
    this.list.push(entry);
  }

  private lookup(rel: string): Entry | undefined {
    const at = this.index.get(rel);
    return at === undefined ? this.placedUnchanged.get(rel) : this.list[at];
  }
}

function lastSegment(rel: string): string {
  return rel.slice(rel.lastIndexOf('/') + 1);
}

function problemOf(err: unknown): ProblemEntry {
  return { kind: 'problem', code: isFsError(err) ? err.code : 'EOTHER', message: errorMessage(err) };
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
