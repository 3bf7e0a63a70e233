import { blockCount, blockHash, blockLength, HASH_BYTES, type Signature } from './signature.js';

/**
 * The origin's side of a block delta (signature.ts): each origin block, cut
 * at the signature's block size, becomes either the index of a basis block
 * with the same sha256 and length, or its bytes. Pure.
 */

/** A basis block's index (copy it from the basis), or literal bytes. */
export type DeltaOp = number | Uint8Array;

/** Encodes an origin's blocks, in order, against one basis signature (none: every block is literal). */
export class DeltaEncoder {
  private readonly index = new Map<string, number>();
  /** Each basis block's length: a hash match of another length (impossible for sha256, cheap to rule out) is no match. */
  private readonly lengths: number[] = [];

  constructor(signature: Signature | null) {
    if (signature === null) return;
    const n = blockCount(signature);
    for (let i = 0; i < n; i++) {
      const key = Buffer.from(signature.hashes.buffer, signature.hashes.byteOffset + i * HASH_BYTES, HASH_BYTES).toString('base64');
      // The first basis block with a hash wins (a file of zeros has many).
      if (!this.index.has(key)) this.index.set(key, i);
      this.lengths.push(blockLength(signature, i));
    }
  }

  /** One origin block (blockSize bytes, but the last): a basis index when the basis holds the same bytes. */
  encode(block: Uint8Array): DeltaOp {
    if (this.index.size === 0) return block;
    const match = this.index.get(blockHash(block).toString('base64'));
    return match !== undefined && this.lengths[match] === block.length ? match : block;
  }
}

/** The delta of a whole buffer against a signature; adjacent literal blocks stay separate ops (one per block). */
export function deltaOf(origin: Uint8Array, signature: Signature): DeltaOp[] {
  const encoder = new DeltaEncoder(signature);
  const ops: DeltaOp[] = [];
  for (let at = 0; at < origin.length; at += signature.blockSize) ops.push(encoder.encode(origin.subarray(at, Math.min(origin.length, at + signature.blockSize))));
  return ops;
}

/** How many bytes of a delta are literal (what crosses the link besides indices). */
export function literalBytes(ops: readonly DeltaOp[]): number {
  let n = 0;
  for (const op of ops) if (typeof op !== 'number') n += op.length;
  return n;
}
