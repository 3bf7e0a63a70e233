import type { Entry } from '../../core/entry.js';
import { sameFile, type CopyRequest } from '../../engine/copy-protocol.js';
import { copySync, type CopyItemResult } from '../../engine/copy-sync.js';
import {
  FsError, hasDescriptorOps, isFsError, LinkLostError, type CopyOptions, type DescriptorOps, type FileSystem, type ReadHandle, type SyncCopyOps,
} from '../../fs/file-system.js';
import type { BatchOutItem } from '../agent/copy-handlers.js';
import { BlockReader, BlockWriter, CHUNK_BLOCKS, signatureOfHandle, WINDOW, type OpChunk } from '../wire/block-transfer.js';
import type { Signature } from '../delta/signature.js';
import { fillingFromBytes, type ReadOrigin } from '../wire/filled-from-bytes.js';
import type { AgentLink } from '../link/link.js';
import type { LinkSource } from '../link/link-source.js';

/**
 * Copies between this host and a remote root's host (issue 10), for the
 * split filesystem (split-file-system.ts): `from` and `to` are real paths,
 * each on its own host. 'push': the origin is here, the destination on the
 * far host; 'pull': the reverse. The host that holds the destination writes
 * it (atomic temp + rename happen there: the agent for a push, this process
 * for a pull); the other only reads, through one O_NOFOLLOW descriptor.
 *
 * `copyFileAcross` (large files, FileSystem.copyFile's contract) streams in
 * chunks of 128 KiB blocks with a few calls in flight, so neither end holds
 * the file in memory and the link's backpressure paces the copy. With a
 * basis (CopyOptions.basis, on the destination's host), only the blocks the
 * basis lacks cross the link (delta/); the destination's host checks the
 * result against the origin's whole-file sha256 and, on a mismatch, the file
 * is copied whole: never a wrong file. `copyBatchAcross` (small files, many
 * per frame) runs the copy protocol (copy-protocol.ts) on the destination's
 * host with the bytes read on the origin's.
 */

export interface CrossHosts {
  /** This host's filesystem (node: it has DescriptorOps and SyncCopyOps). */
  readonly local: FileSystem;
  /** The far host's agent. */
  readonly link: LinkSource;
}

export type CrossDirection = 'push' | 'pull';

export async function copyFileAcross(hosts: CrossHosts, direction: CrossDirection, from: string, to: string, options: CopyOptions = {}): Promise<number> {
  const local = descriptorOpsOf(hosts.local, 'copyFile', to);
  try {
    throwIfAborted(options.signal, to);
    const link = await hosts.link.link(options.signal);
    const once = direction === 'push' ? pushOnce : pullOnce;
    const basis = options.basis === undefined ? null : direction === 'push' ? await remoteSignature(link, options.basis, options) : await localSignature(local, options.basis);
    const copied = await once(local, link, from, to, basis === null ? null : { path: options.basis!, signature: basis }, options);
    if (copied !== null) return copied;
    if (basis !== null) {
      // What was built from the basis is not the origin (the basis changed meanwhile): the whole file, once more.
      const whole = await once(local, link, from, to, null, options);
      if (whole !== null) return whole;
    }
    throw new FsError('EIO', 'copyFile', to, `EIO: the copy of '${from}' to '${to}' on ${direction === 'push' ? link.host : 'this host'} does not hash to the origin's sha256, copyFile '${to}'`);
  } catch (err) {
    throw perPathError(err, options.signal, to);
  }
}

/**
 * One result per request, in order; each request runs the copy protocol on
 * the host that holds its destination. Rejects only when the batch as a
 * whole is lost (the link dropped: then none of it may be assumed landed).
 */
export async function copyBatchAcross(hosts: CrossHosts, direction: CrossDirection, requests: readonly CopyRequest[], signal?: AbortSignal): Promise<CopyItemResult[]> {
  const local = descriptorOpsOf(hosts.local, 'copy', requests[0]?.dest ?? '');
  if (!isSyncCopyOps(local)) throw new Error('copyBatchAcross: this host\'s filesystem has no synchronous copy steps (SyncCopyOps)');
  const link = await hosts.link.link(signal);
  const results: CopyItemResult[] = [];
  for (const group of groupsOf(requests)) {
    if (signal?.aborted) {
      for (const r of group) results.push(abortedItem(r));
      continue;
    }
    results.push(...(direction === 'push' ? await pushGroup(local, link, group, signal) : await pullGroup(local, link, group, signal)));
  }
  return results;
}

// ---- large files ----

interface Basis {
  /** The basis's path on the destination's host. */
  readonly path: string;
  readonly signature: Signature;
}

async function remoteSignature(link: AgentLink, path: string, options: CopyOptions): Promise<Signature | null> {
  return link.call<Signature | null>('copy.signature', { path }, callOptions(options));
}

async function localSignature(local: DescriptorOps, path: string): Promise<Signature | null> {
  const handle = await openRegular(local, path);
  return handle === null ? null : signatureOfHandle(handle);
}

/** A regular file open for reading; null when there is none there (no basis). */
async function openRegular(local: DescriptorOps, path: string): Promise<ReadHandle | null> {
  let handle: ReadHandle;
  try {
    handle = await local.openForRead(path);
  } catch (err) {
    if (isFsError(err, 'ENOENT') || isFsError(err, 'ENOTDIR') || isFsError(err, 'ELOOP') || isFsError(err, 'EISDIR')) return null;
    throw err;
  }
  if ((await handle.entry()).kind !== 'file') {
    await handle.close();
    return null;
  }
  return handle;
}

/** Push one file: read here, the agent writes. Null: the agent's result did not hash to the origin's (and is gone). */
async function pushOnce(local: DescriptorOps, link: AgentLink, from: string, to: string, basis: Basis | null, options: CopyOptions): Promise<number | null> {
  const handle = await local.openForRead(from);
  let origin: Entry;
  try {
    origin = await handle.entry();
  } catch (err) {
    await handle.close();
    throw err;
  }
  if (origin.kind !== 'file') {
    await handle.close();
    throw new FsError('EOTHER', 'copyFile', from, `EOTHER: not a regular file, copyFile '${from}'`);
  }
  let created: { handle: number; basis: boolean };
  try {
    created = await link.call('copy.create', {
      path: to, basis: basis?.path ?? null, signature: basis === null ? null : { blockSize: basis.signature.blockSize, size: basis.signature.size },
    }, callOptions(options));
  } catch (err) {
    await handle.close();
    throw err;
  }
  const reader = new BlockReader(handle, created.basis ? basis!.signature : null);
  const inFlight: Promise<unknown>[] = [];
  try {
    for (;;) {
      throwIfAborted(options.signal, to);
      const chunk = await reader.next(CHUNK_BLOCKS);
      if (chunk.ops.length === 0) break;
      await options.throttle?.take(wireBytesOf(chunk), options.signal);
      const sent = link.call<number>('copy.apply', { handle: created.handle, chunk }, callOptions(options)).then((n) => options.onProgress?.(n));
      sent.catch(() => undefined);
      inFlight.push(sent);
      // The window: at most WINDOW chunks on their way, so a slow link holds the reading back.
      if (inFlight.length >= WINDOW) await inFlight.shift();
    }
    await Promise.all(inFlight.splice(0));
    throwIfAborted(options.signal, to);
    const read = await reader.finish();
    const mode = read.entry.kind === 'file' ? read.entry.mode : origin.mode;
    const kept = await link.call<{ entry: Entry; bytes: number } | null>('copy.finish', { handle: created.handle, sha256: read.sha256, mode }, callOptions(options));
    if (kept === null) return null;
    options.onProgress?.(kept.bytes);
    return kept.bytes;
  } catch (err) {
    await Promise.allSettled(inFlight);
    await reader.close();
    // The agent removes its temporary (and does so by itself when the session ends).
    if (!(err instanceof LinkLostError) && !link.lost.aborted) await link.call('copy.discard', { handle: created.handle }).catch(() => undefined);
    throw err;
  }
}

/** Pull one file: the agent reads, this host writes. Null: what was built did not hash to the origin's (and is gone). */
async function pullOnce(local: DescriptorOps, link: AgentLink, from: string, to: string, basis: Basis | null, options: CopyOptions): Promise<number | null> {
  const basisHandle = basis === null ? null : await openRegular(local, basis.path);
  const signature = basisHandle === null ? null : basis!.signature;
  let opened: { handle: number; entry: Entry };
  try {
    opened = await link.call('copy.open', { path: from, signature }, callOptions(options));
  } catch (err) {
    await basisHandle?.close();
    throw err;
  }
  let writer: BlockWriter;
  try {
    writer = new BlockWriter(await local.createExclusive(to), basisHandle === null ? null : { handle: basisHandle, signature: signature! }, to);
  } catch (err) {
    await basisHandle?.close();
    await link.call('copy.close', { handle: opened.handle }).catch(() => undefined);
    throw err;
  }
  const ask = (): Promise<OpChunk> => {
    const asked = link.call<OpChunk>('copy.next', { handle: opened.handle, count: CHUNK_BLOCKS }, callOptions(options));
    asked.catch(() => undefined);
    return asked;
  };
  const inFlight: Promise<OpChunk>[] = [];
  try {
    for (let i = 0; i < WINDOW; i++) inFlight.push(ask());
    let ended = false;
    while (inFlight.length > 0) {
      const chunk = await inFlight.shift()!;
      throwIfAborted(options.signal, to);
      if (chunk.ops.length === 0) {
        ended = true;
        continue;
      }
      await options.throttle?.take(wireBytesOf(chunk), options.signal);
      const written = await writer.apply(chunk);
      options.onProgress?.(written);
      if (!ended) inFlight.push(ask());
    }
    const read = await link.call<{ sha256: string; entry: Entry; size: number }>('copy.close', { handle: opened.handle }, callOptions(options));
    const mode = read.entry.kind === 'file' ? read.entry.mode : (opened.entry as { mode: number }).mode;
    const kept = await writer.finish(read.sha256, { mode });
    if (kept === null) return null;
    options.onProgress?.(kept.bytes);
    return kept.bytes;
  } catch (err) {
    await Promise.allSettled(inFlight);
    await writer.discard().catch(() => undefined);
    if (!(err instanceof LinkLostError) && !link.lost.aborted) await link.call('copy.close', { handle: opened.handle }).catch(() => undefined);
    throw err;
  }
}

/** The bytes a chunk puts on the link, roughly: its literal bytes plus a few per block index (for the throttle). */
function wireBytesOf(chunk: OpChunk): number {
  let n = 16;
  for (const op of chunk.ops) n += typeof op === 'number' ? 5 : op.length + 5;
  return n;
}

// ---- small files ----

/** Frames of at most this many bytes of file data (and items): the agent's frame limit is far above, a stop waits for little. */
const GROUP_BYTES = 8 * 1024 * 1024;
const GROUP_ITEMS = 256;

function groupsOf(requests: readonly CopyRequest[]): CopyRequest[][] {
  const groups: CopyRequest[][] = [];
  let group: CopyRequest[] = [];
  let bytes = 0;
  for (const r of requests) {
    if (group.length > 0 && (group.length >= GROUP_ITEMS || bytes + r.originEntry.size > GROUP_BYTES)) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(r);
    bytes += r.originEntry.size;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/** Push: each origin read here (O_NOFOLLOW, up to one byte past its planned size), the protocol run by the agent. */
async function pushGroup(local: DescriptorOps, link: AgentLink, group: readonly CopyRequest[], signal: AbortSignal | undefined): Promise<CopyItemResult[]> {
  const results: (CopyItemResult | undefined)[] = [];
  const items: { request: CopyRequest; data: Uint8Array | null; origin: Entry | null }[] = [];
  const sentAt: number[] = [];
  group.forEach((request, k) => {
    try {
      const read = local.readOriginSync(request.origin, request.originEntry.size + 1);
      // Changed while read (or not the file planned): the bytes are not sent, the agent's protocol skips it.
      const data = read.origin !== null && sameFile(read.origin, request.originEntry) ? read.data : null;
      items.push({ request, data, origin: read.origin });
      sentAt.push(k);
      results.push(undefined);
    } catch (err) {
      results.push({ ok: false, error: failureOf(err, request.origin) });
    }
  });
  if (items.length > 0) {
    const answered = await link.call<CopyItemResult[]>('copy.batchIn', { items }, signal ? { signal } : {});
    sentAt.forEach((k, i) => {
      results[k] = answered[i] ?? { ok: false, error: { code: 'EOTHER', op: 'copy', path: group[k]!.dest, message: 'EOTHER: the agent gave no result for this file' } };
    });
  }
  return results as CopyItemResult[];
}

/** Pull: the agent reads each origin, the protocol runs here with those bytes. */
async function pullGroup(disk: SyncCopyOps & DescriptorOps, link: AgentLink, group: readonly CopyRequest[], signal: AbortSignal | undefined): Promise<CopyItemResult[]> {
  const read = await link.call<BatchOutItem[]>('copy.batchOut', { items: group.map((r) => ({ path: r.origin, limit: r.originEntry.size + 1 })) }, signal ? { signal } : {});
  return group.map((request, k): CopyItemResult => {
    const item = read[k];
    if (item === undefined) return { ok: false, error: { code: 'EOTHER', op: 'copy', path: request.origin, message: 'EOTHER: the agent read nothing for this file' } };
    if ('error' in item) return { ok: false, error: { code: item.error.code, op: 'copy', path: request.origin, message: item.error.message } };
    if (signal?.aborted) return abortedItem(request);
    const bytes: ReadOrigin = item.origin !== null && sameFile(item.origin, request.originEntry) ? item : { data: null, origin: item.origin };
    return copySync(request, fillingFromBytes(disk, bytes, request.temp));
  });
}

function abortedItem(request: CopyRequest): CopyItemResult {
  return { ok: false, error: { code: 'ABORTED', op: 'copy', path: request.dest, message: `ABORTED: the copy was stopped, copy '${request.dest}'` } };
}

function failureOf(err: unknown, path: string): { code: string; op: string; path: string; message: string } {
  if (isFsError(err)) return { code: err.code, op: err.op, path: err.path, message: err.message };
  return { code: 'EOTHER', op: 'copy', path, message: err instanceof Error ? err.message : String(err) };
}

// ---- shared ----

function descriptorOpsOf(fs: FileSystem, op: string, path: string): DescriptorOps {
  if (!hasDescriptorOps(fs)) throw new FsError('EOTHER', op, path, `EOTHER: this host's filesystem cannot stream a copy across the link (no DescriptorOps), ${op} '${path}'`);
  return fs;
}

function isSyncCopyOps<T extends object>(fs: T): fs is T & SyncCopyOps {
  const s = fs as Partial<SyncCopyOps>;
  return typeof s.lstatOrNullSync === 'function' && typeof s.renameSync === 'function' && typeof s.unlinkSync === 'function' && typeof s.setCreatedFileAttributesSync === 'function';
}

function callOptions(options: CopyOptions): { signal?: AbortSignal } {
  return options.signal ? { signal: options.signal } : {};
}

function throwIfAborted(signal: AbortSignal | undefined, path: string): void {
  if (signal?.aborted) throw new FsError('ABORTED', 'copyFile', path, `ABORTED: operation aborted, copyFile '${path}'`);
}

/**
 * The error of one copy as FileSystem.copyFile throws it: an FsError; a lost
 * link (or a stop) is ABORTED, so the generation records the file as
 * interrupted, not failed.
 */
function perPathError(err: unknown, signal: AbortSignal | undefined, path: string): Error {
  if (err instanceof FsError) return err;
  if (err instanceof LinkLostError) return new FsError('ABORTED', 'copyFile', path, `ABORTED: ${err.message}, copyFile '${path}'`);
  if (signal?.aborted) return new FsError('ABORTED', 'copyFile', path, `ABORTED: operation aborted, copyFile '${path}'`);
  return err instanceof Error ? err : new Error(String(err));
}
