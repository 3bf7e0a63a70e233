import { createHash, type Hash } from 'node:crypto';
import type { Entry } from '../../core/entry.js';
import { FsError, type ReadHandle, type WriteHandle } from '../../fs/file-system.js';
import { DeltaEncoder, opsLength, type DeltaOp } from '../delta/delta.js';
import { basisBlockRange } from '../delta/patch.js';
import { BLOCK_SIZE, SignatureBuilder, type Signature } from '../delta/signature.js';

/**
 * The two ends of one file's copy across a link, over descriptors
 * (file-system.ts DescriptorOps), used the same way by the client
 * (cross-copy.ts) and the agent (agent/copy-handlers.ts), whichever holds
 * the origin:
 * - `BlockReader` reads the origin block by block through one O_NOFOLLOW
 *   descriptor, encodes it against the basis's signature (delta/delta.ts:
 *   basis block indices found at any offset, and literal bytes) and hashes
 *   the whole file as read;
 * - `BlockWriter` writes those ops into a temporary created exclusively,
 *   copying matched blocks from the basis, hashes what it wrote, and keeps
 *   the result only when that hash is the origin's (a basis that changed
 *   meanwhile, or any other mismatch, is never a wrong file: it is discarded
 *   and the caller copies the whole file).
 * Both take their calls in order (a chain), so several may be in flight
 * over the link and each chunk still lands at its place.
 */

/** Blocks per call over the link: 1 MiB of literal bytes at most per frame. */
export const CHUNK_BLOCKS = 8;
/** Calls in flight per file: enough to keep a link busy, little memory (4 MiB). */
export const WINDOW = 4;

/** A chunk of ops and where it starts in the file. */
export interface OpChunk {
  readonly offset: number;
  readonly ops: DeltaOp[];
}

/** Runs async steps one after another, in the order they were asked for. */
class InOrder {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(step: () => Promise<T>): Promise<T> {
    const next = this.tail.then(step);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

export class BlockReader {
  private readonly whole: Hash = createHash('sha256');
  private readonly order = new InOrder();
  private readonly encoder: DeltaEncoder;
  private position = 0;
  private ended = false;

  constructor(private readonly handle: ReadHandle, private readonly signature: Signature | null, readonly blockSize: number = signature?.blockSize ?? BLOCK_SIZE) {
    this.encoder = new DeltaEncoder(signature, blockSize);
  }

  /** The ops for about the next `count` blocks of the origin (fewer at the end; none after it). */
  next(count: number): Promise<OpChunk> {
    return this.order.run(async () => {
      const offset = this.position;
      const ops: DeltaOp[] = [];
      let bytes = 0;
      while (!this.ended && bytes < count * this.blockSize) {
        const block = await readBlock(this.handle, this.blockSize);
        this.whole.update(block);
        const produced = this.encoder.push(block);
        // A short block is the end of the file (readBlock gathers short reads).
        if (block.length < this.blockSize) {
          this.ended = true;
          produced.push(...this.encoder.end());
        }
        for (const op of produced) ops.push(op);
        bytes += opsLength(produced, this.signature);
      }
      this.position = offset + bytes;
      return { offset, ops };
    });
  }

  /** The whole file's sha256 (hex) as read, and the origin as its descriptor sees it now; closes it. */
  finish(): Promise<{ readonly sha256: string; readonly entry: Entry; readonly size: number }> {
    return this.order.run(async () => {
      try {
        return { sha256: this.whole.digest('hex'), entry: await this.handle.entry(), size: this.position };
      } finally {
        await this.handle.close();
      }
    });
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

export class BlockWriter {
  private readonly whole: Hash = createHash('sha256');
  private readonly order = new InOrder();
  private position = 0;
  private done = false;

  /**
   * @param out the temporary, created exclusively
   * @param basis the basis, open for reading, with its signature (the block size and how many blocks); null: literal bytes only
   */
  constructor(
    private readonly out: WriteHandle,
    private readonly basis: { readonly handle: ReadHandle; readonly signature: Pick<Signature, 'blockSize' | 'size'> } | null,
    private readonly path: string,
  ) {}

  /** Writes one chunk; chunks must come in file order (each starts where the last ended). Resolves to the bytes written so far. */
  apply(chunk: OpChunk): Promise<number> {
    return this.order.run(async () => {
      if (this.done) throw new FsError('EOTHER', 'copyFile', this.path, `EOTHER: a chunk after the end of the copy, copyFile '${this.path}'`);
      if (chunk.offset !== this.position) {
        throw new FsError('EOTHER', 'copyFile', this.path, `EOTHER: a chunk at ${chunk.offset} where ${this.position} was next, copyFile '${this.path}'`);
      }
      for (const op of chunk.ops) {
        const bytes = typeof op === 'number' ? await this.basisBlock(op) : op;
        await this.out.writeAt(this.position, bytes);
        this.whole.update(bytes);
        this.position += bytes.length;
      }
      return this.position;
    });
  }

  private async basisBlock(index: number): Promise<Uint8Array> {
    const basis = this.basis;
    if (basis === null) throw new FsError('EOTHER', 'copyFile', this.path, `EOTHER: a basis block but no basis, copyFile '${this.path}'`);
    let range: { position: number; length: number };
    try {
      range = basisBlockRange(index, basis.signature);
    } catch (err) {
      throw new FsError('EOTHER', 'copyFile', this.path, `EOTHER: ${(err as Error).message}, copyFile '${this.path}'`);
    }
    // Whatever the basis holds there now: a basis changed since its signature shows in the final hash.
    const first = await basis.handle.readAt(range.position, range.length);
    if (first.length === range.length || first.length === 0) return first;
    const parts = [first];
    for (let got = first.length; got < range.length; ) {
      const more = await basis.handle.readAt(range.position + got, range.length - got);
      if (more.length === 0) break;
      parts.push(more);
      got += more.length;
    }
    return Buffer.concat(parts);
  }

  /**
   * Keep the temporary when what was written hashes to `sha256` (the
   * origin's, as read): mode (and mtime) set, closed, what it holds. Otherwise
   * it is removed and the answer is null.
   */
  finish(sha256: string, attributes: { readonly mode: number; readonly mtimeNs?: bigint }): Promise<{ readonly entry: Entry; readonly bytes: number } | null> {
    return this.order.run(async () => {
      this.done = true;
      await this.basis?.handle.close();
      if (this.whole.digest('hex') !== sha256) {
        await this.out.discard();
        return null;
      }
      return { entry: await this.out.finish(attributes), bytes: this.position };
    });
  }

  /** Give up: the temporary is removed (it is this copy's own). */
  async discard(): Promise<void> {
    this.done = true;
    await this.basis?.handle.close();
    await this.out.discard();
  }
}

/** One whole block of `size` bytes from the current position (shorter only at the end of the file). */
async function readBlock(handle: ReadHandle, size: number): Promise<Buffer> {
  const first = await handle.read(size);
  if (first.length === size || first.length === 0) return first;
  const parts = [first];
  let got = first.length;
  while (got < size) {
    const more = await handle.read(size - got);
    if (more.length === 0) break;
    parts.push(more);
    got += more.length;
  }
  return Buffer.concat(parts);
}

/** The signature of a file read through `handle` (closed after). */
export async function signatureOfHandle(handle: ReadHandle, blockSize: number = BLOCK_SIZE): Promise<Signature> {
  try {
    const builder = new SignatureBuilder(blockSize);
    for (;;) {
      const block = await readBlock(handle, blockSize);
      if (block.length === 0) break;
      builder.add(block);
      if (block.length < blockSize) break;
    }
    return builder.finish();
  } finally {
    await handle.close();
  }
}
