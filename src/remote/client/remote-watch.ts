import { LinkLostError } from '../../fs/file-system.js';
import type { WatchEvent, Watcher, WatchOptions } from '../../watch/watcher.js';
import type { WatchStreamValue } from '../agent/watch-handlers.js';
import type { AgentLink } from '../link/link.js';
import type { LinkSource } from '../link/link-source.js';

/**
 * The client end of remote watching (issue 10): RemoteFileSystem.watch
 * calls this for a remote root. It subscribes (the agent's `watch` call,
 * agent/watch-handlers.ts) on the current link, or connects for it, and
 * again on every new link (`onConnected`), so under `serve` the hints keep
 * coming across reconnects.
 *
 * - Events name `reportedRoot` (the mount path the engine uses), not the
 *   far host's path.
 * - `ignoreName`/`ignorePath` are applied here: functions do not cross the
 *   link. Like the local watcher (which never descends into what they
 *   ignore), a path is dropped when any of its components is ignored.
 * - When the link drops (or the host cannot be reached for the first
 *   subscription), an `error` event says so: changes on the far host may
 *   have been missed, so the service's next generation scans everything.
 *   Reconnecting is not done here: the next generation (or anything else)
 *   that needs the link reconnects, and the subscription follows.
 * - A subscription on a new link reports one more `error` once it is
 *   ready: the gap between the reconnect and the far watcher's readiness
 *   is covered by nobody else (see the RACE below).
 * - `ready` resolves once the first subscription watches its tree, or once
 *   it has failed (with the error event reported): a host that is down must
 *   not hold up the service's start.
 */
export function watchRemote(
  source: LinkSource, remoteRoot: string, reportedRoot: string, options: WatchOptions, onEvents: (events: readonly WatchEvent[]) => void,
): Watcher {
  let closed = false;
  let subscription: { readonly link: AgentLink; readonly controller: AbortController; readonly done: Promise<void> } | null = null;
  let resolveReady!: () => void;
  const ready = new Promise<void>((resolve) => {
    resolveReady = resolve;
  });

  const reportError = (message: string): void => {
    if (closed) return;
    onEvents([{ type: 'error', root: reportedRoot, message }]);
  };

  let subscriptions = 0;
  const onValue = (value: unknown, link: AgentLink, nth: number): void => {
    if (closed || typeof value !== 'object' || value === null) return;
    const streamed = value as WatchStreamValue;
    if (streamed.type === 'ready') {
      resolveReady();
      // RACE: whatever reconnected (a generation) scans while the far watcher is still getting
      // ready; a change made there in between is in neither. Say so once the watch is back, so
      // the next generation scans everything again (one more full scan per reconnect).
      if (nth > 1) reportError(`watching ${link.host} again after a reconnect: changes made while it was reconnecting may have been missed`);
      return;
    }
    if (streamed.type !== 'events' || !Array.isArray(streamed.events)) return;
    const kept: WatchEvent[] = [];
    for (const event of streamed.events) {
      if (event.type === 'change') {
        if (ignored(event.path, options)) continue;
        kept.push({ ...event, root: reportedRoot });
      } else {
        kept.push({ ...event, root: reportedRoot });
      }
    }
    if (kept.length > 0) onEvents(kept);
  };

  const subscribe = (link: AgentLink): void => {
    if (closed || subscription?.link === link || link.lost.aborted) return;
    subscription?.controller.abort();
    const controller = new AbortController();
    const nth = ++subscriptions;
    const done = link.call('watch', { root: remoteRoot }, { signal: controller.signal, onEvent: (value) => onValue(value, link, nth) }).then(
      () => {
        // The agent ends a watch only when asked to, or with its session.
        if (!controller.signal.aborted) reportError(`the watcher on ${link.host} stopped: changes there may have been missed`);
      },
      (err: unknown) => {
        if (controller.signal.aborted) return;
        const why = err instanceof LinkLostError ? err.message : `the watcher on ${link.host} failed: ${err instanceof Error ? err.message : String(err)}`;
        reportError(`${why}; changes there may have been missed until it is back`);
      },
    ).finally(() => resolveReady());
    subscription = { link, controller, done };
  };

  const unsubscribe = source.onConnected(subscribe);
  const current = source.current;
  if (current) {
    subscribe(current);
  } else {
    source.link().then(subscribe, (err: unknown) => {
      reportError(`${err instanceof Error ? err.message : String(err)}; changes there are not watched until it is reachable`);
      resolveReady();
    });
  }

  return {
    ready,
    async close() {
      closed = true;
      unsubscribe();
      const last = subscription;
      subscription = null;
      last?.controller.abort();
      resolveReady();
      await last?.done;
    },
  };
}

/** Dropped when any component's name, or any leading part of the path, is ignored (the local watcher does not descend there). */
function ignored(path: string, options: WatchOptions): boolean {
  if (!options.ignoreName && !options.ignorePath) return false;
  const parts = path.split('/');
  for (let i = 0; i < parts.length; i++) {
    if (options.ignoreName?.(parts[i]!)) return true;
    if (options.ignorePath?.(parts.slice(0, i + 1).join('/'))) return true;
  }
  return false;
}
