import type { Entry } from '../core/entry.js';
import { FsError, type CopyOptions, type FileSystem, type FsErrorCode } from './file-system.js';

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
 */
export type FsOp = keyof FileSystem;
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

  constructor(readonly inner: FileSystem) {}

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
