import { posix } from 'node:path';
import type { Entry } from '../core/entry.js';
import type { ScanOptions, ScanResult } from '../engine/scan.js';
import { answeredAgainst } from '../engine/scan-against.js';
import { walk } from '../engine/scan/walk.js';
import type { WatchEvent, Watcher, WatchOptions } from '../watch/watcher.js';
import { FsError, isFsError, type CopyBatches, type CopyOptions, type FileSystem, type FsErrorCode, type HashOutcome } from './file-system.js';

/**
 * A decorator that injects faults into another `FileSystem`: make one
 * operation fail on one path (`failOn`), or run code just before / after it
 * (`beforeOp`, `afterOp`) to change the world mid-run — edit a source while it
 * is being copied, delete a file between scan and copy.
 *
 * A rule matches an operation when its path matches any path the operation
 * touches: both paths of `copyFile` and `rename`, the link's path for
 * `symlink` (its text is not a path). A string matches exactly; a predicate
 * sees each path in turn. Rules are checked in the order they were added.
 *
 * The capabilities (FileSystem's doc) are forwarded to the inner filesystem —
 * its production path: node's scan and copy workers, chokidar — unless that
 * would lose a rule:
 * - `walkTree` walks inline, through this decorator's own `readdirSync` and
 *   `lstatSync`, whenever a rule concerns those two (or `inlineWalks` is set,
 *   to log every name a walk looks at); otherwise it is forwarded.
 * - `openCopyBatches` is refused (null) while any rule concerns a per-file
 *   operation of the copy protocol (lstat, copyFile, setAttributes, rename,
 *   unlink, ...; not `hash`, which no copy does): a batch
 *   runs the whole copy protocol next to the disk (in node's copy workers),
 *   out of this decorator's reach, so the engine then copies file by file
 *   through it and every such rule applies exactly as on a small plan. With
 *   no such rule the batches are forwarded, each logged as one `copyBatch`
 *   call naming every origin, temporary and destination (a rule on
 *   `copyBatch` fails or hooks a whole batch, as a dead worker would).
 *   The choice is made when the engine opens its batches, at the start of a
 *   transfer: add per-file rules before the generation runs.
 * - `hashFiles` is logged as one `hashFiles` call naming every path (a rule
 *   on `hashFiles` fails or hooks the whole set, as a lost worker would).
 *   While a rule concerns `hash`, the set is hashed here, file after file,
 *   through this decorator's own `hash`, so the rule reaches the file it
 *   names (a failure is that file's outcome); otherwise it is forwarded.
 * - `watch` is forwarded and logged.
 * Together: a fault injected here always reaches the copy, the walk or the
 * hash it names, and a decorator with no rules leaves the production path in place.
 */
/** The capabilities' own names, as rules and the call log know them. */
type CapabilityOp = 'walkTree' | 'copyBatch' | 'hashFiles' | 'watch';
export type FsOp = Exclude<keyof FileSystem, 'walkTree' | 'openCopyBatches' | 'hashFiles' | 'watch'> | CapabilityOp;

/** The walk's own calls (see `walkTree`). */
const WALK_OPS: ReadonlySet<FsOp> = new Set(['readdirSync', 'lstatSync']);
/** What a copy batch never does: hashing (the copy protocol reads no content), and the capabilities themselves. */
const NOT_IN_A_COPY: ReadonlySet<FsOp> = new Set(['walkTree', 'copyBatch', 'hash', 'hashFiles', 'watch']);
/** Everything a copy batch may do next to the disk: a rule on any of these refuses copy batches. */
const isPerFileOp = (op: FsOp): boolean => !WALK_OPS.has(op) && !NOT_IN_A_COPY.has(op);

export interface FaultyFileSystemOptions {
  /** Always walk through this decorator's own readdirSync/lstatSync, so `calls` shows every name a walk looked at. */
  readonly inlineWalks?: boolean;
}
export type PathMatcher = string | ((path: string) => boolean);
export type Hook = (path: string) => void | Promise<void>;

/** One call as the decorator saw it, for assertions ("nothing was written outside the roots"). */
export interface FsCall {
  readonly op: FsOp;
  readonly paths: readonly string[];
}

interface Rule {
  readonly op: FsOp;
  readonly match: PathMatcher;
  /** How many more times the rule fires. */
  remaining: number;
}
interface FailRule extends Rule {
  readonly code: FsErrorCode;
}
interface HookRule extends Rule {
  readonly fn: Hook;
}

export class FaultyFileSystem implements FileSystem {
  private readonly failures: FailRule[] = [];
  private readonly befores: HookRule[] = [];
  private readonly afters: HookRule[] = [];
  /** Every call, in order, including ones that failed. */
  readonly calls: FsCall[] = [];

  private readonly inlineWalks: boolean;

  /** The wrapped filesystem's link (a remote root), forwarded when it has one: a decorator never hides it. */
  readonly connect?: (signal?: AbortSignal) => Promise<AbortSignal>;

  constructor(
    readonly inner: FileSystem,
    options: FaultyFileSystemOptions = {},
  ) {
    this.inlineWalks = options.inlineWalks === true;
    if (inner.connect) this.connect = (signal) => inner.connect!(signal);
  }

  /** Make `op` throw `FsError(code)` on a matching path, `times` times (default: every time). Before the inner call: nothing happens on disk. */
  failOn(op: FsOp, match: PathMatcher, code: FsErrorCode, options: { readonly times?: number } = {}): this {
    this.failures.push({ op, match, code, remaining: options.times ?? Infinity });
    return this;
  }

  /** Run `fn(path)` just before `op` on a matching path (before any `failOn` check). Hooks on the synchronous ops must be synchronous. */
  beforeOp(op: FsOp, match: PathMatcher, fn: Hook, options: { readonly times?: number } = {}): this {
    this.befores.push({ op, match, fn, remaining: options.times ?? Infinity });
    return this;
  }

  /** Run `fn(path)` just after `op` succeeded on a matching path, before its result is returned. */
  afterOp(op: FsOp, match: PathMatcher, fn: Hook, options: { readonly times?: number } = {}): this {
    this.afters.push({ op, match, fn, remaining: options.times ?? Infinity });
    return this;
  }

  /** Forget every rule and the call log. */
  reset(): void {
    this.failures.length = 0;
    this.befores.length = 0;
    this.afters.length = 0;
    this.calls.length = 0;
  }

  readdirSync(path: string): string[] {
    return this.runSync('readdirSync', [path], () => this.inner.readdirSync(path));
  }
  lstatSync(path: string): Entry {
    return this.runSync('lstatSync', [path], () => this.inner.lstatSync(path));
  }
  readdir(path: string): Promise<string[]> {
    return this.run('readdir', [path], () => this.inner.readdir(path));
  }
  lstat(path: string): Promise<Entry> {
    return this.run('lstat', [path], () => this.inner.lstat(path));
  }
  readText(path: string): Promise<string> {
    return this.run('readText', [path], () => this.inner.readText(path));
  }
  copyFile(from: string, to: string, options?: CopyOptions): Promise<number> {
    return this.run('copyFile', [from, to], () => this.inner.copyFile(from, to, options));
  }
  setAttributes(path: string, attributes: { readonly mode?: number; readonly mtimeNs?: bigint }): Promise<void> {
    return this.run('setAttributes', [path], () => this.inner.setAttributes(path, attributes));
  }
  rename(from: string, to: string): Promise<void> {
    return this.run('rename', [from, to], () => this.inner.rename(from, to));
  }
  unlink(path: string): Promise<void> {
    return this.run('unlink', [path], () => this.inner.unlink(path));
  }
  mkdir(path: string, mode?: number): Promise<void> {
    return this.run('mkdir', [path], () => this.inner.mkdir(path, mode));
  }
  rmdir(path: string): Promise<void> {
    return this.run('rmdir', [path], () => this.inner.rmdir(path));
  }
  symlink(linkTarget: string, path: string): Promise<void> {
    return this.run('symlink', [path], () => this.inner.symlink(linkTarget, path));
  }
  hash(path: string, signal?: AbortSignal): Promise<string> {
    return this.run('hash', [path], () => this.inner.hash(path, signal));
  }

  // ---- capabilities ----

  walkTree(root: string, options: ScanOptions): Promise<ScanResult> {
    const inline = this.inlineWalks || this.hasLiveRule((op) => WALK_OPS.has(op));
    return this.run('walkTree', [root], async () => (inline ? answeredAgainst(walk(this, root, options), options) : this.inner.walkTree(root, options)));
  }

  openCopyBatches(workers: number): CopyBatches | null {
    if (this.hasLiveRule(isPerFileOp)) return null;
    const batches = this.inner.openCopyBatches(workers);
    if (batches === null) return null;
    return {
      concurrency: batches.concurrency,
      copy: (requests) => this.run('copyBatch', requests.flatMap((r) => [r.origin, r.temp, r.dest]), () => batches.copy(requests)),
      close: () => batches.close(),
    };
  }

  hashFiles(root: string, relPaths: readonly string[], signal?: AbortSignal): Promise<HashOutcome[]> {
    const paths = relPaths.map((rel) => posix.join(root, rel));
    const oneByOne = this.hasLiveRule((op) => op === 'hash');
    return this.run('hashFiles', paths, () => (oneByOne ? this.hashEach(paths, signal) : this.inner.hashFiles(root, relPaths, signal)));
  }

  /** `hashFiles` through this decorator's own `hash`, one file at a time, each file's trouble its own outcome. */
  private async hashEach(paths: readonly string[], signal?: AbortSignal): Promise<HashOutcome[]> {
    const out: HashOutcome[] = [];
    for (const path of paths) {
      try {
        if (signal?.aborted) throw new FsError('ABORTED', 'hash', path, `ABORTED: operation aborted, hash '${path}'`);
        out.push({ hash: await this.hash(path, signal) });
      } catch (err) {
        if (!isFsError(err)) throw err;
        out.push({ error: { code: err.code, message: err.message } });
      }
    }
    return out;
  }

  watch(roots: readonly string[], options: WatchOptions, onEvents: (events: readonly WatchEvent[]) => void): Watcher {
    return this.runSync('watch', roots, () => this.inner.watch(roots, options, onEvents));
  }

  /** Whether any rule that can still fire concerns an operation `concerns` accepts. */
  private hasLiveRule(concerns: (op: FsOp) => boolean): boolean {
    return [this.failures, this.befores, this.afters].some((rules) => rules.some((rule) => rule.remaining > 0 && concerns(rule.op)));
  }

  private async run<T>(op: FsOp, paths: readonly string[], call: () => Promise<T>): Promise<T> {
    this.calls.push({ op, paths });
    for (const [rule, path] of this.matching(this.befores, op, paths)) await rule.fn(path);
    this.throwIfFailing(op, paths);
    const result = await call();
    for (const [rule, path] of this.matching(this.afters, op, paths)) await rule.fn(path);
    return result;
  }

  private runSync<T>(op: FsOp, paths: readonly string[], call: () => T): T {
    this.calls.push({ op, paths });
    for (const [rule, path] of this.matching(this.befores, op, paths)) requireSync(rule.fn(path), op);
    this.throwIfFailing(op, paths);
    const result = call();
    for (const [rule, path] of this.matching(this.afters, op, paths)) requireSync(rule.fn(path), op);
    return result;
  }

  /** The first failure rule that matches throws (and uses up one of its `times`); later ones wait their turn. */
  private throwIfFailing(op: FsOp, paths: readonly string[]): void {
    const hit = this.matching(this.failures, op, paths, 1)[0];
    if (!hit) return;
    const [rule, path] = hit;
    throw new FsError(rule.code, op, path, `${rule.code}: injected fault, ${op} '${path}'`);
  }

  /** Up to `limit` rules for `op` whose matcher accepts one of `paths` (with the first such path), each using up one of its `times`. */
  private matching<R extends Rule>(rules: readonly R[], op: FsOp, paths: readonly string[], limit = Infinity): Array<[R, string]> {
    const hits: Array<[R, string]> = [];
    for (const rule of rules) {
      if (hits.length >= limit) break;
      if (rule.op !== op || rule.remaining <= 0) continue;
      const path = paths.find((p) => (typeof rule.match === 'string' ? rule.match === p : rule.match(p)));
      if (path === undefined) continue;
      rule.remaining--;
      hits.push([rule, path]);
    }
    return hits;
  }
}

function requireSync(result: void | Promise<void>, op: FsOp): void {
  if (result instanceof Promise) throw new Error(`a hook on the synchronous ${op} must not be async`);
}
