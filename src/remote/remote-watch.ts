import type { WatchEvent, Watcher, WatchOptions } from '../watch/watcher.js';
import type { LinkSource } from './link-source.js';

/**
 * STUB (r-fs): the remote watcher is r-ssh's (issue 10); this file only holds
 * its signature so that RemoteFileSystem.watch compiles. The lead merges
 * r-ssh's real one over it. Until then a remote root cannot be watched.
 */
export function watchRemote(
  source: LinkSource, remoteRoot: string, reportedRoot: string, options: WatchOptions, onEvents: (events: readonly WatchEvent[]) => void,
): Watcher {
  void options;
  void onEvents;
  const failed = Promise.reject(new Error(`watching ${reportedRoot} (${remoteRoot} on ${source.host}): not yet (remote-watch.ts is a stub)`));
  failed.catch(() => undefined);
  return { ready: failed, close: () => Promise.resolve() };
}
