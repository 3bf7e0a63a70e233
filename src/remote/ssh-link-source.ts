import { UnreachableError } from '../fs/file-system.js';
import type { AgentLink } from './link.js';
import type { LinkSource, SshSettings } from './link-source.js';
import { authorityOf, type RemoteRoot } from './root-url.js';

/**
 * STUB (r-wire's branch only): the real one is r-ssh's (SshLinkSource over
 * the system ssh), which replaces this file at the merge; it has the same
 * `sshLinkSource(root, settings, env)`. This one never connects: every
 * `link()` is refused as an unreachable host.
 */
export function sshLinkSource(root: RemoteRoot, _settings: SshSettings, _env: NodeJS.ProcessEnv = process.env): LinkSource {
  const host = authorityOf(root);
  return {
    host,
    current: null,
    link(): Promise<AgentLink> {
      return Promise.reject(new UnreachableError(host, 'ssh transport not built into this branch (stub)'));
    },
    onConnected: () => () => undefined,
    close: async () => undefined,
  };
}
