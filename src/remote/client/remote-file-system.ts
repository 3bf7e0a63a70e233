import { randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import type { SideBaselineColumns } from '../../core/change-set.js';
import { columnRuns, columnsBytesBound, columnsOfRows, rowsWithinPaths, sliceColumns } from '../../core/change-set/column-rows.js';
import type { Entry } from '../../core/entry.js';
import type { CopyRequest } from '../../engine/copy-protocol.js';
import type { CopyItemResult, MkdirItemResult } from '../../engine/copy-sync.js';
import type { MkdirRequest } from '../../engine/mkdir-protocol.js';
import type { ScanOptions, ScanResult } from '../../engine/scan.js';
import {
  FsError, LinkLostError, UnreachableError, type CopyBatches, type CopyOptions, type FileSystem, type HashOutcome,
} from '../../fs/file-system.js';
import type { WatchEvent, Watcher, WatchOptions } from '../../watch/watcher.js';
import type { AgentLink, CallOptions } from '../link/link.js';
import type { LinkSource } from '../link/link-source.js';
import { watchRemote } from './remote-watch.js';
import { clampPieceBytes, columnsDigest, HELD_COLUMNS_PER_ROOT, WalkAssembly, type ColumnsPieceParams, type WalkAnswer, type WalkParams } from '../wire/walk-wire.js';

/** Knobs for tests and the bench; the defaults are the product's. */
export interface RemoteTuning {
  /** A walk's pieces, both ways (walk-wire.ts `WALK_PIECE_BYTES`; clamped to MIN_WALK_PIECE_BYTES…WALK_PIECE_BYTES). */
  readonly pieceBytes?: number;
}

/**
 * The digests of the columns each agent (link) was sent, per root, oldest
 * first, as many as it keeps (agent/walk-serve.ts): what it is believed to
 * hold. Only a belief: the agent answers `need` when it does not.
 */
const heldByLink = new WeakMap<AgentLink, Map<string, string[]>>();

/** Uploads of columns under way on each link, by digest and root. */
const uploadsByLink = new WeakMap<AgentLink, Map<string, Promise<void>>>();

/** Digests of columns already hashed (the same columns object walked again costs no second hash). */
const digests = new WeakMap<SideBaselineColumns, string>();

function digestOf(columns: SideBaselineColumns): string {
  let digest = digests.get(columns);
  if (digest === undefined) {
    digest = columnsDigest(columns);
    digests.set(columns, digest);
  }
  return digest;
}

/**
 * A root on another host (issue 10): the FileSystem seam over the agent
 * protocol (link.ts), speaking the far host's REAL paths (the split
 * filesystem, split-file-system.ts, translates the engine's mount paths).
 * Per-operation calls are one agent call each (agent/fs-handlers.ts answers
 * them with the far host's NodeFileSystem); the capabilities run in the
 * agent, next to the disk, and only their results cross: the walk (in its
 * scan workers, against the baseline's columns), hash sets, copy batches
 * within the far host (its copy workers), watching (remote-watch.ts).
 *
 * Errors: the agent's FsErrors keep their code. A call that fails because
 * the link dropped (or could not be made) rejects with an FsError ABORTED
 * carrying the LinkLostError's (UnreachableError's) message, so the engine's
 * per-path rules apply; `connect` and `walkTree` reject with the link error
 * itself. The walk's synchronous calls (`readdirSync`, `lstatSync`) are
 * refused: the walk runs in the agent, and listings elsewhere use `readdir`.
 */
export class RemoteFileSystem implements FileSystem {
  /** The most bytes one piece of a walk's columns or answer encodes to (walk-wire.ts). */
  private readonly pieceBytes: number;

  constructor(readonly source: LinkSource, tuning: RemoteTuning = {}) {
    this.pieceBytes = clampPieceBytes(tuning.pieceBytes);
  }

  // ---- the link ----

  async connect(signal?: AbortSignal): Promise<AbortSignal> {
    const link = await this.source.link(signal);
    return link.lost;
  }

  /** One agent call; link trouble as an FsError ABORTED naming `op` and `path`. */
  private async call<T>(method: string, params: unknown, op: string, path: string, options?: CallOptions): Promise<T> {
    let link: AgentLink;
    try {
      link = await this.source.link(options?.signal);
    } catch (err) {
      throw asFsError(err, op, path);
    }
    try {
      return await link.call<T>(method, params, options);
    } catch (err) {
      if (options?.signal?.aborted && !(err instanceof FsError)) throw abortedError(op, path);
      throw asFsError(err, op, path);
    }
  }

  // ---- the walk's synchronous calls: refused ----

  readdirSync(path: string): string[] {
    throw syncRefused('readdirSync', path);
  }

  lstatSync(path: string): Entry {
    throw syncRefused('lstatSync', path);
  }

  // ---- per-operation calls ----

  readdir(path: string): Promise<string[]> {
    return this.call('readdir', { path }, 'readdir', path);
  }

  lstat(path: string): Promise<Entry> {
    return this.call('lstat', { path }, 'lstat', path);
  }

  readText(path: string): Promise<string> {
    return this.call('readText', { path }, 'readText', path);
  }

  /**
   * Within the far host (both paths there): the agent copies, nothing
   * crosses but progress. With a throttle, the agent asks before each chunk
   * and this side answers once the throttle let it pass (`copyGrant`).
   * An abort is sent as `copyCancel`, not as the call's cancel: the agent
   * answers the copy only once it has removed the partial destination, so
   * when this rejects, nothing of it is left.
   */
  async copyFile(from: string, to: string, options: CopyOptions = {}): Promise<number> {
    if (options.signal?.aborted) throw abortedError('copyFile', to);
    let link: AgentLink;
    try {
      link = await this.source.link(options.signal);
    } catch (err) {
      throw options.signal?.aborted ? abortedError('copyFile', to) : asFsError(err, 'copyFile', from);
    }
    const throttle = options.throttle;
    const token = randomUUID();
    // Stops this side's waits on the throttle; the agent stops on `copyCancel`.
    const stop = new AbortController();
    let failed: unknown;
    const cancel = (reason: unknown): void => {
      if (stop.signal.aborted) return;
      stop.abort(reason);
      void link.call('copyCancel', { token }).catch(() => undefined);
    };
    const onAbort = (): void => cancel(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const onEvent = (value: unknown): void => {
      const event = value as { progress?: number; take?: number };
      if (typeof event.progress === 'number') options.onProgress?.(event.progress);
      if (typeof event.take === 'number' && throttle) {
        throttle.take(event.take, stop.signal).then(() => link.call('copyGrant', { token })).catch((err: unknown) => {
          if (stop.signal.aborted) return;
          failed ??= err;
          cancel(err);
        });
      }
    };
    try {
      const bytes = await link.call<number>('copyFile', { from, to, token, paced: throttle !== undefined }, { onEvent });
      options.onProgress?.(bytes);
      return bytes;
    } catch (err) {
      if (options.signal?.aborted) throw abortedError('copyFile', to);
      if (failed !== undefined) throw asFsError(failed, 'copyFile', to);
      throw asFsError(err, 'copyFile', from);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  setAttributes(path: string, attributes: { readonly mode?: number; readonly mtimeNs?: bigint }): Promise<void> {
    const params: { path: string; mode?: number; mtimeNs?: bigint } = { path };
    if (attributes.mode !== undefined) params.mode = attributes.mode;
    if (attributes.mtimeNs !== undefined) params.mtimeNs = attributes.mtimeNs;
    return this.call('setAttributes', params, 'setAttributes', path);
  }

  rename(from: string, to: string): Promise<void> {
    return this.call('rename', { from, to }, 'rename', from);
  }

  unlink(path: string): Promise<void> {
    return this.call('unlink', { path }, 'unlink', path);
  }

  mkdir(path: string, mode?: number): Promise<void> {
    return this.call('mkdir', mode === undefined ? { path } : { path, mode }, 'mkdir', path);
  }

  rmdir(path: string): Promise<void> {
    return this.call('rmdir', { path }, 'rmdir', path);
  }

  symlink(linkTarget: string, path: string): Promise<void> {
    return this.call('symlink', { linkTarget, path }, 'symlink', path);
  }

  async hash(path: string, signal?: AbortSignal): Promise<string> {
    if (signal?.aborted) throw abortedError('hash', path);
    try {
      return await this.call<string>('hash', { path }, 'hash', path, signal ? { signal } : {});
    } catch (err) {
      if (signal?.aborted) throw abortedError('hash', path);
      throw err;
    }
  }

  // ---- capabilities, in the agent ----

  /**
   * In the agent (its scan workers), against the baseline's columns, and
   * only what the walk needs crosses (walk-wire.ts): a fast-path walk sends
   * the rows in its scope; a full walk names its columns by digest and sends
   * them, in pieces, only when the agent does not hold them already; the
   * entries come back packed, in pieces, rebuilt here exactly as a local scan
   * worker's reply is (scan-pool.ts). A dropped link rejects with the
   * LinkLostError: a walk has no per-path result to put it in.
   */
  async walkTree(root: string, options: ScanOptions): Promise<ScanResult> {
    const link = await this.source.link();
    const asked: ScanOptions = { rules: options.rules, onlyPaths: options.onlyPaths, tempToken: options.tempToken };
    const pieceBytes = this.pieceBytes;
    const walk = async (params: WalkParams): Promise<ScanResult | null> => {
      const assembly = new WalkAssembly();
      const answer = await link.call<WalkAnswer>('walkTree', params, { onEvent: (piece) => assembly.add(piece) });
      return answer.need === 'columns' ? null : assembly.result(answer, root);
    };
    const against = options.against === undefined || options.onlyPaths === undefined
      ? options.against
      : columnsOfRows(options.against, rowsWithinPaths(options.against, options.onlyPaths));
    if (against === undefined) return (await walk({ root, options: asked, pieceBytes }))!;
    // A fast-path walk's few rows travel inline: no digest to compute, no round trip, nothing kept by the agent.
    if (options.onlyPaths !== undefined && columnsBytesBound(against) <= pieceBytes) {
      return (await walk({ root, options: { ...asked, against }, pieceBytes }))!;
    }
    const digest = digestOf(against);
    const held = heldByLink.get(link) ?? new Map<string, string[]>();
    heldByLink.set(link, held);
    if (!(held.get(root) ?? []).includes(digest)) await this.sendColumns(link, root, against, digest, held);
    for (let attempt = 1; ; attempt++) {
      const walked = await walk({ root, options: asked, columns: { digest }, pieceBytes });
      if (walked !== null) return walked;
      // RACE: the agent let them go between their upload and this walk (walks of this root with other
      // columns, uploaded since): sent again. Only a storm of such walks could make this fail.
      if (attempt === 3) throw new Error(`walkTree ${root}: the agent on ${link.host} did not keep the baseline columns it was sent`);
      await this.sendColumns(link, root, against, digest, held);
    }
  }

  /**
   * The columns to the agent in pieces of at most `pieceBytes`, one after
   * the other (each waits for the link). Walks that need the same columns at
   * once share one upload (the agent takes one upload per digest).
   */
  private sendColumns(link: AgentLink, root: string, columns: SideBaselineColumns, digest: string, held: Map<string, string[]>): Promise<void> {
    let sending = uploadsByLink.get(link);
    if (sending === undefined) uploadsByLink.set(link, (sending = new Map()));
    const key = `${digest}\0${root}`;
    const running = sending.get(key);
    if (running !== undefined) return running;
    const upload = this.uploadColumns(link, root, columns, digest, held).finally(() => sending.delete(key));
    sending.set(key, upload);
    return upload;
  }

  private async uploadColumns(link: AgentLink, root: string, columns: SideBaselineColumns, digest: string, held: Map<string, string[]>): Promise<void> {
    const without = (): string[] => (held.get(root) ?? []).filter((d) => d !== digest);
    held.set(root, without());
    let whole = false;
    for (const [start, end] of columnRuns(columns, this.pieceBytes)) {
      const params: ColumnsPieceParams = { root, digest, count: columns.count, at: start, piece: sliceColumns(columns, start, end) };
      whole = await link.call<boolean>('walkColumns', params);
    }
    if (!whole) throw new Error(`walkTree ${root}: the agent on ${link.host} did not take the baseline columns whole`);
    held.set(root, [...without(), digest].slice(-HELD_COLUMNS_PER_ROOT));
  }

  /**
   * In the agent (its hash workers). Once `signal` aborts the agent answers
   * the rest as ABORTED; a link that drops (or cannot be made) makes every
   * file of the set ABORTED with its message: none may be assumed hashed.
   */
  async hashFiles(root: string, relPaths: readonly string[], signal?: AbortSignal): Promise<HashOutcome[]> {
    const abortedAll = (message: (path: string) => string): HashOutcome[] =>
      relPaths.map((rel) => ({ error: { code: 'ABORTED', message: message(posix.join(root, rel)) } }));
    if (signal?.aborted) return abortedAll((path) => `ABORTED: operation aborted, hash '${path}'`);
    if (relPaths.length === 0) return [];
    try {
      const link = await this.source.link(signal);
      return await link.call<HashOutcome[]>('hashFiles', { root, relPaths }, signal ? { signal } : {});
    } catch (err) {
      if (signal?.aborted) return abortedAll((path) => `ABORTED: operation aborted, hash '${path}'`);
      if (isLinkTrouble(err)) return abortedAll((path) => `ABORTED: ${err.message}, hash '${path}'`);
      throw err;
    }
  }

  /** Copies within the far host, in the agent's copy workers (opened there on the first batch). */
  openCopyBatches(workers: number): CopyBatches & Required<Pick<CopyBatches, 'makeDirectories'>> {
    return new RemoteCopyBatches(this.source, Math.max(1, workers));
  }

  /** Each root watched by the agent (remote-watch.ts); events name the roots as given. */
  watch(roots: readonly string[], options: WatchOptions, onEvents: (events: readonly WatchEvent[]) => void): Watcher {
    const watchers = roots.map((root) => watchRemote(this.source, root, root, options, onEvents));
    return {
      ready: Promise.all(watchers.map((w) => w.ready)).then(() => undefined),
      close: async () => {
        await Promise.all(watchers.map((w) => w.close()));
      },
    };
  }
}

/**
 * Copy batches in the agent: one session of its copy workers, opened on the
 * first batch, on the link current then. A batch whose link drops answers
 * every item ABORTED (none may be assumed to have landed; the copy protocol
 * leaves no partial file at a final path); after a reconnect, a new session
 * of workers is opened on the new link.
 */
class RemoteCopyBatches implements CopyBatches {
  private opened: Promise<{ link: AgentLink; id: number }> | null = null;
  private closed = false;

  constructor(private readonly source: LinkSource, readonly concurrency: number) {}

  private session(): Promise<{ link: AgentLink; id: number }> {
    if (this.opened === null) return this.reopen();
    const current = this.opened;
    // Batches that find the session gone at once open one new session between them, not one each.
    const again = (): Promise<{ link: AgentLink; id: number }> => (this.opened !== current && this.opened !== null ? this.opened : this.reopen());
    return current.then((s) => (s.link.lost.aborted ? again() : s), again);
  }

  private reopen(): Promise<{ link: AgentLink; id: number }> {
    const opening = (async () => {
      const link = await this.source.link();
      const id = await link.call<number>('copyBatchesOpen', { workers: this.concurrency });
      return { link, id };
    })();
    this.opened = opening;
    return opening;
  }

  copy(requests: readonly CopyRequest[]): Promise<CopyItemResult[]> {
    return this.run<CopyItemResult>('copyBatch', requests, requests.map((r) => r.dest), 'copy');
  }

  makeDirectories(requests: readonly MkdirRequest[]): Promise<MkdirItemResult[]> {
    return this.run<MkdirItemResult>('mkdirBatch', requests, requests.map((r) => r.path), 'mkdir');
  }

  private async run<R>(method: string, requests: readonly unknown[], paths: readonly string[], op: string): Promise<R[]> {
    if (this.closed) throw new Error(`${method}: the copy batches were closed`);
    if (requests.length === 0) return [];
    try {
      const { link, id } = await this.session();
      return await link.call<R[]>(method, { id, requests });
    } catch (err) {
      if (!isLinkTrouble(err)) throw err;
      return paths.map((path) => ({ ok: false, error: { code: 'ABORTED', op, path, message: `ABORTED: ${err.message}, ${op} '${path}'` } }) as R);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const opened = this.opened;
    this.opened = null;
    if (opened === null) return;
    try {
      const { link, id } = await opened;
      if (!link.lost.aborted) await link.call('copyBatchesClose', { id });
    } catch {
      // The link is gone, and the agent's workers with its session.
    }
  }
}

function isLinkTrouble(err: unknown): err is LinkLostError | UnreachableError {
  return err instanceof LinkLostError || err instanceof UnreachableError;
}

/** What a per-path call rejects with: the agent's FsError as it is; link trouble (and anything else) as an FsError. */
function asFsError(err: unknown, op: string, path: string): FsError {
  if (err instanceof FsError) return err;
  if (isLinkTrouble(err)) return Object.assign(new FsError('ABORTED', op, path, `ABORTED: ${err.message}, ${op} '${path}'`), { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  return Object.assign(new FsError('EOTHER', op, path, `EOTHER: ${message}, ${op} '${path}'`), { cause: err });
}

function abortedError(op: string, path: string): FsError {
  return new FsError('ABORTED', op, path, `ABORTED: operation aborted, ${op} '${path}'`);
}

function syncRefused(op: string, path: string): FsError {
  return new FsError('EOTHER', op, path, `EOTHER: synchronous call on a remote root, ${op} '${path}' (the walk runs in the agent; list with readdir)`);
}
