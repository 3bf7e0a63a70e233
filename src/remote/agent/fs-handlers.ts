import { posix } from 'node:path';
import type { CopyRequest } from '../../engine/copy-protocol.js';
import { makeDirectorySync } from '../../engine/copy-sync.js';
import type { MkdirRequest } from '../../engine/mkdir-protocol.js';
import type { Entry } from '../../core/entry.js';
import { ancestorViolation, confinementError } from '../../engine/confine.js';
import { FsError, lstatOrNull, type CopyBatches, type HashOutcome, type Throttle } from '../../fs/file-system.js';
import { NodeFileSystem } from '../../fs/node-file-system.js';
import type { AgentHandlers, AgentSession, HandlerContext } from './serve.js';
import type { ColumnsPieceParams, WalkAnswer, WalkParams } from '../wire/walk-wire.js';
import { receiveColumns, serveWalk } from './walk-serve.js';

/**
 * The agent side of RemoteFileSystem (remote-file-system.ts): the FileSystem
 * seam's per-operation calls and its capabilities, answered on the far host
 * by its own NodeFileSystem — the walk in the agent's scan workers, hash sets
 * in its hash workers, copy batches in its copy workers — so only results
 * cross the link. EVERY path a call names goes through `session.confined`
 * before it reaches the disk: a client (or a bug) can never make the agent
 * act outside its root. Below the root, a path whose parents hold a
 * symbolic link is refused with the confinement error local writes give
 * (engine/confine.ts), so no call reaches through a link to outside the
 * root; the final name is never followed (NodeFileSystem). The engine's own
 * checks (inodes of the scanned directories, the copy protocol's `confine`
 * steps) come on top, as locally.
 */

const disk = new NodeFileSystem();

/** What one session keeps between calls: open copy batches, and paced copies waiting for the client's grant. */
interface SessionState {
  readonly batches: Map<number, CopyBatches>;
  nextBatchesId: number;
  /** A paced copy's pending `take`, by the token the client chose for that copy. */
  readonly grants: Map<string, () => void>;
  /** Copies running, by their token, for `copyCancel`; tokens cancelled before their copy started. */
  readonly copies: Map<string, AbortController>;
  readonly cancelledEarly: Set<string>;
}

const states = new WeakMap<AgentSession, SessionState>();

function stateOf(session: AgentSession): SessionState {
  let state = states.get(session);
  if (state === undefined) {
    const created: SessionState = { batches: new Map(), nextBatchesId: 1, grants: new Map(), copies: new Map(), cancelledEarly: new Set() };
    session.onClose(async () => {
      const open = [...created.batches.values()];
      created.batches.clear();
      await Promise.all(open.map((b) => b.close()));
    });
    states.set(session, created);
    state = created;
  }
  return state;
}

function str(value: unknown, what: string, op: string): string {
  if (typeof value !== 'string') throw new FsError('EOTHER', op, String(value), `EOTHER: ${op}: ${what} is not a string`);
  return value;
}

/** `session.confined` of a parameter that must be a path (lexically below the root; links are `confinedBelow`'s). */
function confinedParam(session: AgentSession, value: unknown, op: string): string {
  return session.confined(str(value, 'the path', op), op);
}

/** The directories strictly between the session's root and `path`'s name, top down. */
function parentsBelowRoot(root: string, path: string): string[] {
  if (path === root) return [];
  const base = root === '/' ? '/' : `${root}/`;
  const out: string[] = [];
  for (let at = path.indexOf('/', base.length); at > 0; at = path.indexOf('/', at + 1)) out.push(path.slice(0, at));
  return out;
}

/**
 * Why a parent of `path` may not be passed through: it is a symbolic link
 * (or cannot be identified). A parent that is missing or a file is left to
 * the call, which then fails as it would anyway (ENOENT, ENOTDIR).
 */
function linkedParent(parent: string, entry: Entry | null): string | null {
  if (entry === null || entry.kind === 'file' || entry.kind === 'dir') return null;
  return ancestorViolation({ path: parent, ino: null }, entry);
}

/** `confinedParam`, then no symbolic link between the root and the path's name. */
async function confinedBelow(session: AgentSession, value: unknown, op: string): Promise<string> {
  const path = confinedParam(session, value, op);
  for (const parent of parentsBelowRoot(session.root, path)) {
    const entry = await lstatOrNull(disk, parent);
    const violation = linkedParent(parent, entry);
    if (violation !== null) throw confinementError(op, path, { path: parent, ino: null }, violation);
    if (entry === null || entry.kind === 'file') break;
  }
  return path;
}

/** The same check for many paths at once (batches, hash sets), each parent looked at once. Throws the confinement error. */
function parentChecker(session: AgentSession): (path: string, op: string) => void {
  const seen = new Map<string, string | null>();
  return (path, op) => {
    for (const parent of parentsBelowRoot(session.root, path)) {
      let violation = seen.get(parent);
      if (violation === undefined) {
        violation = linkedParent(parent, disk.lstatOrNullSync(parent));
        seen.set(parent, violation);
      }
      if (violation !== null) throw confinementError(op, path, { path: parent, ino: null }, violation);
    }
  };
}

function confinedRequest(session: AgentSession, r: CopyRequest): CopyRequest {
  const op = 'copyBatch';
  confinedParam(session, r.origin, op);
  confinedParam(session, r.dest, op);
  confinedParam(session, r.temp, op);
  for (const a of r.ancestors) confinedParam(session, a.path, op);
  return r;
}

function confinedMkdir(session: AgentSession, r: MkdirRequest): MkdirRequest {
  confinedParam(session, r.path, 'mkdirBatch');
  for (const a of r.ancestors) confinedParam(session, a.path, 'mkdirBatch');
  return r;
}

/**
 * A batch's items whose paths pass through a link below the root are
 * answered with the confinement error (that item's result, as the copy
 * protocol's own `confine` step would); the rest run in the workers.
 * Results in request order.
 */
async function runChecked<Q, R>(
  session: AgentSession, requests: readonly Q[], pathsOf: (r: Q) => readonly string[], op: string,
  run: (part: Q[]) => Promise<R[]>, failed: (err: FsError) => R,
): Promise<R[]> {
  const check = parentChecker(session);
  const out: (R | undefined)[] = new Array<R | undefined>(requests.length);
  const passed: Q[] = [];
  const at: number[] = [];
  requests.forEach((r, i) => {
    try {
      for (const path of pathsOf(r)) check(path, op);
      passed.push(r);
      at.push(i);
    } catch (err) {
      if (!(err instanceof FsError)) throw err;
      out[i] = failed(err);
    }
  });
  const results = passed.length > 0 ? await run(passed) : [];
  at.forEach((i, k) => {
    out[i] = results[k];
  });
  return out as R[];
}

const failure = (err: FsError) => ({ ok: false as const, error: { code: err.code, op: err.op, path: err.path, message: err.message } });

/** The relative paths of a hash set, each joined with the root and confined (a `..` cannot climb out). */
function confinedRelPaths(session: AgentSession, root: string, relPaths: unknown): string[] {
  if (!Array.isArray(relPaths)) throw new FsError('EOTHER', 'hashFiles', root, 'EOTHER: hashFiles: relPaths is not a list');
  for (const rel of relPaths) {
    const rp = str(rel, 'a relative path', 'hashFiles');
    session.confined(posix.join(root, rp), 'hashFiles');
  }
  return relPaths as string[];
}

/**
 * A bandwidth-limited copy within the far host (`copyFile` with a throttle):
 * the client's throttle paces it. Before each chunk the agent asks (an event
 * `{take}`) and waits for the client's `copyGrant` with the copy's token.
 */
function pacedThrottle(state: SessionState, token: string, context: HandlerContext): Throttle {
  return {
    take(bytes: number, signal?: AbortSignal): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          state.grants.delete(token);
          reject(new FsError('ABORTED', 'copyFile', '', 'ABORTED: operation aborted, copyFile'));
        };
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        state.grants.set(token, () => {
          signal?.removeEventListener('abort', onAbort);
          state.grants.delete(token);
          resolve();
        });
        context.emit({ take: bytes }).catch(onAbort);
      });
    },
  };
}

function batchesOf(state: SessionState, id: unknown, op: string): CopyBatches {
  const batches = typeof id === 'number' ? state.batches.get(id) : undefined;
  if (batches === undefined) throw new FsError('EOTHER', op, '', `EOTHER: ${op}: no open copy batches ${String(id)}`);
  return batches;
}

export const fsHandlers: AgentHandlers = {
  lstat: async (p: { path: unknown }, { session }) => disk.lstat(await confinedBelow(session, p.path, 'lstat')),
  readdir: async (p: { path: unknown }, { session }) => disk.readdir(await confinedBelow(session, p.path, 'readdir')),
  readText: async (p: { path: unknown }, { session }) => disk.readText(await confinedBelow(session, p.path, 'readText')),

  /**
   * Within the far host. Progress comes back as `{progress}` events; with
   * `paced` the client's throttle paces it (`copyGrant`). `copyCancel` with
   * the copy's token stops it; it is then answered ABORTED once the partial
   * destination is removed (the call's own cancel would be answered at once).
   */
  copyFile: async (p: { from: unknown; to: unknown; token: unknown; paced?: unknown }, context) => {
    const { session } = context;
    const from = await confinedBelow(session, p.from, 'copyFile');
    const to = await confinedBelow(session, p.to, 'copyFile');
    const token = str(p.token, 'the token', 'copyFile');
    const state = stateOf(session);
    const controller = new AbortController();
    const aborted = (): void => controller.abort(new FsError('ABORTED', 'copyFile', to, `ABORTED: operation aborted, copyFile '${to}'`));
    if (state.cancelledEarly.delete(token)) aborted();
    context.signal.addEventListener('abort', aborted, { once: true });
    state.copies.set(token, controller);
    const onProgress = (bytes: number): void => {
      void context.emit({ progress: bytes }).catch(() => undefined);
    };
    try {
      const throttle = p.paced === true ? pacedThrottle(state, token, context) : undefined;
      return await disk.copyFile(from, to, { signal: controller.signal, onProgress, ...(throttle ? { throttle } : {}) });
    } finally {
      state.copies.delete(token);
      context.signal.removeEventListener('abort', aborted);
    }
  },
  copyCancel: async (p: { token: unknown }, { session }) => {
    const token = str(p.token, 'the token', 'copyCancel');
    const state = stateOf(session);
    const running = state.copies.get(token);
    if (running) running.abort(new FsError('ABORTED', 'copyFile', '', 'ABORTED: operation aborted, copyFile'));
    else state.cancelledEarly.add(token);
  },
  copyGrant: async (p: { token: unknown }, { session }) => {
    const grant = stateOf(session).grants.get(str(p.token, 'the token', 'copyGrant'));
    grant?.();
    return grant !== undefined;
  },

  setAttributes: async (p: { path: unknown; mode?: unknown; mtimeNs?: unknown }, { session }) => {
    const path = await confinedBelow(session, p.path, 'setAttributes');
    const attributes: { mode?: number; mtimeNs?: bigint } = {};
    if (typeof p.mode === 'number') attributes.mode = p.mode;
    if (typeof p.mtimeNs === 'bigint') attributes.mtimeNs = p.mtimeNs;
    else if (typeof p.mtimeNs === 'number') attributes.mtimeNs = BigInt(p.mtimeNs);
    await disk.setAttributes(path, attributes);
  },
  rename: async (p: { from: unknown; to: unknown }, { session }) => {
    await disk.rename(await confinedBelow(session, p.from, 'rename'), await confinedBelow(session, p.to, 'rename'));
  },
  unlink: async (p: { path: unknown }, { session }) => {
    await disk.unlink(await confinedBelow(session, p.path, 'unlink'));
  },
  mkdir: async (p: { path: unknown; mode?: unknown }, { session }) => {
    await disk.mkdir(await confinedBelow(session, p.path, 'mkdir'), typeof p.mode === 'number' ? p.mode : undefined);
  },
  rmdir: async (p: { path: unknown }, { session }) => {
    await disk.rmdir(await confinedBelow(session, p.path, 'rmdir'));
  },
  /** The link's text is written verbatim and never followed; only where the link is made is a path. */
  symlink: async (p: { linkTarget: unknown; path: unknown }, { session }) => {
    await disk.symlink(str(p.linkTarget, 'the link text', 'symlink'), await confinedBelow(session, p.path, 'symlink'));
  },
  hash: async (p: { path: unknown }, { session, signal }) => disk.hash(await confinedBelow(session, p.path, 'hash'), signal),

  /**
   * The walk, in the agent's scan workers, against the baseline columns sent
   * inline (a fast-path walk's few rows) or held from an earlier `walkColumns`
   * (named by digest); the answer streams as pieces (agent/walk-serve.ts).
   */
  walkTree: async (p: WalkParams, context): Promise<WalkAnswer> => {
    const { session } = context;
    const root = await confinedBelow(session, p.root, 'walkTree');
    // The walk refuses unclean relative paths itself (scan/covering-paths.ts); confined here as well.
    for (const rel of p.options.onlyPaths ?? []) session.confined(posix.join(root, str(rel, 'a relative path', 'walkTree')), 'walkTree');
    return serveWalk(session, root, p, context, disk);
  },
  /** A piece of the columns a full walk will name by digest; kept for the session's walks of that root. */
  walkColumns: async (p: ColumnsPieceParams, { session }) => receiveColumns(session, await confinedBelow(session, p.root, 'walkColumns'), p),
  hashFiles: async (p: { root: unknown; relPaths: unknown }, { session, signal }) => {
    const root = await confinedBelow(session, p.root, 'hashFiles');
    const relPaths = confinedRelPaths(session, root, p.relPaths);
    return runChecked<string, HashOutcome>(
      session, relPaths, (rel) => [posix.join(root, rel)], 'hash',
      (part) => disk.hashFiles(root, part, signal), (err) => ({ error: { code: err.code, message: err.message } }),
    );
  },

  /** Copy batches within the far host, in the agent's copy workers; closed by the client, or with the session. */
  copyBatchesOpen: async (p: { workers: unknown }, { session }) => {
    const state = stateOf(session);
    const id = state.nextBatchesId++;
    state.batches.set(id, disk.openCopyBatches(typeof p.workers === 'number' ? p.workers : 1));
    return id;
  },
  copyBatch: async (p: { id: unknown; requests: readonly CopyRequest[] }, { session }) => {
    const batches = batchesOf(stateOf(session), p.id, 'copyBatch');
    const requests = p.requests.map((r) => confinedRequest(session, r));
    return runChecked(session, requests, (r) => [r.origin, r.dest, r.temp], 'copy', (part) => batches.copy(part), failure);
  },
  mkdirBatch: async (p: { id: unknown; requests: readonly MkdirRequest[] }, { session }) => {
    batchesOf(stateOf(session), p.id, 'mkdirBatch');
    const requests = p.requests.map((r) => confinedMkdir(session, r));
    // Here, synchronously (what a copy worker would run, copy-worker.ts): a batch of mkdirs is a few ms of
    // syscalls, less than starting the workers, which a push (copy.batchIn, on this thread) never needs otherwise.
    return runChecked(session, requests, (r) => [r.path], 'mkdir', (part) => Promise.resolve(part.map((r) => makeDirectorySync(r, disk))), failure);
  },
  copyBatchesClose: async (p: { id: unknown }, { session }) => {
    const state = stateOf(session);
    const batches = typeof p.id === 'number' ? state.batches.get(p.id) : undefined;
    if (batches === undefined) return;
    state.batches.delete(p.id as number);
    await batches.close();
  },
};
