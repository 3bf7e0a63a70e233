import type { Entry, FileEntry } from '../core/entry.js';
import type { CopyRequest } from '../engine/copy-protocol.js';
import type { CopyItemResult, MkdirItemResult } from '../engine/copy-sync.js';
import type { MkdirRequest } from '../engine/mkdir-protocol.js';
import type { ScanOptions, ScanResult } from '../engine/scan.js';
import type { WatchEvent, Watcher, WatchOptions } from '../watch/watcher.js';

/**
 * The one narrow seam through which conduit reaches a disk. The node
 * implementation (`node-file-system.ts`) is the only file that imports
 * `node:fs` for the roots; tests use the in-memory one and the
 * fault-injecting decorator; remote roots will add one that talks to an agent
 * on the far host. Every path here is absolute. Nothing here follows a
 * symbolic link. Paths and names are conduit's strings for bytes
 * (`byte-names.ts`): an implementation that talks to a real disk converts them
 * at its edge.
 *
 * Two kinds of method:
 * - per-operation calls (lstat, copyFile, rename, ...), the engine's building
 *   blocks, each one step on one or two paths;
 * - capabilities over a whole tree or a batch (`walkTree`, `openCopyBatches`,
 *   `hashFiles`, `watch`; DESIGN "Wave 2": the seam carries capabilities, not
 *   `instanceof`). Each implementation does them its own way — node in
 *   worker threads, memory inline, remote in the agent — and the engine never
 *   asks which one it has. Their arguments and results are plain data
 *   (structured-clonable: they cross a worker boundary now, an SSH channel
 *   later). A decorator (e.g. faulty-file-system.ts) either forwards a
 *   capability to the filesystem it wraps or performs it through its own
 *   per-operation methods, so that what it adds applies inside; where it can
 *   do neither it refuses (`openCopyBatches` → null) and the engine takes the
 *   per-operation path through it. It never silently drops what it adds.
 *   (Syncthing's lib/fs has the same shape: `Walk` and `Watch` are methods of
 *   its Filesystem, and wrappers such as its walk filesystem implement them
 *   over the wrapped one's Lstat/DirNames.)
 */

/** errno codes conduit distinguishes; everything else maps to `EOTHER`. Mapped once, at the implementation edge. */
export const FS_ERROR_CODES = [
  'ENOENT', 'EACCES', 'EPERM', 'EEXIST', 'ENOTDIR', 'EISDIR', 'ENOTEMPTY', 'ENOSPC', 'EDQUOT',
  'EXDEV', 'ELOOP', 'EIO', 'EBUSY', 'EROFS', 'EMFILE', 'ENAMETOOLONG', 'ABORTED', 'EOTHER',
] as const;
export type FsErrorCode = (typeof FS_ERROR_CODES)[number];

/** Errors that concern one path and may pass by themselves; the next generation retries them. */
const TRANSIENT: ReadonlySet<FsErrorCode> = new Set(['ENOENT', 'EBUSY', 'EMFILE', 'ENOSPC', 'EDQUOT', 'EIO', 'EACCES', 'EPERM', 'ABORTED', 'EOTHER', 'EEXIST', 'ENOTEMPTY', 'ENOTDIR', 'EISDIR']);

export class FsError extends Error {
  constructor(
    readonly code: FsErrorCode,
    readonly op: string,
    readonly path: string,
    message?: string,
  ) {
    super(message ?? `${code}: ${op} ${path}`);
    this.name = 'FsError';
  }

  get transient(): boolean {
    return TRANSIENT.has(this.code);
  }
}

export function isFsError(err: unknown, code?: FsErrorCode): err is FsError {
  return err instanceof FsError && (code === undefined || err.code === code);
}

/**
 * A remote root's host cannot be reached (issue 10): the connection was
 * refused or timed out, authentication or the host key failed, or the agent
 * could not start or speaks no version in common. One line, naming the host
 * and the cause (with the far side's stderr when it said something). A
 * generation that meets it is refused before anything is written, with the
 * conduit's state `unreachable`.
 */
export class UnreachableError extends Error {
  constructor(readonly host: string, readonly reason: string) {
    super(`cannot reach ${host}: ${reason}`);
    this.name = 'UnreachableError';
  }
}

/**
 * The link to a remote root's host dropped while in use. Calls in flight and
 * later calls on that link reject with it (wrapped as an FsError with code
 * ABORTED where a per-path result is expected); a generation that meets it
 * stops as `interrupted` with what landed (FileSystem.connect's signal).
 */
export class LinkLostError extends Error {
  constructor(readonly host: string, readonly reason: string) {
    super(`lost the connection to ${host}: ${reason}`);
    this.name = 'LinkLostError';
  }
}

/** lstat, with nothing there (ENOENT, or a component that is no longer a directory) as null; anything else throws. */
export async function lstatOrNull(fs: Pick<FileSystem, 'lstat'>, path: string): Promise<Entry | null> {
  try {
    return await fs.lstat(path);
  } catch (err) {
    if (isFsError(err, 'ENOENT') || isFsError(err, 'ENOTDIR')) return null;
    throw err;
  }
}

/** A token-bucket throttle shared by every transfer of one generation (bandwidthLimitMbps). */
export interface Throttle {
  /** Resolves once `bytes` may pass. */
  take(bytes: number, signal?: AbortSignal): Promise<void>;
}

export interface CopyOptions {
  readonly signal?: AbortSignal;
  /** When set, the copy streams through it instead of using the kernel copy. */
  readonly throttle?: Throttle;
  /** Called as bytes land (at least once, at the end). */
  readonly onProgress?: (bytesSoFar: number) => void;
  /**
   * A file on the destination's host that probably shares blocks with `from`,
   * usually the destination being replaced. A copy across a link (remote
   * roots, remote/client/cross-copy.ts) then sends only the blocks that differ; a
   * local copy ignores it. Never written to; not a regular file: ignored.
   */
  readonly basis?: string;
}

/**
 * Descriptor-level reads and writes for copies that stream bytes across a
 * link (remote/client/cross-copy.ts, the agent's copy handlers): the origin is read
 * through one O_NOFOLLOW descriptor (so what was read and the entry seen
 * while reading belong to the same file), the temporary written through one
 * created exclusively. Node has them (node-file-system.ts); `hasDescriptorOps`
 * tells whether a filesystem does.
 */
export interface DescriptorOps {
  /** Open a regular file for reading, never through a link (ELOOP), never blocking on a FIFO. */
  openForRead(path: string): Promise<ReadHandle>;
  /** Create `path` exclusively (EEXIST), never through a link, mode 0600 until `finish`. */
  createExclusive(path: string): Promise<WriteHandle>;
  /** Read up to `limit` bytes of a regular file through one O_NOFOLLOW descriptor; `data` null when it is not one (a link swapped in). */
  readOriginSync(path: string, limit: number): { readonly data: Buffer | null; readonly origin: Entry | null };
  /** Create `path` exclusively, write `data`, give it `mode` and `mtimeNs`: what it holds, seen through its descriptor. */
  writeTempSync(path: string, data: Uint8Array, mode: number, mtimeNs: bigint): Entry;
}

export interface ReadHandle {
  /** Up to `length` bytes from the current position; empty at the end. */
  read(length: number): Promise<Buffer>;
  /** Up to `length` bytes at `position` (the position for `read` does not move). */
  readAt(position: number, length: number): Promise<Buffer>;
  /** The file as its descriptor sees it now (fstat). */
  entry(): Promise<Entry>;
  close(): Promise<void>;
}

export interface WriteHandle {
  /** Write all of `data` at `position`. */
  writeAt(position: number, data: Uint8Array): Promise<void>;
  /** Set mode (and mtime), close, and say what the file holds, seen through its descriptor. */
  finish(attributes: { readonly mode: number; readonly mtimeNs?: bigint }): Promise<Entry>;
  /** Close and remove the file (it is this call's own, created exclusively). */
  discard(): Promise<void>;
}

export function hasDescriptorOps(fs: object): fs is DescriptorOps {
  const candidate = fs as Partial<DescriptorOps>;
  return typeof candidate.openForRead === 'function' && typeof candidate.createExclusive === 'function'
    && typeof candidate.readOriginSync === 'function' && typeof candidate.writeTempSync === 'function';
}

/**
 * A session of batched small-file copies (`FileSystem.openCopyBatches`): each
 * request runs the whole copy protocol (copy-protocol.ts, SPEC §3) next to the
 * disk, synchronously — for node inside copy workers, where a synchronous call
 * costs a fraction of an async one.
 */
export interface CopyBatches {
  /** How many batches may be in flight at once (node: one per copy worker). */
  readonly concurrency: number;
  /**
   * One result per request, in order. One file's trouble is that item's
   * result, never a rejection; it rejects only when the batch as a whole was
   * lost (a worker died), and then none of it may be assumed to have landed.
   */
  copy(requests: readonly CopyRequest[]): Promise<CopyItemResult[]>;
  /**
   * Optional: make directories the same way (engine/mkdir-protocol.ts), one
   * result per request, in order, the same rules as `copy`. The engine sends
   * one depth level at a time: a batch never holds a directory and its parent.
   */
  makeDirectories?(requests: readonly MkdirRequest[]): Promise<MkdirItemResult[]>;
  /** Stop the session (its workers). The engine closes what it opened. */
  close(): Promise<void>;
}

/**
 * The synchronous steps of the copy protocol, as a batch runs them next to the
 * disk (engine/copy-sync.ts `copySync`): inside node's copy workers, inline in
 * the in-memory filesystem. Not part of `FileSystem`: the engine never calls
 * them; it asks for `openCopyBatches`, and the implementation runs the
 * protocol over these. Covered by the contract suite (test/fs). All throw
 * FsError like the rest.
 */
export interface SyncCopyOps {
  /** lstat, with nothing there (ENOENT, or a parent that is no longer a directory) as null. */
  lstatOrNullSync(path: string): Entry | null;
  /** Copy a regular file to `to`, which must not exist (EEXIST otherwise); `to` gets `from`'s permission bits. */
  copyFileSync(from: string, to: string): void;
  /** Mode and mtime of a regular file conduit has just created exclusively (a temporary). */
  setCreatedFileAttributesSync(path: string, mode: number, mtimeNs: bigint): void;
  renameSync(from: string, to: string): void;
  unlinkSync(path: string): void;
  /**
   * Optional, the three steps above that fill a temporary in one call, through
   * descriptors (node: fewer system calls per small file, and the origin is
   * never read through a link): copy the regular file `from`, planned as
   * `planned`, to `to`, which must not exist (EEXIST), give `to` the planned
   * mode and mtime, and say what the origin was while it was read and what
   * `to` now holds. When the origin is not a regular file any more, `to` may
   * not be created (`written` null). Without it, a batch runs `copyFileSync`,
   * `setCreatedFileAttributesSync` and `lstatOrNullSync(from)`.
   */
  copyToTempSync?(from: string, to: string, planned: FileEntry): FilledTemp;
  /**
   * Optional, for batches of directories (`CopyBatches.makeDirectories`):
   * mkdir, exclusive; with `mode`, the directory gets exactly those bits.
   */
  mkdirSync?(path: string, mode?: number): void;
  /** Optional, with `mkdirSync`: remove an empty directory (ENOTEMPTY otherwise). */
  rmdirSync?(path: string): void;
}

/** What `SyncCopyOps.copyToTempSync` (and the copy protocol's `copyToTemp` step) answers. */
export interface FilledTemp {
  /** The origin as it was while it was read; null: nothing there, or not a regular file (a link swapped in). */
  readonly origin: Entry | null;
  /**
   * What the temporary holds, mode and mtime set, seen through the descriptor
   * it was written through; null when the filler did not look (the protocol
   * then looks at the destination after the rename) or did not create it.
   */
  readonly written: Entry | null;
}

/** Why one file of a `hashFiles` set has no hash: an FsError as plain data. */
export interface HashFailure {
  readonly code: FsErrorCode;
  /** Names the code, the call and the path, like an FsError's message. */
  readonly message: string;
}

/** One file's answer from `hashFiles`: its content hash (sha256, hex), or why there is none. */
export type HashOutcome = { readonly hash: string } | { readonly error: HashFailure };

/**
 * Hashing one file synchronously, next to the disk: what each item of a
 * `hashFiles` set is, inside node's workers and inline in the in-memory
 * filesystem (engine/hash-sync.ts drives a set over it). Not part of
 * `FileSystem`, like SyncCopyOps; covered by the contract suite.
 */
export interface SyncHashOps {
  /**
   * sha256 (hex) of a regular file, never through a link (ELOOP); a
   * directory is EISDIR, anything else that is not a regular file EOTHER.
   * `stopped` is asked between reads: when it says yes the call throws
   * ABORTED. Throws FsError.
   */
  hashFileSync(path: string, stopped?: () => boolean): string;
}

export interface FileSystem {
  /**
   * The scan walker's two calls (engine/scan/walk.ts `walk`), used where a walk
   * runs next to the disk: inside node's scan worker, inline in the in-memory
   * one and in a decorator that walks through its own hooks; also by the
   * versioning prune walk. Synchronous on purpose: the walk is the hot path,
   * and in a worker readdirSync + lstatSync are ~5x faster than promise-based
   * calls. `readdirSync` returns names (unsorted); both throw FsError.
   * A remote filesystem has neither (the walk runs in its agent): code that
   * lists outside a walk (versioning's prune walk and listing) uses `readdir`.
   */
  readdirSync(path: string): string[];
  lstatSync(path: string): Entry;
  /** The names in a directory (unsorted, links included, never followed); throws FsError. Works on every root, remote ones included. */
  readdir(path: string): Promise<string[]>;
  /** lstat one path; throws FsError (ENOENT when absent). Sockets, FIFOs, devices come back as a `problem` entry with code `unsupported`. */
  lstat(path: string): Promise<Entry>;
  /** Read a whole small file as UTF-8 (used for `.conduitignore`); throws FsError. */
  readText(path: string): Promise<string>;
  /** Copy `from` to `to`, which must not exist (exclusive create). Returns bytes written. */
  copyFile(from: string, to: string, options?: CopyOptions): Promise<number>;
  /** Set permission bits and mtime (nanoseconds) of a file or directory; never follows a link. */
  setAttributes(path: string, attributes: { readonly mode?: number; readonly mtimeNs?: bigint }): Promise<void>;
  /** Atomic rename within one filesystem (replaces a file at `to`). */
  rename(from: string, to: string): Promise<void>;
  /** Remove a file or a symbolic link (never what it points to). */
  unlink(path: string): Promise<void>;
  /** Create one directory (parent must exist). */
  mkdir(path: string, mode?: number): Promise<void>;
  /** Remove one empty directory (ENOTEMPTY otherwise). */
  rmdir(path: string): Promise<void>;
  /** Create a symbolic link at `path` whose text is `linkTarget`, verbatim. */
  symlink(linkTarget: string, path: string): Promise<void>;
  /** Content hash (sha256, hex) of a regular file. */
  hash(path: string, signal?: AbortSignal): Promise<string>;

  // ---- capabilities (see the top of this file) ----

  /**
   * Walk one root into a ScanResult (engine/scan/walk.ts `walk`: filters while
   * walking, never through a link, problems as data), or only
   * `options.onlyPaths` and their ancestors. Node walks in a scan worker,
   * memory inline. Disk trouble is data in the result (problem entries, the
   * root's state); it rejects only on a bug.
   */
  walkTree(root: string, options: ScanOptions): Promise<ScanResult>;
  /**
   * Batched small-file copies with `workers` workers, or null when this
   * filesystem does not batch (then the engine copies each file through the
   * per-operation methods above: always correct, only slower). The caller
   * closes the session.
   */
  openCopyBatches(workers: number): CopyBatches | null;
  /**
   * Content hashes of a set of regular files under `root`: one outcome per
   * relative path, in order (each path is `root` joined with it). Exactly what
   * `hash` would say of each, never through a link. One file's trouble is
   * that item's `error`, never a rejection; once `signal` aborts, the files
   * not hashed yet come back as ABORTED errors. Node hashes in worker threads
   * (the scan workers, both roots' sets at once), memory inline. It rejects
   * only when the set as a whole was lost (a bug, or a fault injected on
   * `hashFiles`); then no hash of it may be assumed.
   */
  hashFiles(root: string, relPaths: readonly string[], signal?: AbortSignal): Promise<HashOutcome[]>;
  /**
   * Watch `roots` for changes below them (watch/watcher.ts has the event
   * shapes) until `close`. Node: chokidar, one inotify watch per directory;
   * memory: an in-process emitter fed by its own writes.
   */
  watch(roots: readonly string[], options: WatchOptions, onEvents: (events: readonly WatchEvent[]) => void): Watcher;

  /**
   * Optional, for a filesystem that reaches a disk over a link (remote roots,
   * issue 10): make sure the link is up, connecting if needed. Resolves to a
   * signal that aborts (reason: LinkLostError) when that link drops; rejects
   * with UnreachableError when the host cannot be reached. A generation calls
   * it first, so an unreachable host refuses it before anything is written,
   * and stops as `interrupted` when the signal aborts. Without it, the disk
   * is always there (local).
   */
  connect?(signal?: AbortSignal): Promise<AbortSignal>;
}
