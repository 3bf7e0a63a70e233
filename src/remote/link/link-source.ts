import type { AgentLink } from './link.js';

/**
 * Where a remote filesystem gets its link to the agent (issue 10): connect on
 * first use, reuse while up, connect again after a drop. One per remote root
 * (and ssh settings); under `serve` it lives as long as the conduit, so the
 * connection is kept (one ssh process, one agent); a CLI command closes it
 * when it is done. Implemented over ssh by ssh-link-source.ts; tests of the
 * protocol alone may implement it over a local agent process.
 */
export interface LinkSource {
  /** The far host as messages name it (`me@nas:2222`). */
  readonly host: string;
  /**
   * The link, connecting when there is none or the last one was lost. Only
   * one connection attempt at a time: concurrent callers share it. Rejects
   * with UnreachableError (fs/file-system.ts) naming the host and the cause.
   */
  link(signal?: AbortSignal): Promise<AgentLink>;
  /** The link when it is up now; null otherwise (never connects). */
  readonly current: AgentLink | null;
  /** Called with every new link once it is open (e.g. the remote watcher subscribes again). Returns an unsubscribe. */
  onConnected(listener: (link: AgentLink) => void): () => void;
  /** Close the link (ends the agent and the ssh process) and refuse further `link` calls. */
  close(): Promise<void>;
}

/** How conduit reaches one remote root: the command lines of SPEC §13, after defaults. */
export interface SshSettings {
  /** The whole ssh command line, run by `sh -c` like GIT_SSH_COMMAND (e.g. `ssh -F ~/.ssh/other_config`). */
  readonly sshCommand: string;
  /** The command run on the far host; its stdin/stdout carry the agent protocol. */
  readonly remoteCommand: string;
  /** ssh's ConnectTimeout, seconds. */
  readonly connectTimeoutSeconds: number;
}

export const DEFAULT_SSH_COMMAND = 'ssh';
export const DEFAULT_REMOTE_COMMAND = 'conduit agent';
export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 5;

/**
 * A conduit's settings with the defaults filled in: its own value, else the
 * environment (CONDUIT_SSH_COMMAND, CONDUIT_REMOTE_COMMAND override the
 * defaults, not a conduit's own setting), else the default.
 */
export function sshSettingsOf(conduit: { readonly sshCommand: string | null; readonly remoteCommand: string | null }, env: NodeJS.ProcessEnv): SshSettings {
  const fromEnv = (name: string): string | undefined => {
    const value = env[name];
    return value !== undefined && value.trim() !== '' ? value : undefined;
  };
  return {
    sshCommand: conduit.sshCommand ?? fromEnv('CONDUIT_SSH_COMMAND') ?? DEFAULT_SSH_COMMAND,
    remoteCommand: conduit.remoteCommand ?? fromEnv('CONDUIT_REMOTE_COMMAND') ?? DEFAULT_REMOTE_COMMAND,
    connectTimeoutSeconds: DEFAULT_CONNECT_TIMEOUT_SECONDS,
  };
}
