import type { CopyRequest } from '../engine/copy-protocol.js';
import type { CopyItemResult } from '../engine/copy-sync.js';
import type { CopyOptions, FileSystem } from '../fs/file-system.js';
import type { LinkSource } from './link-source.js';

/**
 * STUB (r-fs): copies between this host and the far one are r-copy's
 * (issue 10); this file only holds the signatures SplitFileSystem calls, with
 * REAL paths on their own hosts ('push': origin here, destination there;
 * 'pull': the reverse). The lead merges r-copy's real one over it.
 */
export interface CrossHosts {
  readonly local: FileSystem;
  readonly link: LinkSource;
}

export type CrossDirection = 'push' | 'pull';

export function copyFileAcross(hosts: CrossHosts, direction: CrossDirection, from: string, to: string, options?: CopyOptions): Promise<number> {
  void hosts;
  void options;
  return Promise.reject(new Error(`copyFileAcross (${direction}) ${from} -> ${to}: not yet (cross-copy.ts is a stub)`));
}

export function copyBatchAcross(hosts: CrossHosts, direction: CrossDirection, requests: readonly CopyRequest[], signal?: AbortSignal): Promise<CopyItemResult[]> {
  void hosts;
  void signal;
  return Promise.reject(new Error(`copyBatchAcross (${direction}) of ${requests.length} files: not yet (cross-copy.ts is a stub)`));
}
