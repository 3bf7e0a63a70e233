import type { Entry } from '../../core/entry.js';
import { ancestorsBelow, checkAncestors, checkAncestorsSync } from '../../engine/confine.js';
import type { CopyRequest } from '../../engine/copy-protocol.js';
import { copySync, type CopyItemResult } from '../../engine/copy-sync.js';
import { FsError, isFsError } from '../../fs/file-system.js';
import { NodeFileSystem } from '../../fs/node-file-system.js';
import { BlockReader, BlockWriter, signatureOfHandle, type OpChunk } from '../wire/block-transfer.js';
import { BLOCK_SIZE, checkedSignature, type Signature } from '../delta/signature.js';
import { fillingFromBytes } from '../wire/filled-from-bytes.js';
import type { AgentHandlers, AgentSession } from './serve.js';

/**
 * The agent's side of copies across the link (the client's is
 * remote/client/cross-copy.ts). Every path a call names goes through
 * `session.confined` (lexically inside the root) and, before it is opened,
 * the directories between the root and it are checked to be real
 * directories (confine.ts): a parent swapped for a link on this host is
 * refused, and nothing outside the root is read or written.
 *
 * Large files, one at a time, in chunks the client asks for (so both ends
 * keep little in memory and the link's backpressure paces them):
 * - push (the destination is here): `copy.signature` of the basis,
 *   `copy.create` the temporary, `copy.apply` chunks of ops, `copy.finish`
 *   with the origin's sha256 (kept only when it matches), or `copy.discard`;
 * - pull (the origin is here): `copy.open` with the client's basis
 *   signature, `copy.next` chunks of ops, `copy.close` (the whole file's
 *   sha256 and the origin as its descriptor saw it).
 * Small files, many per frame: `copy.batchIn` runs the copy protocol here on
 * bytes the client read (push), `copy.batchOut` reads origins for the client
 * to run the protocol on its side (pull).
 *
 * Open copies belong to the session: when it ends, unfinished temporaries are
 * removed and descriptors closed.
 */

const disk = new NodeFileSystem();

interface Copies {
  nextId: number;
  readonly writers: Map<number, BlockWriter>;
  readonly readers: Map<number, BlockReader>;
}

const sessions = new WeakMap<AgentSession, Copies>();

function copiesOf(session: AgentSession): Copies {
  let copies = sessions.get(session);
  if (copies === undefined) {
    const made: Copies = { nextId: 1, writers: new Map(), readers: new Map() };
    copies = made;
    sessions.set(session, made);
    session.onClose(async () => {
      for (const writer of made.writers.values()) await writer.discard().catch(() => undefined);
      for (const reader of made.readers.values()) await reader.close().catch(() => undefined);
      made.writers.clear();
      made.readers.clear();
    });
  }
  return copies;
}

/** `path` inside the root, lexically and through real directories only (each checked now, on this host). */
async function confinedPath(session: AgentSession, path: unknown, op: string): Promise<string> {
  const confined = session.confined(path as string, op);
  if (confined !== session.root) await checkAncestors(disk, ancestorsBelow(session.root, confined), op, confined);
  return confined;
}

function confinedPathSync(session: AgentSession, path: unknown, op: string): string {
  const confined = session.confined(path as string, op);
  if (confined !== session.root) checkAncestorsSync((p) => disk.lstatOrNullSync(p), ancestorsBelow(session.root, confined), op, confined);
  return confined;
}

function handleOf<T>(map: Map<number, T>, id: unknown, what: string): T {
  const found = typeof id === 'number' ? map.get(id) : undefined;
  if (found === undefined) throw new FsError('EOTHER', what, '', `EOTHER: no open copy ${String(id)} (${what})`);
  return found;
}

/** Nothing there, or not a regular file: no basis (the copy sends every block). */
function isNoBasis(err: unknown): boolean {
  return isFsError(err, 'ENOENT') || isFsError(err, 'ENOTDIR') || isFsError(err, 'ELOOP') || isFsError(err, 'EISDIR');
}

async function openBasis(path: string): Promise<{ handle: Awaited<ReturnType<NodeFileSystem['openForRead']>>; entry: Entry } | null> {
  let handle;
  try {
    handle = await disk.openForRead(path);
  } catch (err) {
    if (isNoBasis(err)) return null;
    throw err;
  }
  const entry = await handle.entry();
  if (entry.kind !== 'file') {
    await handle.close();
    return null;
  }
  return { handle, entry };
}

/** One push item: the request (paths on this host) and the bytes the client read from its origin, with the origin as seen while read. */
interface BatchInItem {
  readonly request: CopyRequest;
  /** null: the origin was not the regular file planned (a link swapped in, gone): no temporary is made. */
  readonly data: Uint8Array | null;
  readonly origin: Entry | null;
}

export type BatchOutItem = { readonly data: Uint8Array | null; readonly origin: Entry | null } | { readonly error: { readonly code: string; readonly message: string } };

export const copyHandlers: AgentHandlers = {
  /** The basis's block signature, or null when there is no regular file there. */
  async 'copy.signature'(params: { path: string; blockSize?: number }, { session }): Promise<Signature | null> {
    const path = await confinedPath(session, params.path, 'signature');
    const basis = await openBasis(path);
    return basis === null ? null : signatureOfHandle(basis.handle, params.blockSize ?? BLOCK_SIZE);
  },

  /** Create the temporary `path` exclusively; with a basis, matched blocks come from it. `basis: false` in the answer: none (send every block). */
  async 'copy.create'(params: { path: string; basis: string | null; signature: { blockSize: number; size: number } | null }, { session }) {
    const path = await confinedPath(session, params.path, 'create');
    const basisPath = params.basis === null ? null : await confinedPath(session, params.basis, 'open');
    const copies = copiesOf(session);
    const basis = basisPath === null || params.signature === null ? null : await openBasis(basisPath);
    let out;
    try {
      out = await disk.createExclusive(path);
    } catch (err) {
      await basis?.handle.close();
      throw err;
    }
    const writer = new BlockWriter(out, basis === null ? null : { handle: basis.handle, signature: params.signature! }, path);
    const id = copies.nextId++;
    copies.writers.set(id, writer);
    return { handle: id, basis: basis !== null };
  },

  async 'copy.apply'(params: { handle: number; chunk: OpChunk }, { session }) {
    return handleOf(copiesOf(session).writers, params.handle, 'copy.apply').apply(params.chunk);
  },

  /** Keep the temporary when it hashes to the origin's `sha256`: what it holds; null (and removed) otherwise. */
  async 'copy.finish'(params: { handle: number; sha256: string; mode: number; mtimeNs?: bigint }, { session }) {
    const copies = copiesOf(session);
    const writer = handleOf(copies.writers, params.handle, 'copy.finish');
    copies.writers.delete(params.handle);
    try {
      return await writer.finish(params.sha256, params.mtimeNs === undefined ? { mode: params.mode } : { mode: params.mode, mtimeNs: params.mtimeNs });
    } catch (err) {
      await writer.discard().catch(() => undefined);
      throw err;
    }
  },

  async 'copy.discard'(params: { handle: number }, { session }) {
    const copies = copiesOf(session);
    const writer = copies.writers.get(params.handle);
    copies.writers.delete(params.handle);
    await writer?.discard();
    return null;
  },

  /** Open an origin here for the client to pull, encoded against its basis's signature (null: every block as bytes). */
  async 'copy.open'(params: { path: string; signature: unknown }, { session }) {
    const path = await confinedPath(session, params.path, 'open');
    const signature = params.signature === null || params.signature === undefined ? null : checkedSignature(params.signature);
    const handle = await disk.openForRead(path);
    const entry = await handle.entry().catch(async (err: unknown) => {
      await handle.close();
      throw err;
    });
    if (entry.kind !== 'file') {
      await handle.close();
      throw new FsError('EOTHER', 'copyFile', path, `EOTHER: not a regular file, copyFile '${path}'`);
    }
    const copies = copiesOf(session);
    const id = copies.nextId++;
    copies.readers.set(id, new BlockReader(handle, signature));
    return { handle: id, entry };
  },

  async 'copy.next'(params: { handle: number; count: number }, { session }) {
    const count = Math.max(1, Math.min(64, Math.floor(Number(params.count) || 1)));
    return handleOf(copiesOf(session).readers, params.handle, 'copy.next').next(count);
  },

  /** The whole origin's sha256 as read and its entry as its descriptor sees it; closes it. */
  async 'copy.close'(params: { handle: number }, { session }) {
    const copies = copiesOf(session);
    const reader = copies.readers.get(params.handle);
    copies.readers.delete(params.handle);
    if (reader === undefined) return null;
    return reader.finish();
  },

  /** Push, small files: the copy protocol for each request, here, next to the destination. One result per item, in order. */
  async 'copy.batchIn'(params: { items: readonly BatchInItem[] }, { session, signal }): Promise<CopyItemResult[]> {
    const results: CopyItemResult[] = [];
    for (const item of params.items) {
      if (signal.aborted) {
        results.push({ ok: false, error: { code: 'ABORTED', op: 'copy', path: String(item.request?.dest), message: 'ABORTED: the batch was cancelled' } });
        continue;
      }
      results.push(batchInItem(session, item));
    }
    return results;
  },

  /** Pull, small files: each origin read through one O_NOFOLLOW descriptor, up to `limit` bytes, with its entry as seen while read. */
  async 'copy.batchOut'(params: { items: readonly { path: string; limit: number }[] }, { session }): Promise<BatchOutItem[]> {
    return params.items.map((item) => {
      try {
        const path = confinedPathSync(session, item.path, 'copyFile');
        return disk.readOriginSync(path, Math.max(0, Math.min(64 * 1024 * 1024, Math.floor(item.limit))));
      } catch (err) {
        const e = err instanceof FsError ? err : new FsError('EOTHER', 'copyFile', String(item.path), String(err));
        return { error: { code: e.code, message: e.message } };
      }
    });
  },
};

/** One push item: every path of the request confined here, then the protocol (copy-protocol.ts) with the client's bytes as the copy. */
function batchInItem(session: AgentSession, item: BatchInItem): CopyItemResult {
  const request = item.request;
  let confined: CopyRequest;
  try {
    const dest = confinedPathSync(session, request.dest, 'copyFile');
    const temp = session.confined(request.temp, 'create');
    if (temp.slice(0, temp.lastIndexOf('/')) !== dest.slice(0, dest.lastIndexOf('/'))) {
      throw new FsError('EACCES', 'create', temp, `EACCES: the temporary ${temp} is not beside ${dest}`);
    }
    const ancestors = request.ancestors.map((a) => ({ path: session.confined(a.path, 'copyFile'), ino: a.ino }));
    // A versioned request keeps its flag: the protocol's setAside step then fails loudly (copy-sync.ts), never a copy without the version.
    confined = { ...request, dest, temp, ancestors, versioned: request.versioned === true };
  } catch (err) {
    const e = err instanceof FsError ? err : new FsError('EOTHER', 'copyFile', String(request?.dest), String(err));
    return { ok: false, error: { code: e.code, op: e.op, path: e.path, message: e.message } };
  }
  return copySync(confined, fillingFromBytes(disk, item, confined.temp));
}
