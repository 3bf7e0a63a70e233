import type { CopyBatches, CopyOptions, FileSystem, HashOutcome } from '../fs/file-system.js';
import type { Watcher } from '../watch/watcher.js';
import { UnreachableError } from '../fs/file-system.js';
import type { Entry } from '../core/entry.js';
import type { LinkSource } from './link-source.js';

/**
 * STUB (r-wire's branch only): the real RemoteFileSystem is r-fs's, which
 * replaces this file at the merge. It has the constructor the composition
 * root (conduit-roots.ts) calls; every operation refuses as an unreachable
 * host, so nothing is ever written through it.
 */
export class RemoteFileSystem implements FileSystem {
  constructor(readonly source: LinkSource) {}

  private refuse(): never {
    throw new UnreachableError(this.source.host, 'remote filesystem not built into this branch (stub)');
  }

  readdirSync(): string[] { return this.refuse(); }
  lstatSync(): Entry { return this.refuse(); }
  async lstat(): Promise<Entry> { return this.refuse(); }
  async readText(): Promise<string> { return this.refuse(); }
  async copyFile(_from: string, _to: string, _options?: CopyOptions): Promise<number> { return this.refuse(); }
  async setAttributes(): Promise<void> { this.refuse(); }
  async rename(): Promise<void> { this.refuse(); }
  async unlink(): Promise<void> { this.refuse(); }
  async mkdir(): Promise<void> { this.refuse(); }
  async rmdir(): Promise<void> { this.refuse(); }
  async symlink(): Promise<void> { this.refuse(); }
  async hash(): Promise<string> { return this.refuse(); }
  async walkTree(): Promise<never> { return this.refuse(); }
  openCopyBatches(): CopyBatches | null { return null; }
  async hashFiles(): Promise<HashOutcome[]> { return this.refuse(); }
  watch(): Watcher { return this.refuse(); }
  async connect(signal?: AbortSignal): Promise<AbortSignal> {
    const link = await this.source.link(signal);
    return link.lost;
  }
}
