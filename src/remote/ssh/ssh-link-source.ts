import type { AgentLink } from '../link/link.js';
import type { LinkSource, SshSettings } from '../link/link-source.js';
import { authorityOf, type RemoteRoot } from '../root-url.js';
import { connectOverSsh, type ConnectOptions, type SshLink } from './ssh.js';

/**
 * A LinkSource over the system ssh (ssh.ts): connects on the first `link()`,
 * one attempt at a time (concurrent callers share it), reuses the link while
 * it is up, and connects afresh after a drop, telling `onConnected`
 * listeners about every new link (the remote watcher subscribes again).
 * Retrying an unreachable host is not its job: each `link()` is one attempt,
 * and the caller (a generation, the service's backoff) decides when to try.
 */
export class SshLinkSource implements LinkSource {
  readonly host: string;
  private live: SshLink | null = null;
  private connecting: Promise<SshLink> | null = null;
  /** Aborts the attempt in progress when the source is closed. */
  private attempt: AbortController | null = null;
  private closed = false;
  private readonly listeners = new Set<(link: AgentLink) => void>();

  constructor(
    private readonly root: RemoteRoot,
    private readonly settings: SshSettings,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly connectOptions: Pick<ConnectOptions, 'handshakeTimeoutMs'> = {},
  ) {
    this.host = authorityOf(root);
  }

  get current(): AgentLink | null {
    return this.live !== null && !this.live.lost.aborted ? this.live : null;
  }

  link(signal?: AbortSignal): Promise<AgentLink> {
    if (this.closed) return Promise.reject(new Error(`the link source for ${this.host} is closed`));
    const up = this.current;
    if (up) return Promise.resolve(up);
    this.connecting ??= this.connect();
    return signal ? raceSignal(this.connecting, signal) : this.connecting;
  }

  onConnected(listener: (link: AgentLink) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.attempt?.abort(new Error(`the link source for ${this.host} was closed`));
    const pending = this.connecting;
    if (pending) await pending.catch(() => undefined);
    const live = this.live;
    this.live = null;
    await live?.close();
  }

  /** One attempt, not tied to any one caller's signal (others share it); only `close` aborts it. */
  private connect(): Promise<SshLink> {
    const attempt = new AbortController();
    this.attempt = attempt;
    const previous = this.live;
    this.live = null;
    return (async () => {
      // The dropped link's ssh is gone or going: reap it (its close waits for the exit).
      await previous?.close();
      const link = await connectOverSsh(this.root, this.settings, { ...this.connectOptions, signal: attempt.signal, env: this.env });
      if (this.closed) {
        await link.close();
        throw new Error(`the link source for ${this.host} was closed`);
      }
      this.live = link;
      for (const listener of [...this.listeners]) {
        try {
          listener(link);
        } catch {
          // A listener's failure is its own; the link is up for everyone else.
        }
      }
      return link;
    })().finally(() => {
      this.connecting = null;
      if (this.attempt === attempt) this.attempt = null;
    });
  }
}

export function sshLinkSource(root: RemoteRoot, settings: SshSettings, env: NodeJS.ProcessEnv = process.env): SshLinkSource {
  return new SshLinkSource(root, settings, env);
}

/** `promise`, or the signal's reason if it aborts first (the shared attempt goes on for the others). */
function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(reasonOf(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(reasonOf(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

function reasonOf(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}
