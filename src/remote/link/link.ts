import type { Readable, Writable } from 'node:stream';
import { LinkLostError } from '../../fs/file-system.js';
import { FrameReader, FrameWriter, readFrames } from './framing.js';
import { AGENT_MAGIC, CLIENT_MAGIC, fromWireError, negotiateVersion, PROTOCOL_VERSIONS, rangeText, type Frame, type VersionRange } from './protocol.js';

/**
 * The client end of the agent protocol (protocol.ts) over any pair of
 * streams: an ssh child's stdout/stdin (ssh.ts), or a local agent process in
 * tests of the protocol itself. `openLink` does the handshake; the AgentLink
 * it returns multiplexes calls.
 */

export interface CallOptions {
  readonly signal?: AbortSignal;
  /** Stream values the agent sends before the call's result (watch hints, chunks). */
  readonly onEvent?: (value: unknown) => void;
}

export interface LinkStats {
  /** Bytes written to the agent and read from it, frames and magic included. */
  readonly bytesSent: number;
  readonly bytesReceived: number;
}

export interface AgentLink {
  /** The protocol version both ends agreed on. */
  readonly version: number;
  /** The far host, as messages name it (`me@nas:2222`). */
  readonly host: string;
  /** The agent's software version (its package version), for `conduit show` and errors. */
  readonly agentSoftware: string;
  /** Call a method of the agent (agent/handlers.ts); rejects with the agent's error rebuilt (FsError stays FsError), or LinkLostError. */
  call<T = unknown>(method: string, params: unknown, options?: CallOptions): Promise<T>;
  /** Aborts, with a LinkLostError as its reason, when the link drops (not after `close`). */
  readonly lost: AbortSignal;
  readonly stats: LinkStats;
  /** End the session: stdin closed, calls in flight rejected. */
  close(): void;
}

/** Why the handshake failed, one line; ssh.ts turns it into an UnreachableError with the far side's stderr. */
export class HandshakeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HandshakeError';
  }
}

export interface LinkEnds {
  /** The agent's stdout. */
  readonly input: Readable;
  /** The agent's stdin. */
  readonly output: Writable;
  readonly host: string;
}

export interface OpenLinkOptions {
  /** The root the agent is confined to (absolute, on its host). */
  readonly root: string;
  readonly software: string;
  /** Ours, for tests of the negotiation. */
  readonly versions?: VersionRange;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  onEvent?: ((value: unknown) => void) | undefined;
  unlisten?: (() => void) | undefined;
}

export function openLink(ends: LinkEnds, options: OpenLinkOptions): Promise<AgentLink> {
  const ours = options.versions ?? PROTOCOL_VERSIONS;
  const writer = new FrameWriter(ends.output);
  const received = { bytes: 0 };
  const lostController = new AbortController();
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let closedByUs = false;
  let stage: 'hello' | 'opening' | 'open' | 'done' = 'hello';
  let version = 0;
  let agentSoftware = 'unknown';

  return new Promise<AgentLink>((resolveOpen, rejectOpen) => {
    const failOpen = (message: string): void => {
      if (stage === 'done' || stage === 'open') return;
      stage = 'done';
      writer.end();
      rejectOpen(new HandshakeError(message));
    };

    const dropped = (reason: string): void => {
      if (stage !== 'open') {
        failOpen(reason);
        return;
      }
      stage = 'done';
      const err = new LinkLostError(ends.host, reason);
      if (!closedByUs) lostController.abort(err);
      for (const [, call] of pending) {
        call.unlisten?.();
        call.reject(err);
      }
      pending.clear();
    };

    const onFrame = (frame: Frame): void => {
      if (stage === 'hello') {
        if (frame.t !== 'hello') return failOpen(`the agent opened with a '${frame.t}' frame instead of its greeting`);
        agentSoftware = frame.software;
        const chosen = negotiateVersion(ours, frame.versions);
        if (chosen === null) {
          return failOpen(`no agent protocol version in common: conduit here speaks ${rangeText(ours)}, the agent on ${ends.host} (conduit ${frame.software}) speaks ${rangeText(frame.versions)}; install the same conduit version there`);
        }
        version = chosen;
        stage = 'opening';
        writer.write(CLIENT_MAGIC);
        void writer.send({ t: 'open', version, root: options.root, software: options.software }).catch(() => undefined);
        return;
      }
      if (stage === 'opening') {
        if (frame.t === 'refused') return failOpen(frame.message);
        if (frame.t !== 'opened') return failOpen(`the agent answered the opening with a '${frame.t}' frame`);
        stage = 'open';
        resolveOpen(link);
        return;
      }
      if (stage !== 'open') return;
      if (frame.t === 'event') {
        pending.get(frame.id)?.onEvent?.(frame.value);
      } else if (frame.t === 'result' || frame.t === 'error') {
        const call = pending.get(frame.id);
        if (!call) return;
        pending.delete(frame.id);
        call.unlisten?.();
        if (frame.t === 'result') call.resolve(frame.value);
        else call.reject(fromWireError(frame.error));
      }
    };

    const reader = new FrameReader(AGENT_MAGIC, onFrame, (prefix) => {
      const text = prefix.toString('utf8').replace(/[^\x20-\x7e]+/g, ' ').trim().slice(0, 120);
      failOpen(`the far side wrote ${JSON.stringify(text)} instead of the agent's greeting (a login script printing to stdout, or the remote command is not 'conduit agent')`);
    });
    ends.input.on('data', (chunk: Buffer) => {
      received.bytes += chunk.length;
    });
    readFrames(ends.input, reader).then(
      () => dropped(stage === 'hello' ? 'the far side closed before the agent greeted' : 'the agent closed its output'),
      (err: unknown) => dropped(err instanceof Error ? err.message : String(err)),
    );
    ends.output.on('error', (err: Error) => dropped(`writing to the agent: ${err.message}`));

    const link: AgentLink = {
      get version() {
        return version;
      },
      host: ends.host,
      get agentSoftware() {
        return agentSoftware;
      },
      lost: lostController.signal,
      stats: {
        get bytesSent() {
          return writer.bytes;
        },
        get bytesReceived() {
          return received.bytes;
        },
      },
      call<T>(method: string, params: unknown, callOptions: CallOptions = {}): Promise<T> {
        if (stage !== 'open') return Promise.reject(new LinkLostError(ends.host, closedByUs ? 'the link was closed' : 'the link is down'));
        const id = nextId++;
        return new Promise<T>((resolve, reject) => {
          const entry: Pending = { resolve: resolve as (v: unknown) => void, reject, onEvent: callOptions.onEvent };
          const signal = callOptions.signal;
          if (signal) {
            if (signal.aborted) {
              reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
              return;
            }
            const onAbort = (): void => {
              void writer.send({ t: 'cancel', id }).catch(() => undefined);
            };
            signal.addEventListener('abort', onAbort, { once: true });
            entry.unlisten = () => signal.removeEventListener('abort', onAbort);
          }
          pending.set(id, entry);
          writer.send({ t: 'call', id, method, params }).catch((err: unknown) => {
            if (pending.delete(id)) {
              entry.unlisten?.();
              reject(err instanceof Error ? new LinkLostError(ends.host, err.message) : new LinkLostError(ends.host, String(err)));
            }
          });
        });
      },
      close() {
        closedByUs = true;
        writer.end();
        dropped('the link was closed');
      },
    };
  });
}
