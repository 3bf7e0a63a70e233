import { NodeFileSystem } from '../../fs/node-file-system.js';
import type { WatchEvent } from '../../watch/watcher.js';
import type { AgentHandlers } from './serve.js';

/**
 * `watch` (issue 10, instant conduits with a remote root): the agent watches
 * a root on its own host with the same watcher as a local root
 * (NodeFileSystem's `watch`, chokidar on directories) and streams what it
 * sees back as events of the call, so a change on the far host is hinted as
 * fast as a local one. The call runs until the client cancels it or the
 * session ends; its result is then null.
 *
 * Events (client: remote-watch.ts):
 *   { type: 'ready' }                         once the initial tree is watched
 *   { type: 'events', events: WatchEvent[] }  a batch, roots as the agent knows them
 *
 * The client's ignore rules are functions and do not cross the link: it
 * applies them itself, so this watcher reports everything below the root.
 */

export interface WatchParams {
  /** Absolute path on this host; confined to the session's root. */
  readonly root: string;
}

export type WatchStreamValue =
  | { readonly type: 'ready' }
  | { readonly type: 'events'; readonly events: readonly WatchEvent[] };

export const watchHandlers: AgentHandlers = {
  async watch(params: WatchParams, { session, signal, emit }) {
    const root = session.confined(params?.root, 'watch');
    if (signal.aborted) return null;
    // Events are sent in order; a failed send means the link is gone and the session ends with it.
    const send = (value: WatchStreamValue): void => {
      void emit(value).catch(() => undefined);
    };
    const watcher = new NodeFileSystem().watch([root], {}, (events) => send({ type: 'events', events }));
    const stopped = new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    try {
      await Promise.race([watcher.ready, stopped]);
      if (!signal.aborted) send({ type: 'ready' });
      await stopped;
    } finally {
      await watcher.close();
    }
    return null;
  },
};
