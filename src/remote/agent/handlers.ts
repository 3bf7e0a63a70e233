import { fsHandlers } from './fs-handlers.js';
import { copyHandlers } from './copy-handlers.js';
import { watchHandlers } from './watch-handlers.js';
import type { AgentHandlers } from './serve.js';

/**
 * Everything `conduit agent` answers (agent/serve.ts dispatches by name).
 * Each family lives in its own file; the names are the protocol's methods
 * (the client side calls them from remote-file-system.ts and friends).
 */
export function agentHandlers(): AgentHandlers {
  return {
    ping: () => Promise.resolve('pong'),
    ...fsHandlers,
    ...copyHandlers,
    ...watchHandlers,
  };
}
