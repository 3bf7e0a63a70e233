import { isAbsolute, posix } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { FsError } from '../../fs/file-system.js';
import { FrameReader, FrameWriter, readFrames } from '../link/framing.js';
import { AGENT_MAGIC, CLIENT_MAGIC, negotiateVersion, PROTOCOL_VERSIONS, rangeText, toWireError, type Frame, type VersionRange } from '../link/protocol.js';

/**
 * The agent end of the protocol (protocol.ts): `conduit agent` runs this on
 * its stdin/stdout. It greets, agrees on a version, learns its root and then
 * answers calls with the handlers of agent/handlers.ts, many at once, until
 * stdin ends. It runs nothing but those handlers, and every path a handler
 * is given is confined to the root (`AgentSession.confined`).
 */

export interface AgentSession {
  /** The root this session is confined to (absolute, normalised). */
  readonly root: string;
  readonly version: number;
  /**
   * `path` when it is the root or below it (lexically, after normalising);
   * otherwise an FsError EACCES naming the path, so that no call reaches
   * outside the root. Links below the root are the handlers' concern, as
   * for local writes (never followed, parents confined: engine/confine.ts).
   */
  confined(path: string, op: string): string;
  /** Run `cleanup` when the session ends (stdin closed): watchers, open uploads. */
  onClose(cleanup: () => void | Promise<void>): void;
}

export interface HandlerContext {
  readonly session: AgentSession;
  /** Aborted when the client cancels this call or the session ends. */
  readonly signal: AbortSignal;
  /** Send a stream value before the result (CallOptions.onEvent on the client); resolves when the link took it. */
  emit(value: unknown): Promise<void>;
}

export type AgentHandler = (params: any, context: HandlerContext) => Promise<unknown>;

export type AgentHandlers = Readonly<Record<string, AgentHandler>>;

export interface ServeAgentOptions {
  readonly software: string;
  readonly versions?: VersionRange;
  /** Decide whether this agent may serve `root` (it exists and is a directory is not required: the first generation creates a target). */
  readonly checkRoot?: (root: string) => string | null;
}

/**
 * The handlers, or a function that loads them: called once the hello is on
 * its way, so the greeting does not wait for the handler families' modules
 * (`conduit agent` starts next to an ssh session the client waits on).
 */
export type AgentHandlersSource = AgentHandlers | (() => Promise<AgentHandlers>);

/** Serve one session; resolves when the client ends it. */
export async function serveAgent(input: Readable, output: Writable, given: AgentHandlersSource, options: ServeAgentOptions): Promise<void> {
  const writer = new FrameWriter(output);
  const versions = options.versions ?? PROTOCOL_VERSIONS;
  const running = new Map<number, AbortController>();
  const cleanups: (() => void | Promise<void>)[] = [];
  let session: AgentSession | null = null;
  /** Calls that came before the handlers were loaded, not yet dispatched. */
  const queued = new Set<number>();
  let ended = false;

  writer.write(AGENT_MAGIC);
  const greeted = writer.send({ t: 'hello', versions, software: options.software });
  // Loaded while the client answers the hello; a call that comes first waits for it (calls stay in their order).
  let handlers: AgentHandlers | null = typeof given === 'function' ? null : given;
  const loading: Promise<AgentHandlers> | null = typeof given === 'function' ? given() : null;
  loading?.then((loaded) => {
    handlers = loaded;
  }, () => undefined);
  await greeted;

  const onFrame = (frame: Frame): void => {
    if (session === null) {
      if (frame.t !== 'open') return;
      const refuse = (message: string): void => {
        void writer.send({ t: 'refused', message }).finally(() => writer.end());
      };
      if (negotiateVersion(versions, { min: frame.version, max: frame.version }) === null) {
        return refuse(`the agent (conduit ${options.software}) speaks protocol ${rangeText(versions)}, not ${frame.version}`);
      }
      if (typeof frame.root !== 'string' || !isAbsolute(frame.root)) return refuse(`the root ${JSON.stringify(frame.root)} is not an absolute path`);
      const root = posix.normalize(frame.root).replace(/(.)\/$/, '$1');
      const problem = options.checkRoot?.(root) ?? null;
      if (problem !== null) return refuse(problem);
      session = {
        root,
        version: frame.version,
        confined(path: string, op: string): string {
          if (typeof path !== 'string' || !isAbsolute(path)) throw new FsError('EACCES', op, String(path), `EACCES: ${op} ${String(path)}: not an absolute path`);
          const normal = posix.normalize(path);
          if (normal !== path) throw new FsError('EACCES', op, path, `EACCES: ${op} ${path}: not a normalised path`);
          if (normal !== root && !normal.startsWith(root === '/' ? '/' : `${root}/`)) {
            throw new FsError('EACCES', op, path, `EACCES: ${op} ${path}: outside the agent's root ${root}`);
          }
          return normal;
        },
        onClose(cleanup) {
          cleanups.push(cleanup);
        },
      };
      void writer.send({ t: 'opened', version: frame.version });
      return;
    }
    if (frame.t === 'cancel') {
      // Answered at once: the client stops waiting whether or not the handler looks at its signal in time
      // (it may not have started yet). What the handler answers later is dropped.
      const controller = running.get(frame.id);
      if (!controller) {
        if (queued.delete(frame.id)) {
          void writer.send({ t: 'error', id: frame.id, error: toWireError(new FsError('ABORTED', 'call', '', 'ABORTED: cancelled by the client')) }).catch(() => undefined);
        }
        return;
      }
      running.delete(frame.id);
      const reason = new FsError('ABORTED', 'call', '', 'ABORTED: cancelled by the client');
      controller.abort(reason);
      void writer.send({ t: 'error', id: frame.id, error: toWireError(reason) }).catch(() => undefined);
      return;
    }
    if (frame.t !== 'call') return;
    const { id, method, params } = frame;
    if (handlers === null) {
      // Still loading: this call (and every one after it, through the same promise) runs once they are there,
      // unless it was cancelled (answered already) or the session ended meanwhile.
      const open = session;
      queued.add(id);
      loading!.then(() => {
        if (queued.delete(id) && !ended) dispatch(open, id, method, params);
      }, (err: unknown) => {
        if (queued.delete(id)) void writer.send({ t: 'error', id, error: toWireError(err) }).catch(() => undefined);
      });
      return;
    }
    dispatch(session, id, method, params);
  };

  const dispatch = (session: AgentSession, id: number, method: string, params: unknown): void => {
    const table = handlers!;
    const handler = Object.hasOwn(table, method) ? table[method] : undefined;
    if (!handler) {
      void writer.send({ t: 'error', id, error: { name: 'Error', message: `the agent has no method '${method}'` } });
      return;
    }
    const controller = new AbortController();
    running.set(id, controller);
    const context: HandlerContext = {
      session,
      signal: controller.signal,
      emit: (value) => writer.send({ t: 'event', id, value }),
    };
    // A handler that throws before returning its promise is that call's error, never the session's end.
    const answered = (): boolean => running.get(id) !== controller;
    Promise.resolve().then(() => handler(params, context)).then(
      (value) => (answered() ? undefined : writer.send({ t: 'result', id, value: value ?? null })),
      (err: unknown) => (answered() ? undefined : writer.send({ t: 'error', id, error: toWireError(err) })),
    ).catch(() => undefined).finally(() => {
      if (!answered()) running.delete(id);
    });
  };

  const reader = new FrameReader(CLIENT_MAGIC, onFrame, () => {
    writer.end();
  });
  try {
    await readFrames(input, reader);
  } finally {
    ended = true;
    queued.clear();
    for (const [, controller] of running) controller.abort(new FsError('ABORTED', 'call', '', 'ABORTED: the session ended'));
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        // The session is over; nothing is left to tell.
      }
    }
    writer.end();
  }
}
