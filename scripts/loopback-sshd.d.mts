/** Types of loopback-sshd.mjs (the tests import it through test/support/sshd.ts). */
export declare const SSHD_PATH: string | null;
export declare function sshdAvailable(): boolean;
export declare function shellQuote(text: string): string;
export declare function freePort(): Promise<number>;

export interface LoopbackSshd {
  readonly dir: string;
  readonly port: number;
  readonly user: string;
  /** `ssh -F <client config>`: trusts this server's host key, offers the authorised user key. */
  readonly sshCommand: string;
  /** Runs the given checkout's agent with the node that runs the caller. */
  readonly remoteCommand: string;
  /** `ssh://127.0.0.1:<port>` + `path` (an absolute path on this machine: the "far host" is loopback). */
  url(path: string): string;
  /** Env for a CLI child: CONDUIT_SSH_COMMAND and CONDUIT_REMOTE_COMMAND set to the two above. */
  env(): Record<string, string>;
  /** An ssh command whose known_hosts holds another key for this host (host key mismatch). */
  readonly wrongHostKeySshCommand: string;
  /** An ssh command offering a user key the server does not authorise. */
  readonly wrongUserKeySshCommand: string;
  /** What sshd wrote to stderr so far. */
  stderr(): string;
  /** Start it again on the same port (after `stop`). */
  start(): Promise<void>;
  /** Stop the server (existing sessions die with it): the host is now unreachable (connection refused). */
  stop(): Promise<void>;
  /** Kill the per-connection sshd children (and with them their agents), leaving the listener up: links drop mid-use. */
  killSessions(): void;
  readonly running: boolean;
}

export declare function startLoopbackSshd(dir: string, repo: string): Promise<LoopbackSshd>;
