import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import type { BigIntStats } from 'node:fs';
import type { Entry, FileEntry } from '../core/entry.js';
import { CopyPool } from '../engine/copy-pool.js';
import { hashInWorkers } from '../engine/hash-pool.js';
import type { ScanOptions, ScanResult } from '../engine/scan.js';
import { scanInWorker } from '../engine/scan-pool.js';
import { expectedState, type ObservedState } from '../watch/observation.js';
import type { WatchEvent, Watcher, WatchOptions } from '../watch/watcher.js';
import { bytesOfName, mayNeedBytes, nameFromBytes, needsBytes } from './byte-names.js';
import {
  FS_ERROR_CODES, FsError, type CopyBatches, type CopyOptions, type DescriptorOps, type FileSystem, type FilledTemp, type FsErrorCode, type HashOutcome, type ReadHandle, type SyncCopyOps, type SyncHashOps,
  type WriteHandle,
} from './file-system.js';

/**
 * The real disk. This is the only file in conduit that imports `node:fs` for
 * the roots, and the only place errno codes are turned into `FsError`s
 * (`toFsError`). Its capabilities run where they are fastest: `walkTree` in a
 * scan worker (engine/scan-pool.ts), `openCopyBatches` in copy workers
 * (engine/copy-pool.ts), `hashFiles` in the scan workers too
 * (engine/hash-pool.ts), `watch` through chokidar (watch/watcher.ts, which
 * gets its lstat from here); the workers meet the disk through a
 * NodeFileSystem of their own, so every byte of every path crosses the same
 * edge.
 *
 * Names are bytes (byte-names.ts): a directory listing whose names Node could
 * not decode losslessly is read again as bytes, and every path holding an
 * escape character is handed to node:fs as a Buffer (`native`).
 *
 * Nothing here follows a symbolic link: `lstat`, `lutimes`, `O_NOFOLLOW` on
 * every open, no chmod on links (Linux has no lchmod). The one exception is
 * the kernel copy, see `copyFile`.
 */
/** A path as node:fs must get it: the string itself, or its bytes when it holds an escape character (byte-names.ts). */
function native(path: string): string | Buffer {
  return needsBytes(path) ? bytesOfName(path) : path;
}

/** Names of a directory listing as conduit strings: read again as bytes when Node's decoding may have lost some. */
function namesOf(path: string, decoded: string[]): string[] {
  for (const name of decoded) {
    if (mayNeedBytes(name)) {
      // RACE: the directory may change between the two listings; the second one is the answer.
      return fs.readdirSync(native(path), { encoding: 'buffer' }).map(nameFromBytes);
    }
  }
  return decoded;
}

/** A link's text as a conduit string (its bytes verbatim, like a name). */
function linkTextOf(path: string, decoded: string): string {
  return mayNeedBytes(decoded) ? nameFromBytes(fs.readlinkSync(native(path), { encoding: 'buffer' })) : decoded;
}

/**
 * The per-file hot path calls fs's callback functions through this adapter
 * rather than `fs/promises`: on Node 20 a `fs.promises.lstat` costs about
 * five times the callback call (measured here: 20,000 lstats 864 ms vs
 * 153 ms), and an initial mirror makes several calls per file. `fs/promises`
 * stays where it is not hot (streams, hashing, reading one config file).
 */
function viaCallback<T>(start: (done: (err: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => start((err, value) => (err ? reject(err) : resolve(value as T))));
}

// Every path goes through `native` (byte-names.ts) on its way in.
const call = {
  lstat: (path: string) => viaCallback<BigIntStats>((done) => fs.lstat(native(path), { bigint: true }, done)),
  readlink: (path: string) => viaCallback<string>((done) => fs.readlink(native(path), done)),
  copyFile: (from: string, to: string, flags: number) => viaCallback<void>((done) => fs.copyFile(native(from), native(to), flags, done)),
  rename: (from: string, to: string) => viaCallback<void>((done) => fs.rename(native(from), native(to), done)),
  unlink: (path: string) => viaCallback<void>((done) => fs.unlink(native(path), done)),
  chmod: (path: string, mode: number) => viaCallback<void>((done) => fs.chmod(native(path), mode, done)),
  lutimes: (path: string, atime: number, mtime: number) => viaCallback<void>((done) => fs.lutimes(native(path), atime, mtime, done)),
  mkdir: (path: string, mode?: number) => viaCallback<void>((done) => fs.mkdir(native(path), mode === undefined ? {} : { mode }, (err) => done(err))),
  rmdir: (path: string) => viaCallback<void>((done) => fs.rmdir(native(path), done)),
  symlink: (linkTarget: string, path: string) => viaCallback<void>((done) => fs.symlink(native(linkTarget), native(path), done)),
  open: (path: string, flags: number) => viaCallback<number>((done) => fs.open(native(path), flags, done)),
  fchmod: (fd: number, mode: number) => viaCallback<void>((done) => fs.fchmod(fd, mode, done)),
  futimes: (fd: number, atime: number, mtime: number) => viaCallback<void>((done) => fs.futimes(fd, atime, mtime, done)),
  close: (fd: number) => viaCallback<void>((done) => fs.close(fd, done)),
};

/** Open for reading without following a final link (files and directories alike): the handle for fchmod/futimes. */
const NO_FOLLOW_READ = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW;
/** `copyToTempSync`: the origin never through a link, and never blocking (a FIFO swapped in); the temporary created exclusively. */
const COPY_SOURCE_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK;
const COPY_TEMP_FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;

export class NodeFileSystem implements FileSystem, SyncCopyOps, SyncHashOps, DescriptorOps {
  readdirSync(path: string): string[] {
    try {
      return namesOf(path, fs.readdirSync(native(path)));
    } catch (err) {
      throw toFsError(err, 'readdirSync', path);
    }
  }

  async readdir(path: string): Promise<string[]> {
    let decoded: string[];
    try {
      decoded = await viaCallback<string[]>((done) => fs.readdir(native(path), done));
    } catch (err) {
      throw toFsError(err, 'readdir', path);
    }
    try {
      return namesOf(path, decoded);
    } catch (err) {
      throw toFsError(err, 'readdir', path);
    }
  }

  lstatSync(path: string): Entry {
    let st: BigIntStats;
    try {
      st = fs.lstatSync(native(path), { bigint: true });
    } catch (err) {
      throw toFsError(err, 'lstatSync', path);
    }
    return entryFromStats(path, st, () => {
      try {
        return linkTextOf(path, fs.readlinkSync(native(path)));
      } catch (err) {
        throw toFsError(err, 'lstatSync', path);
      }
    });
  }

  // ---- SyncCopyOps: the copy protocol's steps for the copy workers (engine/copy-worker.ts) ----
  // Off the main thread a synchronous call costs a fraction of an async one (no threadpool round
  // trip); these are the copy protocol's steps, nothing more. They throw FsError like the rest.

  /** lstat, with nothing there (ENOENT, or a parent that is no longer a directory) as null. */
  lstatOrNullSync(path: string): Entry | null {
    let st: BigIntStats | undefined;
    try {
      st = fs.lstatSync(native(path), { bigint: true, throwIfNoEntry: false });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
      throw toFsError(err, 'lstat', path);
    }
    if (st === undefined) return null;
    return entryFromStats(path, st, () => {
      try {
        return linkTextOf(path, fs.readlinkSync(native(path)));
      } catch (err) {
        throw toFsError(err, 'lstat', path);
      }
    });
  }

  /** The kernel copy to a destination that must not exist (see `copyFile`). */
  copyFileSync(from: string, to: string): void {
    try {
      fs.copyFileSync(native(from), native(to), fs.constants.COPYFILE_EXCL | fs.constants.COPYFILE_FICLONE);
    } catch (err) {
      throw toFsError(err, 'copyFile', from);
    }
  }

  /**
   * Mode and mtime of a regular file conduit has just created exclusively (a
   * temporary): no link check is needed, unlike `setAttributes`.
   */
  setCreatedFileAttributesSync(path: string, mode: number, mtimeNs: bigint): void {
    const seconds = secondsFromNs(utimesAim(mtimeNs));
    let fd: number | undefined;
    try {
      // Through a descriptor opened without following a link: chmod/utimes by path would
      // follow a temporary that someone swapped for a link and change the link's target.
      fd = fs.openSync(native(path), NO_FOLLOW_READ);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EACCES') throw toFsError(err, 'setAttributes', path);
    }
    try {
      if (fd !== undefined) {
        fs.fchmodSync(fd, mode & 0o7777);
        fs.futimesSync(fd, seconds, seconds);
      } else {
        // A file its owner may not read (mode 0200, conduit not root): only the path is left.
        // RACE: a temporary swapped for a link between its creation and here is followed.
        const at = native(path);
        fs.chmodSync(at, mode & 0o7777);
        fs.utimesSync(at, seconds, seconds);
      }
    } catch (err) {
      throw toFsError(err, 'setAttributes', path);
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }

  /**
   * `copyFileSync` + `setCreatedFileAttributesSync` + the look at the origin,
   * through descriptors, for the copy workers' small files: open the origin
   * without following a link (and O_NONBLOCK, so a FIFO swapped in cannot
   * block), read it into a buffer kept for the thread, create the temporary
   * exclusively (with its final mode when the umask allows) and write the
   * bytes, futimes its descriptor, fstat both. Nine system calls for a file
   * that fits the buffer and a mode the umask keeps (ten with the fchmod
   * otherwise), where the kernel copy and the by-path steps took fourteen (libuv's copyfile opens, fstats,
   * fchmods and tries a reflink on its own; then open, fchmod, futimes, close,
   * lstat of the origin and, after the rename, of the destination). The
   * origin's fstat after the read is what was read, whatever the path names
   * by then; the temporary's is what lands, whatever races the name after the
   * rename. Reads stop one byte past the planned size: a file that grew is
   * changed anyway (the fstat says so), and a device swapped in is never read
   * without end.
   */
  copyToTempSync(from: string, to: string, planned: FileEntry): FilledTemp {
    let src: number | undefined;
    let dst: number | undefined;
    let at = from;
    try {
      try {
        src = fs.openSync(native(from), COPY_SOURCE_FLAGS);
      } catch (err) {
        // A link swapped in for the file since the scan: not the file planned, and never read through.
        if ((err as NodeJS.ErrnoException).code === 'ELOOP') return { origin: null, written: null };
        throw err;
      }
      const buffer = (copyBuffer ??= Buffer.allocUnsafe(COPY_BUFFER_BYTES));
      const want = (total: number) => Math.min(buffer.length, planned.size - total + 1);
      let got: number;
      try {
        got = fs.readSync(src, buffer, 0, want(0), null);
      } catch (err) {
        // A directory swapped in (a FIFO reads as empty, and its fstat tells): not the file planned.
        if ((err as NodeJS.ErrnoException).code !== 'EISDIR') throw err;
        return { origin: entryFromStats(from, fs.fstatSync(src, { bigint: true }), unreachable), written: null };
      }
      at = to;
      const mode = planned.mode & 0o7777;
      // Created with its final mode when the umask leaves all of it (and no set-id or sticky bit is
      // asked for): then no fchmod is needed, one system call less per file.
      const exact = (mode & 0o7000) === 0 && (mode & processUmask()) === 0;
      dst = fs.openSync(native(to), COPY_TEMP_FLAGS, exact ? mode : 0o600);
      for (let total = 0; ; ) {
        for (let done = 0; done < got; ) done += fs.writeSync(dst, buffer, done, got - done);
        const asked = want(total);
        total += got;
        // A short read proves the end without another read; past the planned size the file is changed anyway.
        if (got < asked || got === 0 || total > planned.size) break;
        at = from;
        got = fs.readSync(src, buffer, 0, want(total), null);
        at = to;
      }
      const seconds = secondsFromNs(utimesAim(planned.mtimeNs));
      if (!exact) fs.fchmodSync(dst, mode);
      fs.futimesSync(dst, seconds, seconds);
      at = from;
      const origin = entryFromStats(from, fs.fstatSync(src, { bigint: true }), unreachable);
      at = to;
      let written = entryFromStats(to, fs.fstatSync(dst, { bigint: true }), unreachable);
      if (exact && written.kind === 'file' && written.mode !== mode) {
        // The umask changed since it was read: set the mode after all.
        cachedUmask = undefined;
        fs.fchmodSync(dst, mode);
        written = entryFromStats(to, fs.fstatSync(dst, { bigint: true }), unreachable);
      }
      // Closed here, not quietly: on some filesystems (NFS) a write's failure shows only at close.
      const closing = dst;
      dst = undefined;
      fs.closeSync(closing);
      return { origin, written };
    } catch (err) {
      throw toFsError(err, 'copyFile', at);
    } finally {
      if (src !== undefined) closeQuietly(src);
      if (dst !== undefined) closeQuietly(dst);
    }
  }

  renameSync(from: string, to: string): void {
    try {
      fs.renameSync(native(from), native(to));
    } catch (err) {
      throw toFsError(err, 'rename', from);
    }
  }

  unlinkSync(path: string): void {
    try {
      fs.unlinkSync(native(path));
    } catch (err) {
      throw toFsError(err, 'unlink', path);
    }
  }

  /** `mkdir` for a batch of directories in a copy worker (mkdir-protocol.ts): the same calls, synchronous. */
  mkdirSync(path: string, mode?: number): void {
    try {
      fs.mkdirSync(native(path), mode === undefined ? {} : { mode: mode & 0o7777 });
      if (mode !== undefined) fs.chmodSync(native(path), mode & 0o7777);
    } catch (err) {
      throw toFsError(err, 'mkdir', path);
    }
  }

  rmdirSync(path: string): void {
    try {
      fs.rmdirSync(native(path));
    } catch (err) {
      throw rmdirError(err, path);
    }
  }

  // ---- SyncHashOps: one file of a hashFiles set, in a hash worker (engine/hash-pool.ts) ----

  /**
   * One open (O_NOFOLLOW, and O_NONBLOCK so that a FIFO swapped in since the
   * scan cannot block the worker), one fstat, then reads into a buffer kept
   * for the thread: a file that fits (most do) is hashed from a single read
   * sized to what fstat said, a larger one streams through it in chunks,
   * `stopped` asked before each. The streamed `hash` costs a 256 KiB stream,
   * promises and several thread-pool round trips per file; this costs four
   * system calls.
   */
  hashFileSync(path: string, stopped?: () => boolean): string {
    let fd: number | undefined;
    try {
      fd = fs.openSync(native(path), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
      const st = fs.fstatSync(fd);
      if (st.isDirectory()) throw new FsError('EISDIR', 'hash', path, `EISDIR: illegal operation on a directory, hash '${path}'`);
      if (!st.isFile()) throw new FsError('EOTHER', 'hash', path, `EOTHER: not a regular file, hash '${path}'`);
      const buffer = (hashBuffer ??= Buffer.allocUnsafe(HASH_READ_BYTES));
      const digest = createHash('sha256');
      let total = 0;
      for (;;) {
        if (stopped?.()) throw abortedError('hash', path);
        // Up to one byte past the size fstat gave, so that a short read proves the end without another read.
        // RACE: the file may change while it is read; what was read is what is hashed (see content-hashes.ts).
        const want = total <= st.size ? Math.min(buffer.length, st.size - total + 1) : buffer.length;
        const got = fs.readSync(fd, buffer, 0, want, null);
        if (got === 0) break;
        digest.update(buffer.subarray(0, got));
        total += got;
        if (got < want && total === st.size) break;
      }
      return digest.digest('hex');
    } catch (err) {
      throw toFsError(err, 'hash', path);
    } finally {
      if (fd !== undefined) {
        try {
          fs.closeSync(fd);
        } catch {
          // Closing a descriptor only read from loses nothing.
        }
      }
    }
  }

  async lstat(path: string): Promise<Entry> {
    let st: BigIntStats;
    try {
      st = await call.lstat(path);
    } catch (err) {
      throw toFsError(err, 'lstat', path);
    }
    if (!st.isSymbolicLink()) return entryFromStats(path, st, unreachable);
    let linkTarget: string;
    try {
      // RACE: the link may be replaced between lstat and readlink; readlink then
      // fails (EINVAL → EOTHER, or ENOENT) and the caller sees an error, never a wrong entry.
      linkTarget = await call.readlink(path);
      if (mayNeedBytes(linkTarget)) linkTarget = linkTextOf(path, linkTarget);
    } catch (err) {
      throw toFsError(err, 'lstat', path);
    }
    return entryFromStats(path, st, () => linkTarget);
  }

  async readText(path: string): Promise<string> {
    try {
      const handle = await fs.promises.open(native(path), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
      try {
        return await handle.readFile({ encoding: 'utf8' });
      } finally {
        await handle.close();
      }
    } catch (err) {
      throw toFsError(err, 'readText', path);
    }
  }

  async copyFile(from: string, to: string, options: CopyOptions = {}): Promise<number> {
    throwIfAborted(options.signal, 'copyFile', to);
    return options.throttle ? this.streamCopy(from, to, options) : this.kernelCopy(from, to, options);
  }

  /**
   * The fast path: the kernel copies (reflink where the filesystem has it,
   * copy_file_range otherwise), measured close to `cp -a`. libuv removes the
   * destination itself when the copy fails after creating it.
   */
  private async kernelCopy(from: string, to: string, options: CopyOptions): Promise<number> {
    try {
      // RACE: copyfile opens `from` without O_NOFOLLOW, so a file swapped for a
      // link after the scan would be read through it. The caller re-lstats the
      // origin after the copy (transfer.ts) and discards the result in that case.
      await call.copyFile(from, to, fs.constants.COPYFILE_EXCL | fs.constants.COPYFILE_FICLONE);
    } catch (err) {
      throw toFsError(err, 'copyFile', from);
    }
    // The kernel copy cannot be cut short; an abort that arrived meanwhile still
    // means "this did not land", the same as with the streaming copy.
    if (options.signal?.aborted) {
      await call.unlink(to).catch(() => undefined);
      throw abortedError('copyFile', to);
    }
    let bytes: number;
    try {
      bytes = Number((await call.lstat(to)).size);
    } catch (err) {
      throw toFsError(err, 'copyFile', to);
    }
    options.onProgress?.(bytes);
    return bytes;
  }

  /** Under a bandwidth limit: chunks through the throttle, destination created exclusively. */
  private async streamCopy(from: string, to: string, options: CopyOptions): Promise<number> {
    const throttle = options.throttle!;
    let source: fs.promises.FileHandle | undefined;
    let dest: fs.promises.FileHandle | undefined;
    let currentPath = from;
    let bytes = 0;
    try {
      source = await fs.promises.open(native(from), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
      const mode = Number((await source.stat()).mode) & 0o7777;
      currentPath = to;
      dest = await fs.promises.open(native(to), fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, mode);
      const buffer = Buffer.allocUnsafe(STREAM_CHUNK_BYTES);
      for (;;) {
        throwIfAborted(options.signal, 'copyFile', to);
        currentPath = from;
        const { bytesRead } = await source.read(buffer, 0, buffer.length, null);
        if (bytesRead === 0) break;
        await throttle.take(bytesRead, options.signal);
        throwIfAborted(options.signal, 'copyFile', to);
        currentPath = to;
        let written = 0;
        while (written < bytesRead) {
          const { bytesWritten } = await dest.write(buffer, written, bytesRead - written, null);
          written += bytesWritten;
        }
        bytes += bytesRead;
        options.onProgress?.(bytes);
      }
      if (bytes === 0) options.onProgress?.(0);
      await dest.close();
      dest = undefined;
      return bytes;
    } catch (err) {
      // Only a destination this call created is removed; an existing one (EEXIST) is never touched.
      if (dest) {
        await dest.close().catch(() => undefined);
        dest = undefined;
        await fs.promises.unlink(native(to)).catch(() => undefined);
      }
      throw toFsError(err, 'copyFile', currentPath);
    } finally {
      await source?.close().catch(() => undefined);
      await dest?.close().catch(() => undefined);
    }
  }

  async setAttributes(path: string, attributes: { readonly mode?: number; readonly mtimeNs?: bigint }): Promise<void> {
    const seconds = attributes.mtimeNs === undefined ? undefined : secondsFromNs(utimesAim(attributes.mtimeNs));
    let fd: number | undefined;
    try {
      // A descriptor opened without following a link, so neither chmod nor utimes can reach
      // through a path swapped for a link (Linux has no lchmod). A link itself (ELOOP) keeps
      // its meaningless mode and gets its mtime with lutimes.
      fd = await call.open(path, NO_FOLLOW_READ);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ELOOP' && code !== 'EACCES') throw toFsError(err, 'setAttributes', path);
      try {
        if (code === 'EACCES' && attributes.mode !== undefined) {
          // Unreadable to its owner (mode 0200 or 0300, conduit not root): only the path is left.
          // RACE: a path swapped for a link between this lstat and chmod has its target chmod'ed.
          const st = await call.lstat(path);
          if (!st.isSymbolicLink()) await call.chmod(path, attributes.mode & 0o7777);
        }
        // atime = the new mtime: deterministic, costs no extra stat or clock read, and a
        // freshly written copy's access time carries nothing a user could lose.
        if (seconds !== undefined) await call.lutimes(path, seconds, seconds);
        return;
      } catch (inner) {
        throw toFsError(inner, 'setAttributes', path);
      }
    }
    try {
      if (attributes.mode !== undefined) await call.fchmod(fd, attributes.mode & 0o7777);
      if (seconds !== undefined) await call.futimes(fd, seconds, seconds);
    } catch (err) {
      throw toFsError(err, 'setAttributes', path);
    } finally {
      await call.close(fd).catch(() => undefined);
    }
  }

  async rename(from: string, to: string): Promise<void> {
    try {
      await call.rename(from, to);
    } catch (err) {
      throw toFsError(err, 'rename', from);
    }
  }

  async unlink(path: string): Promise<void> {
    try {
      await call.unlink(path);
    } catch (err) {
      throw toFsError(err, 'unlink', path);
    }
  }

  /** With `mode`, the directory gets exactly those bits (the umask would otherwise clear some). */
  async mkdir(path: string, mode?: number): Promise<void> {
    try {
      await call.mkdir(path, mode === undefined ? undefined : mode & 0o7777);
      if (mode !== undefined) await call.chmod(path, mode & 0o7777);
    } catch (err) {
      throw toFsError(err, 'mkdir', path);
    }
  }

  async rmdir(path: string): Promise<void> {
    try {
      await call.rmdir(path);
    } catch (err) {
      throw rmdirError(err, path);
    }
  }

  async symlink(linkTarget: string, path: string): Promise<void> {
    try {
      await call.symlink(linkTarget, path);
    } catch (err) {
      throw toFsError(err, 'symlink', path);
    }
  }

  async hash(path: string, signal?: AbortSignal): Promise<string> {
    throwIfAborted(signal, 'hash', path);
    try {
      // O_NONBLOCK and the kind check: a FIFO swapped in for the file must not block, nor hash as empty (see hashFileSync).
      const handle = await fs.promises.open(native(path), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
      const st = await handle.stat().catch(async (err: unknown) => {
        await handle.close();
        throw err;
      });
      if (!st.isFile()) {
        await handle.close();
        if (st.isDirectory()) throw new FsError('EISDIR', 'hash', path, `EISDIR: illegal operation on a directory, hash '${path}'`);
        throw new FsError('EOTHER', 'hash', path, `EOTHER: not a regular file, hash '${path}'`);
      }
      const digest = createHash('sha256');
      // handle.createReadStream closes the handle when the stream ends or fails.
      const stream = handle.createReadStream({ highWaterMark: STREAM_CHUNK_BYTES, signal });
      for await (const chunk of stream) digest.update(chunk as Buffer);
      return digest.digest('hex');
    } catch (err) {
      if (signal?.aborted) throw abortedError('hash', path);
      throw toFsError(err, 'hash', path);
    }
  }

  // ---- capabilities ----

  /** In a scan worker (engine/scan-pool.ts), which walks with a NodeFileSystem of its own. */
  // ---- DescriptorOps (file-system.ts): copies across a link (remote/client/cross-copy.ts, the agent) ----

  async openForRead(path: string): Promise<ReadHandle> {
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(native(path), COPY_SOURCE_FLAGS);
    } catch (err) {
      throw toFsError(err, 'open', path);
    }
    const fail = (err: unknown): never => {
      throw toFsError(err, 'read', path);
    };
    let position = 0;
    return {
      async read(length) {
        const got = await handle.read(Buffer.allocUnsafe(length), 0, length, position).catch(fail);
        position += got.bytesRead;
        return got.buffer.subarray(0, got.bytesRead);
      },
      async readAt(at, length) {
        const got = await handle.read(Buffer.allocUnsafe(length), 0, length, at).catch(fail);
        return got.buffer.subarray(0, got.bytesRead);
      },
      async entry() {
        return entryFromStats(path, await handle.stat({ bigint: true }).catch(fail), unreachable);
      },
      close: () => handle.close().catch(() => undefined),
    };
  }

  async createExclusive(path: string): Promise<WriteHandle> {
    let handle: fs.promises.FileHandle | undefined;
    try {
      handle = await fs.promises.open(native(path), COPY_TEMP_FLAGS, 0o600);
    } catch (err) {
      throw toFsError(err, 'create', path);
    }
    const open = handle;
    return {
      async writeAt(position, data) {
        try {
          for (let done = 0; done < data.length; ) done += (await open.write(data, done, data.length - done, position + done)).bytesWritten;
        } catch (err) {
          throw toFsError(err, 'write', path);
        }
      },
      async finish(attributes) {
        try {
          await open.chmod(attributes.mode & 0o7777);
          if (attributes.mtimeNs !== undefined) {
            const seconds = secondsFromNs(utimesAim(attributes.mtimeNs));
            await open.utimes(seconds, seconds);
          }
          const written = entryFromStats(path, await open.stat({ bigint: true }), unreachable);
          // Closed here, not quietly: on some filesystems (NFS) a write's failure shows only at close.
          await open.close();
          return written;
        } catch (err) {
          await open.close().catch(() => undefined);
          throw toFsError(err, 'finish', path);
        }
      },
      async discard() {
        await open.close().catch(() => undefined);
        await fs.promises.unlink(native(path)).catch(() => undefined);
      },
    };
  }

  readOriginSync(path: string, limit: number): { readonly data: Buffer | null; readonly origin: Entry | null } {
    let fd: number | undefined;
    try {
      try {
        fd = fs.openSync(native(path), COPY_SOURCE_FLAGS);
      } catch (err) {
        // A link swapped in for the file since the scan: not the file planned, and never read through.
        if ((err as NodeJS.ErrnoException).code === 'ELOOP') return { data: null, origin: null };
        throw err;
      }
      const data = Buffer.allocUnsafe(Math.max(0, limit));
      let total = 0;
      try {
        for (;;) {
          const got = total < data.length ? fs.readSync(fd, data, total, data.length - total, null) : 0;
          total += got;
          if (got === 0) break;
        }
      } catch (err) {
        // A directory swapped in: not the file planned (its fstat says what it is).
        if ((err as NodeJS.ErrnoException).code !== 'EISDIR') throw err;
        return { data: null, origin: entryFromStats(path, fs.fstatSync(fd, { bigint: true }), unreachable) };
      }
      const origin = entryFromStats(path, fs.fstatSync(fd, { bigint: true }), unreachable);
      return { data: origin.kind === 'file' ? data.subarray(0, total) : null, origin };
    } catch (err) {
      throw toFsError(err, 'copyFile', path);
    } finally {
      if (fd !== undefined) closeQuietly(fd);
    }
  }

  writeTempSync(path: string, data: Uint8Array, mode: number, mtimeNs: bigint): Entry {
    let fd: number | undefined;
    try {
      fd = fs.openSync(native(path), COPY_TEMP_FLAGS, 0o600);
      for (let done = 0; done < data.length; ) done += fs.writeSync(fd, data, done, data.length - done);
      fs.fchmodSync(fd, mode & 0o7777);
      const seconds = secondsFromNs(utimesAim(mtimeNs));
      fs.futimesSync(fd, seconds, seconds);
      const written = entryFromStats(path, fs.fstatSync(fd, { bigint: true }), unreachable);
      const closing = fd;
      fd = undefined;
      fs.closeSync(closing);
      return written;
    } catch (err) {
      throw toFsError(err, 'copyFile', path);
    } finally {
      if (fd !== undefined) closeQuietly(fd);
    }
  }

  walkTree(root: string, options: ScanOptions): Promise<ScanResult> {
    return scanInWorker(root, options);
  }

  /** `workers` copy workers (engine/copy-pool.ts), each copying through a NodeFileSystem of its own. */
  openCopyBatches(workers: number): CopyBatches {
    return CopyPool.start(workers);
  }

  /** In the scan workers (engine/hash-pool.ts), each hashing through a NodeFileSystem of its own (`hashFileSync`). */
  hashFiles(root: string, relPaths: readonly string[], signal?: AbortSignal): Promise<HashOutcome[]> {
    return hashInWorkers(root, relPaths, signal);
  }

  /**
   * chokidar (watch/watcher.ts), with this filesystem's lstat for what each
   * named path holds. Loaded on first use: the scan and copy workers import
   * this file and never watch.
   */
  watch(roots: readonly string[], options: WatchOptions, onEvents: (events: readonly WatchEvent[]) => void): Watcher {
    const started = import('../watch/watcher.js').then((m) => m.watchWithChokidar(roots, options, onEvents, (path) => this.observe(path)));
    return {
      ready: started.then((w) => w.ready),
      close: async () => (await started).close(),
    };
  }

  /** What is at `path` now, for the watcher. */
  private async observe(path: string): Promise<ObservedState> {
    try {
      return expectedState(await this.lstat(path));
    } catch (err) {
      const code = err instanceof FsError ? err.code : 'EOTHER';
      return code === 'ENOENT' || code === 'ENOTDIR' ? { kind: 'absent' } : { kind: 'unknown' };
    }
  }
}

/** Chunk of a throttled copy or a hash read: large enough that per-chunk overhead stays negligible. */
const STREAM_CHUNK_BYTES = 256 * 1024;

/**
 * `hashFileSync`'s read buffer, one per thread, made on first use: files up to
 * this size are read whole in one call, larger ones in chunks of it.
 */
const HASH_READ_BYTES = 1024 * 1024;
let hashBuffer: Buffer | undefined;

/** `copyToTempSync`'s buffer, one per thread, made on first use: the copy workers' files (at most 4 MiB) go through it in a few reads. */
const COPY_BUFFER_BYTES = 1024 * 1024;
let copyBuffer: Buffer | undefined;

/**
 * The process's umask, read once (reading it is two system calls); conduit
 * never changes it, and `copyToTempSync` notices if something else did.
 */
let cachedUmask: number | undefined;
function processUmask(): number {
  return (cachedUmask ??= process.umask());
}

/** Closing a descriptor only read from, or one of a copy that failed anyway: a failure to close adds nothing. */
function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // Nothing to do: the descriptor is gone either way.
  }
}

const KNOWN_CODES: ReadonlySet<string> = new Set(FS_ERROR_CODES);

/**
 * errno → FsError, once. Keeps Node's own message (`EACCES: permission denied,
 * open '/x/y'`), which names the code, the system call and the path.
 */
export function toFsError(err: unknown, op: string, path: string): FsError {
  if (err instanceof FsError) return err;
  const e = err as NodeJS.ErrnoException | undefined;
  if (e && typeof e === 'object' && e.name === 'AbortError') return abortedError(op, path);
  const raw = typeof e?.code === 'string' ? e.code : undefined;
  const code: FsErrorCode = raw !== undefined && KNOWN_CODES.has(raw) ? (raw as FsErrorCode) : 'EOTHER';
  // Node reports a path given as bytes decoded (lossily); conduit's own string for it is `path`.
  const where = typeof e?.path === 'string' && !e.path.includes('\uFFFD') ? e.path : path;
  const detail = e instanceof Error ? e.message : String(err);
  const message = raw !== undefined && detail.startsWith(`${raw}:`) ? detail : `${raw ?? code}: ${detail}, ${op} '${where}'`;
  return new FsError(code, op, where, message);
}

/** POSIX lets rmdir report a non-empty directory as EEXIST; callers need one code for it. */
function rmdirError(err: unknown, path: string): FsError {
  const mapped = toFsError(err, 'rmdir', path);
  if (mapped.code === 'EEXIST') return new FsError('ENOTEMPTY', 'rmdir', path, mapped.message.replace(/^EEXIST/, 'ENOTEMPTY'));
  return mapped;
}

function abortedError(op: string, path: string): FsError {
  return new FsError('ABORTED', op, path, `ABORTED: operation aborted, ${op} '${path}'`);
}

function throwIfAborted(signal: AbortSignal | undefined, op: string, path: string): void {
  if (signal?.aborted) throw abortedError(op, path);
}

function unreachable(): string {
  throw new Error('readlink requested for a non-link');
}

function entryFromStats(path: string, st: BigIntStats, readLink: () => string): Entry {
  const ino = Number(st.ino);
  if (st.isFile()) return { kind: 'file', size: Number(st.size), mtimeNs: st.mtimeNs, mode: Number(st.mode & 0o7777n), ino };
  if (st.isDirectory()) return { kind: 'dir', mode: Number(st.mode & 0o7777n), mtimeNs: st.mtimeNs, ino };
  if (st.isSymbolicLink()) return { kind: 'symlink', linkTarget: readLink(), mtimeNs: st.mtimeNs, ino };
  const what = st.isSocket() ? 'socket' : st.isFIFO() ? 'FIFO' : st.isBlockDevice() ? 'block device' : st.isCharacterDevice() ? 'character device' : 'unknown file type';
  return { kind: 'problem', code: 'unsupported', message: `unsupported: ${what} is not synced, lstat '${path}'` };
}

/**
 * What to ask utimes for so that `ns` lands within 1 µs: libuv
 * (`uv__fs_to_timespec`) truncates the double it is given to whole
 * microseconds, so a double that rounded a hair below the true value (±120 ns
 * today) used to land a whole µs early — up to ~2 µs off, outside the
 * cross-side slack, and mirror then re-copied the file on every generation.
 * Aiming at the middle of the value's microsecond makes the truncation land on
 * that microsecond. (Negative times keep the plain conversion.)
 */
export function utimesAim(ns: bigint): bigint {
  return ns < 0n ? ns : (ns / 1_000n) * 1_000n + 500n;
}

/**
 * Nanoseconds → the seconds-as-a-double that utimes takes, rounded once: whole
 * seconds and the fraction are converted separately, so the only loss is the
 * final double's own precision (~240 ns for today's dates), where
 * `Number(ns) / 1e9` would round twice.
 */
export function secondsFromNs(ns: bigint): number {
  const whole = ns / 1_000_000_000n;
  const fraction = ns % 1_000_000_000n;
  return Number(whole) + Number(fraction) / 1e9;
}
