import type { Entry } from '../core/entry.js';
import type { ScanOptions, ScanResult } from '../engine/scan.js';
import type { CopyBatches, CopyOptions, FileSystem, HashOutcome } from '../fs/file-system.js';
import { FsError } from '../fs/file-system.js';
import type { WatchEvent, Watcher, WatchOptions } from '../watch/watcher.js';

/** Where the remote root is mounted: the engine's path (`/ssh:me@nas/srv`) and the path on the far host (`/srv`). */
export interface SplitMount {
  readonly mountPath: string;
  readonly remotePath: string;
}

/**
 * STUB (r-wire's branch only): the real SplitFileSystem is r-fs's, which
 * replaces this file at the merge. It routes each path by its mount path:
 * under `mountPath` to `remote`, anything else to `local`. An operation
 * across the two (a copy from one to the other) is refused here; the real
 * one streams it over the link.
 */
export class SplitFileSystem implements FileSystem {
  constructor(readonly local: FileSystem, readonly remote: FileSystem, readonly mount: SplitMount) {}

  private isRemote(path: string): boolean {
    return path === this.mount.mountPath || path.startsWith(`${this.mount.mountPath}/`);
  }

  private on(path: string): FileSystem {
    return this.isRemote(path) ? this.remote : this.local;
  }

  readdirSync(path: string): string[] { return this.on(path).readdirSync(path); }
  lstatSync(path: string): Entry { return this.on(path).lstatSync(path); }
  lstat(path: string): Promise<Entry> { return this.on(path).lstat(path); }
  readText(path: string): Promise<string> { return this.on(path).readText(path); }
  copyFile(from: string, to: string, options?: CopyOptions): Promise<number> {
    if (this.isRemote(from) !== this.isRemote(to)) return Promise.reject(new FsError('EOTHER', 'copyFile', to, `copy across hosts is not built into this branch (stub): ${from} -> ${to}`));
    return this.on(to).copyFile(from, to, options);
  }
  setAttributes(path: string, attributes: { readonly mode?: number; readonly mtimeNs?: bigint }): Promise<void> { return this.on(path).setAttributes(path, attributes); }
  rename(from: string, to: string): Promise<void> { return this.on(to).rename(from, to); }
  unlink(path: string): Promise<void> { return this.on(path).unlink(path); }
  mkdir(path: string, mode?: number): Promise<void> { return this.on(path).mkdir(path, mode); }
  rmdir(path: string): Promise<void> { return this.on(path).rmdir(path); }
  symlink(linkTarget: string, path: string): Promise<void> { return this.on(path).symlink(linkTarget, path); }
  hash(path: string, signal?: AbortSignal): Promise<string> { return this.on(path).hash(path, signal); }
  walkTree(root: string, options: ScanOptions): Promise<ScanResult> { return this.on(root).walkTree(root, options); }
  openCopyBatches(): CopyBatches | null { return null; }
  hashFiles(root: string, relPaths: readonly string[], signal?: AbortSignal): Promise<HashOutcome[]> { return this.on(root).hashFiles(root, relPaths, signal); }
  watch(roots: readonly string[], options: WatchOptions, onEvents: (events: readonly WatchEvent[]) => void): Watcher {
    return this.local.watch(roots.filter((root) => !this.isRemote(root)), options, onEvents);
  }
  connect(signal?: AbortSignal): Promise<AbortSignal> {
    return this.remote.connect ? this.remote.connect(signal) : Promise.resolve(new AbortController().signal);
  }
}
