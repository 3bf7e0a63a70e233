import type { Entry } from '../core/entry.js';

/**
 * The one narrow seam through which the engine reaches a disk. The node
 * implementation (`node-file-system.ts`) is the only file that imports
 * `node:fs`; tests use the in-memory one and the fault-injecting decorator.
 * Every path here is absolute. Nothing here follows a symbolic link.
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
}

export interface FileSystem {
  /**
   * The scan walker's two calls. They are synchronous on purpose: the walk is
   * the hot path, and with the node implementation it runs inside a
   * worker_thread (engine/scan.ts), where readdirSync + lstatSync are ~5x
   * faster than promise-based calls and keep the service's event loop free.
   * `readdirSync` returns names (unsorted); both throw FsError.
   */
  readdirSync(path: string): string[];
  lstatSync(path: string): Entry;
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
}
