import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { Entry } from '../core/entry.js';
import { copySync } from '../engine/copy-sync.js';
import { hashFilesSync } from '../engine/hash-sync.js';
import type { ScanOptions, ScanResult } from '../engine/scan.js';
import { answeredAgainst } from '../engine/scan-against.js';
import { walk } from '../engine/scan/walk.js';
import { expectedState, type ObservedState } from '../watch/observation.js';
import type { WatchEvent, Watcher, WatchOptions } from '../watch/watcher.js';
import {
  FsError, type CopyBatches, type CopyOptions, type FileSystem, type FsErrorCode, type HashOutcome, type SyncCopyOps, type SyncHashOps,
} from './file-system.js';

/**
 * An in-memory `FileSystem` for fast tests, with the error semantics of the
 * node implementation (ENOENT, EEXIST on exclusive create, ENOTEMPTY,
 * ENOTDIR, EISDIR, ELOOP when asked to read through a link).
 *
 * - Symbolic links are stored as text and never followed, not even as an
 *   intermediate path component (that is ENOTDIR here): conduit must never
 *   walk through a link, and a test that tries should fail loudly.
 * - Every node gets a fresh, increasing inode number; rename keeps it.
 * - Every write stamps a strictly increasing mtime from `clockNs` (two writes
 *   never share an mtime), unless the caller sets one.
 * - Sockets/FIFOs/devices can be planted with `mkspecial` and lstat as
 *   `unsupported` problems, like the node implementation.
 * - Every async operation yields to the event loop at least once, so
 *   concurrency in the engine is real concurrency in tests too.
 * - The capabilities run inline: `walkTree` is the scan walk over
 *   readdirSync/lstatSync, a copy batch is the copy protocol over the
 *   synchronous steps (SyncCopyOps), a hash set is `hashFileSync` per file
 *   (SyncHashOps), and `watch` is an in-process emitter
 *   fed by this filesystem's own changes (test helpers included), each path
 *   observed when its batch of events goes out, like chokidar's.
 */
export interface MemoryFileSystemOptions {
  /** Wall clock in ns for new mtimes; default Date.now(). */
  readonly clockNs?: () => bigint;
  /** Chunk size of a throttled copy (default 64 KiB: small files still take several chunks in tests). */
  readonly copyChunkBytes?: number;
}

interface FileNode {
  readonly kind: 'file';
  content: Buffer;
  mode: number;
  mtimeNs: bigint;
  readonly ino: number;
}
interface DirNode {
  readonly kind: 'dir';
  readonly children: Map<string, Node>;
  mode: number;
  mtimeNs: bigint;
  readonly ino: number;
}
interface SymlinkNode {
  readonly kind: 'symlink';
  readonly linkTarget: string;
  mtimeNs: bigint;
  readonly ino: number;
}
interface SpecialNode {
  readonly kind: 'special';
  readonly what: string;
  mode: number;
  mtimeNs: bigint;
  readonly ino: number;
}
type Node = FileNode | DirNode | SymlinkNode | SpecialNode;

/** What `snapshot` reports per relative path: file content (UTF-8), `true` for a directory, `{ symlink }` for a link. */
export type MemorySnapshotValue = string | true | { readonly symlink: string } | { readonly special: string };

/** One `watch` call. */
interface MemoryWatch {
  readonly roots: readonly string[];
  readonly options: WatchOptions;
  readonly onEvents: (events: readonly WatchEvent[]) => void;
  /** Per root: is it there, as last reported. */
  readonly present: Map<string, boolean>;
  /** Absolute paths changed since the last delivery. */
  queued: Set<string>;
  closed: boolean;
}

export class MemoryFileSystem implements FileSystem, SyncCopyOps, SyncHashOps {
  private nextIno = 1;
  private readonly watches = new Set<MemoryWatch>();
  private lastMtimeNs = 0n;
  private readonly clockNs: () => bigint;
  private readonly copyChunkBytes: number;
  private readonly root: DirNode;

  constructor(options: MemoryFileSystemOptions = {}) {
    this.clockNs = options.clockNs ?? (() => BigInt(Date.now()) * 1_000_000n);
    this.copyChunkBytes = options.copyChunkBytes ?? 64 * 1024;
    this.root = { kind: 'dir', children: new Map(), mode: 0o755, mtimeNs: this.tick(), ino: this.nextIno++ };
  }

  // ---- FileSystem ---------------------------------------------------------

  readdirSync(path: string): string[] {
    const node = this.lookup('readdirSync', path);
    if (node.kind !== 'dir') throw fsError('ENOTDIR', 'readdirSync', path, 'not a directory', 'scandir');
    return [...node.children.keys()];
  }

  lstatSync(path: string): Entry {
    return entryOf(this.lookup('lstatSync', path), path);
  }

  async readdir(path: string): Promise<string[]> {
    await yieldOnce();
    const node = this.lookup('readdir', path);
    if (node.kind !== 'dir') throw fsError('ENOTDIR', 'readdir', path, 'not a directory', 'scandir');
    return [...node.children.keys()];
  }

  async lstat(path: string): Promise<Entry> {
    await yieldOnce();
    return entryOf(this.lookup('lstat', path), path);
  }

  async readText(path: string): Promise<string> {
    await yieldOnce();
    return this.readableFile('readText', path).content.toString('utf8');
  }

  async copyFile(from: string, to: string, options: CopyOptions = {}): Promise<number> {
    const { signal, throttle, onProgress } = options;
    if (signal?.aborted) throw abortedError(to);
    await yieldOnce();
    if (!throttle) {
      const bytes = this.copyWhole(from, to);
      onProgress?.(bytes);
      return bytes;
    }
    const source = this.readableFile('copyFile', from);
    const { parent, name } = this.parentOf('copyFile', to);
    if (parent.children.has(name)) throw fsError('EEXIST', 'copyFile', to, 'file already exists', 'copyfile');
    const content = source.content;
    const dest: FileNode = { kind: 'file', content: Buffer.alloc(0), mode: source.mode, mtimeNs: this.tick(), ino: this.nextIno++ };
    this.link(parent, name, dest);
    this.changed(to);
    // Streamed like the node implementation: the destination grows chunk by chunk.
    try {
      let done = 0;
      do {
        const n = Math.min(this.copyChunkBytes, content.length - done);
        await throttle.take(n, signal);
        if (signal?.aborted) throw abortedError(to);
        if (parent.children.get(name) !== dest) throw fsError('ENOENT', 'copyFile', to, 'no such file or directory', 'write');
        dest.content = Buffer.concat([dest.content, content.subarray(done, done + n)]);
        dest.mtimeNs = this.tick();
        this.changed(to);
        done += n;
        onProgress?.(done);
        await yieldOnce();
      } while (done < content.length);
      return done;
    } catch (err) {
      if (parent.children.get(name) === dest) {
        this.unlinkChild(parent, name);
        this.changed(to);
      }
      if (err instanceof FsError) throw err;
      throw signal?.aborted ? abortedError(to) : err;
    }
  }

  async setAttributes(path: string, attributes: { readonly mode?: number; readonly mtimeNs?: bigint }): Promise<void> {
    await yieldOnce();
    const node = this.lookup('setAttributes', path);
    if (attributes.mode !== undefined && node.kind !== 'symlink') node.mode = attributes.mode & 0o7777;
    if (attributes.mtimeNs !== undefined) node.mtimeNs = attributes.mtimeNs;
    this.changed(path);
  }

  async rename(from: string, to: string): Promise<void> {
    await yieldOnce();
    this.renameSync(from, to);
  }

  async unlink(path: string): Promise<void> {
    await yieldOnce();
    this.unlinkSync(path);
  }

  // ---- SyncCopyOps: the copy protocol's steps, for copy batches (and the contract suite) ----

  lstatOrNullSync(path: string): Entry | null {
    try {
      return this.lstatSync(path);
    } catch (err) {
      if (err instanceof FsError && (err.code === 'ENOENT' || err.code === 'ENOTDIR')) return null;
      throw err;
    }
  }

  copyFileSync(from: string, to: string): void {
    this.copyWhole(from, to);
  }

  setCreatedFileAttributesSync(path: string, mode: number, mtimeNs: bigint): void {
    const node = this.lookup('setAttributes', path);
    if (node.kind !== 'symlink') node.mode = mode & 0o7777;
    node.mtimeNs = mtimeNs;
    this.changed(path);
  }

  renameSync(from: string, to: string): void {
    const src = this.parentOf('rename', from);
    const node = src.parent.children.get(src.name);
    if (!node) throw fsError('ENOENT', 'rename', from, 'no such file or directory', 'rename');
    const dst = this.parentOf('rename', to);
    if (src.parent === dst.parent && src.name === dst.name) return;
    if (node.kind === 'dir' && (normalize(to) + '/').startsWith(normalize(from) + '/')) {
      throw fsError('EOTHER', 'rename', from, 'invalid argument (a directory cannot move into itself)', 'rename', 'EINVAL');
    }
    const existing = dst.parent.children.get(dst.name);
    if (existing) {
      if (node.kind === 'dir' && existing.kind !== 'dir') throw fsError('ENOTDIR', 'rename', from, 'not a directory', 'rename');
      if (node.kind !== 'dir' && existing.kind === 'dir') throw fsError('EISDIR', 'rename', from, 'illegal operation on a directory', 'rename');
      if (existing.kind === 'dir' && existing.children.size > 0) throw fsError('ENOTEMPTY', 'rename', from, 'directory not empty', 'rename');
    }
    this.unlinkChild(src.parent, src.name);
    this.link(dst.parent, dst.name, node);
    this.changed(from);
    this.changed(to);
  }

  unlinkSync(path: string): void {
    const { parent, name } = this.parentOf('unlink', path);
    const node = parent.children.get(name);
    if (!node) throw fsError('ENOENT', 'unlink', path, 'no such file or directory', 'unlink');
    if (node.kind === 'dir') throw fsError('EISDIR', 'unlink', path, 'illegal operation on a directory', 'unlink');
    this.unlinkChild(parent, name);
    this.changed(path);
  }

  async mkdir(path: string, mode?: number): Promise<void> {
    await yieldOnce();
    const { parent, name } = this.parentOf('mkdir', path);
    if (parent.children.has(name)) throw fsError('EEXIST', 'mkdir', path, 'file already exists', 'mkdir');
    this.link(parent, name, { kind: 'dir', children: new Map(), mode: (mode ?? 0o755) & 0o7777, mtimeNs: this.tick(), ino: this.nextIno++ });
    this.changed(path);
  }

  async rmdir(path: string): Promise<void> {
    await yieldOnce();
    const { parent, name } = this.parentOf('rmdir', path);
    const node = parent.children.get(name);
    if (!node) throw fsError('ENOENT', 'rmdir', path, 'no such file or directory', 'rmdir');
    if (node.kind !== 'dir') throw fsError('ENOTDIR', 'rmdir', path, 'not a directory', 'rmdir');
    if (node.children.size > 0) throw fsError('ENOTEMPTY', 'rmdir', path, 'directory not empty', 'rmdir');
    this.unlinkChild(parent, name);
    this.changed(path);
  }

  async symlink(linkTarget: string, path: string): Promise<void> {
    await yieldOnce();
    const { parent, name } = this.parentOf('symlink', path);
    if (parent.children.has(name)) throw fsError('EEXIST', 'symlink', path, 'file already exists', 'symlink');
    this.link(parent, name, { kind: 'symlink', linkTarget, mtimeNs: this.tick(), ino: this.nextIno++ });
    this.changed(path);
  }

  async hash(path: string, signal?: AbortSignal): Promise<string> {
    if (signal?.aborted) throw new FsError('ABORTED', 'hash', path, `ABORTED: operation aborted, hash '${path}'`);
    await yieldOnce();
    return createHash('sha256').update(this.readableFile('hash', path).content).digest('hex');
  }

  /** In 1 MiB pieces, `stopped` asked before each, as node reads a large file. */
  hashFileSync(path: string, stopped?: () => boolean): string {
    const { content } = this.readableFile('hash', path);
    const digest = createHash('sha256');
    let at = 0;
    do {
      if (stopped?.()) throw new FsError('ABORTED', 'hash', path, `ABORTED: operation aborted, hash '${path}'`);
      digest.update(content.subarray(at, at + HASH_PIECE_BYTES));
      at += HASH_PIECE_BYTES;
    } while (at < content.length);
    return digest.digest('hex');
  }

  // ---- capabilities, inline ----

  /** The set is hashed here, on this thread, file after file (`hashFileSync`), after one turn of the event loop. */
  async hashFiles(root: string, relPaths: readonly string[], signal?: AbortSignal): Promise<HashOutcome[]> {
    await yieldOnce();
    return hashFilesSync(this, root, relPaths, () => signal?.aborted === true);
  }

  async walkTree(root: string, options: ScanOptions): Promise<ScanResult> {
    await yieldOnce();
    return answeredAgainst(walk(this, root, options), options);
  }

  /** Batches run here, on this thread, through the synchronous steps; `workers` batches may interleave. */
  openCopyBatches(workers: number): CopyBatches {
    let open = true;
    return {
      concurrency: Math.max(1, workers),
      copy: async (requests) => {
        if (!open) throw new Error('copy batches used after close');
        await yieldOnce();
        return requests.map((request) => copySync(request, this));
      },
      close: async () => {
        open = false;
      },
    };
  }

  watch(roots: readonly string[], options: WatchOptions, onEvents: (events: readonly WatchEvent[]) => void): Watcher {
    const w: MemoryWatch = { roots, options, onEvents, present: new Map(), queued: new Set(), closed: false };
    for (const root of roots) w.present.set(root, this.isDir(root));
    this.watches.add(w);
    return {
      ready: Promise.resolve(),
      close: async () => {
        w.closed = true;
        this.watches.delete(w);
      },
    };
  }

  // ---- test helpers -------------------------------------------------------

  /** Create or overwrite (in place: the inode stays) a file, creating missing parent directories. */
  writeFile(path: string, content: string | Uint8Array, options: { readonly mtimeNs?: bigint; readonly mode?: number } = {}): void {
    this.mkdirp(posix.dirname(normalize(path)));
    const { parent, name } = this.parentOf('writeFile', path);
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
    const existing = parent.children.get(name);
    if (existing && existing.kind !== 'file') throw fsError('EISDIR', 'writeFile', path, `is a ${existing.kind}`, 'open');
    if (existing) {
      existing.content = bytes;
      existing.mtimeNs = options.mtimeNs ?? this.tick();
      if (options.mode !== undefined) existing.mode = options.mode & 0o7777;
    } else {
      this.link(parent, name, { kind: 'file', content: bytes, mode: (options.mode ?? 0o644) & 0o7777, mtimeNs: options.mtimeNs ?? this.tick(), ino: this.nextIno++ });
    }
    this.changed(path);
  }

  /** A file's content as UTF-8; throws FsError like `readText`. */
  readFile(path: string): string {
    return this.readableFile('readFile', path).content.toString('utf8');
  }

  /** Create a directory and any missing ancestors; an existing directory is fine. */
  mkdirp(path: string, mode?: number): void {
    let dir = this.root;
    let at = '';
    for (const part of segments(path)) {
      at += `/${part}`;
      const child = dir.children.get(part);
      if (!child) {
        const made: DirNode = { kind: 'dir', children: new Map(), mode: (mode ?? 0o755) & 0o7777, mtimeNs: this.tick(), ino: this.nextIno++ };
        this.link(dir, part, made);
        this.changed(at);
        dir = made;
      } else if (child.kind === 'dir') {
        dir = child;
      } else {
        throw fsError('ENOTDIR', 'mkdirp', path, 'not a directory', 'mkdir');
      }
    }
  }

  /** Plant a socket/FIFO/device stand-in, which lstat reports as an `unsupported` problem. */
  mkspecial(path: string, what = 'FIFO'): void {
    this.mkdirp(posix.dirname(normalize(path)));
    const { parent, name } = this.parentOf('mkspecial', path);
    if (parent.children.has(name)) throw fsError('EEXIST', 'mkspecial', path, 'file already exists', 'mknod');
    this.link(parent, name, { kind: 'special', what, mode: 0o644, mtimeNs: this.tick(), ino: this.nextIno++ });
    this.changed(path);
  }

  /** True when something (anything, links included) is at `path`. */
  exists(path: string): boolean {
    try {
      this.lookup('exists', path);
      return true;
    } catch (err) {
      if (err instanceof FsError && (err.code === 'ENOENT' || err.code === 'ENOTDIR')) return false;
      throw err;
    }
  }

  /**
   * Everything under `root` as relative path → value: files by their UTF-8
   * content, directories (keys ending in `/`) as `true`, links as `{ symlink }`.
   * A plain object, so `toEqual` shows a readable diff.
   */
  snapshot(root: string): Record<string, MemorySnapshotValue> {
    const start = this.lookup('snapshot', root);
    if (start.kind !== 'dir') throw fsError('ENOTDIR', 'snapshot', root, 'not a directory', 'scandir');
    const out: Record<string, MemorySnapshotValue> = {};
    const walk = (dir: DirNode, prefix: string): void => {
      for (const name of [...dir.children.keys()].sort()) {
        const node = dir.children.get(name)!;
        const rel = prefix + name;
        switch (node.kind) {
          case 'file':
            out[rel] = node.content.toString('utf8');
            break;
          case 'symlink':
            out[rel] = { symlink: node.linkTarget };
            break;
          case 'special':
            out[rel] = { special: node.what };
            break;
          case 'dir':
            out[rel + '/'] = true;
            walk(node, rel + '/');
            break;
        }
      }
    };
    walk(start, '');
    return out;
  }

  // ---- internals ----------------------------------------------------------

  /** The exclusive whole-file copy both copy paths share; returns the bytes copied. */
  private copyWhole(from: string, to: string): number {
    const source = this.readableFile('copyFile', from);
    const { parent, name } = this.parentOf('copyFile', to);
    if (parent.children.has(name)) throw fsError('EEXIST', 'copyFile', to, 'file already exists', 'copyfile');
    const content = Buffer.from(source.content);
    this.link(parent, name, { kind: 'file', content, mode: source.mode, mtimeNs: this.tick(), ino: this.nextIno++ });
    this.changed(to);
    return content.length;
  }

  private isDir(path: string): boolean {
    try {
      return this.lookup('watch', path).kind === 'dir';
    } catch {
      return false;
    }
  }

  /** Something at `path` changed: queue it for every watch it concerns (a root itself, or a path below one). */
  private changed(path: string): void {
    if (this.watches.size === 0) return;
    const abs = normalize(path);
    for (const w of this.watches) {
      let hit = false;
      for (const root of w.roots) {
        const r = normalize(root);
        if (abs === r || r.startsWith(`${abs}/`) || abs.startsWith(`${r}/`)) hit = true;
      }
      if (!hit) continue;
      const idle = w.queued.size === 0;
      w.queued.add(abs);
      if (idle) setImmediate(() => this.deliver(w));
    }
  }

  /** One batch of a watch's events: roots that came or went, then each changed path below a root as it is now. */
  private deliver(w: MemoryWatch): void {
    const paths = [...w.queued];
    w.queued = new Set();
    if (w.closed) return;
    const events: WatchEvent[] = [];
    for (const root of w.roots) {
      const present = this.isDir(root);
      if (present !== w.present.get(root)) {
        w.present.set(root, present);
        events.push({ type: 'root', root, present });
      }
      const r = normalize(root);
      for (const abs of paths) {
        if (!abs.startsWith(`${r}/`)) continue;
        const rel = abs.slice(r.length + 1);
        const name = rel.slice(rel.lastIndexOf('/') + 1);
        if (w.options.ignoreName?.(name) || w.options.ignorePath?.(rel)) continue;
        events.push({ type: 'change', root, path: rel, state: this.observe(abs) });
      }
    }
    if (events.length > 0) w.onEvents(events);
  }

  private observe(path: string): ObservedState {
    try {
      return expectedState(this.lstatSync(path));
    } catch (err) {
      if (err instanceof FsError && (err.code === 'ENOENT' || err.code === 'ENOTDIR')) return { kind: 'absent' };
      return { kind: 'unknown' };
    }
  }

  /** A strictly increasing mtime: the clock, or one ns past the last one when the clock has not moved. */
  private tick(): bigint {
    const now = this.clockNs();
    this.lastMtimeNs = now > this.lastMtimeNs ? now : this.lastMtimeNs + 1n;
    return this.lastMtimeNs;
  }

  private link(parent: DirNode, name: string, node: Node): void {
    parent.children.set(name, node);
    parent.mtimeNs = this.tick();
  }

  private unlinkChild(parent: DirNode, name: string): void {
    parent.children.delete(name);
    parent.mtimeNs = this.tick();
  }

  /** The node at `path`, never following a link (a link or file as an intermediate component is ENOTDIR). */
  private lookup(op: string, path: string): Node {
    let node: Node = this.root;
    for (const part of segments(path)) {
      if (node.kind !== 'dir') throw fsError('ENOTDIR', op, path, 'not a directory', 'lstat');
      const child: Node | undefined = node.children.get(part);
      if (!child) throw fsError('ENOENT', op, path, 'no such file or directory', 'lstat');
      node = child;
    }
    return node;
  }

  /** The existing parent directory of `path` and the last segment. */
  private parentOf(op: string, path: string): { parent: DirNode; name: string } {
    const parts = segments(path);
    const name = parts.pop();
    if (name === undefined) throw fsError('EBUSY', op, path, 'resource busy (the root)', op);
    const parentPath = '/' + parts.join('/');
    const parent = this.lookup(op, parentPath);
    if (parent.kind !== 'dir') throw fsError('ENOTDIR', op, path, 'not a directory', op);
    return { parent, name };
  }

  private readableFile(op: string, path: string): FileNode {
    const node = this.lookup(op, path);
    if (node.kind === 'dir') throw fsError('EISDIR', op, path, 'illegal operation on a directory', 'read');
    if (node.kind === 'symlink') throw fsError('ELOOP', op, path, 'too many symbolic links encountered (links are never followed)', 'open');
    if (node.kind === 'special') throw fsError('EOTHER', op, path, `${node.what} cannot be read`, 'open');
    return node;
  }
}

/** `hashFileSync` reads a file in pieces of this size (node's hashFileSync reads 1 MiB at a time too). */
const HASH_PIECE_BYTES = 1024 * 1024;

function normalize(path: string): string {
  if (!path.startsWith('/')) throw new Error(`MemoryFileSystem needs absolute paths, got '${path}'`);
  const n = posix.normalize(path);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

function segments(path: string): string[] {
  return normalize(path).split('/').filter((s) => s !== '');
}

function entryOf(node: Node, path: string): Entry {
  switch (node.kind) {
    case 'file':
      return { kind: 'file', size: node.content.length, mtimeNs: node.mtimeNs, mode: node.mode, ino: node.ino };
    case 'dir':
      return { kind: 'dir', mode: node.mode, mtimeNs: node.mtimeNs, ino: node.ino };
    case 'symlink':
      return { kind: 'symlink', linkTarget: node.linkTarget, mtimeNs: node.mtimeNs, ino: node.ino };
    case 'special':
      return { kind: 'problem', code: 'unsupported', message: `unsupported: ${node.what} is not synced, lstat '${path}'` };
  }
}

/** Same shape as node's messages: `ENOENT: no such file or directory, lstat '/x'`. */
function fsError(code: FsErrorCode, op: string, path: string, description: string, syscall: string, errno: string = code): FsError {
  return new FsError(code, op, path, `${errno}: ${description}, ${syscall} '${path}'`);
}

function abortedError(path: string): FsError {
  return new FsError('ABORTED', 'copyFile', path, `ABORTED: operation aborted, copyFile '${path}'`);
}

function yieldOnce(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
