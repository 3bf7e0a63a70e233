import { createHash } from 'node:crypto';
import { weakChecksum } from './weak.js';

/**
 * Block signatures for copies across a link (issue 10), as Syncthing and
 * rsync do it: a file is cut into fixed blocks (the last one may be shorter)
 * and each block is named by its sha256, plus a weak rolling checksum
 * (rsync's, weak.ts) so that the origin's side can find a basis block at any
 * offset, not only at block boundaries: an insertion or a deletion costs the
 * blocks around it, not every block after it. The host that holds the basis
 * (usually the destination being replaced) sends its signature; the origin's
 * host then sends either the index of a basis block or literal bytes
 * (delta.ts), and the basis's host rebuilds the file (patch.ts). Pure: no
 * disk, no clock.
 */

/** 128 KiB, Syncthing's smallest block size: a 1 % scattered change in 64 MiB touches at most ~5 % of the blocks. */
export const BLOCK_SIZE = 128 * 1024;
export const HASH_BYTES = 32;

export interface Signature {
  readonly blockSize: number;
  /** The basis's size in bytes. */
  readonly size: number;
  /** sha256 of each block, concatenated (HASH_BYTES each), in order. */
  readonly hashes: Uint8Array;
  /** The weak rolling checksum of each block (weak.ts), in order. */
  readonly weak: Uint32Array;
}

export function blockHash(block: Uint8Array): Buffer {
  return createHash('sha256').update(block).digest();
}

/** Builds a signature from a file's blocks as they are read, in order. */
export class SignatureBuilder {
  private readonly parts: Buffer[] = [];
  private readonly weak: number[] = [];
  private size = 0;

  constructor(readonly blockSize: number = BLOCK_SIZE) {
    if (!Number.isInteger(blockSize) || blockSize <= 0) throw new Error(`signature: block size ${blockSize} is not a positive integer`);
  }

  /** The next block: exactly `blockSize` bytes, except the last one (shorter, never empty). */
  add(block: Uint8Array): void {
    if (block.length === 0 || block.length > this.blockSize) throw new Error(`signature: a block of ${block.length} bytes (block size ${this.blockSize})`);
    if (this.size % this.blockSize !== 0) throw new Error('signature: a block after the short last one');
    this.parts.push(blockHash(block));
    this.weak.push(weakChecksum(block));
    this.size += block.length;
  }

  finish(): Signature {
    return { blockSize: this.blockSize, size: this.size, hashes: Buffer.concat(this.parts), weak: Uint32Array.from(this.weak) };
  }
}

/** The signature of a whole buffer. */
export function signatureOf(data: Uint8Array, blockSize: number = BLOCK_SIZE): Signature {
  const builder = new SignatureBuilder(blockSize);
  for (let at = 0; at < data.length; at += blockSize) builder.add(data.subarray(at, Math.min(data.length, at + blockSize)));
  return builder.finish();
}

export function blockCount(signature: Signature): number {
  return signature.hashes.length / HASH_BYTES;
}

/** The length of basis block `index` (the last one may be short). */
export function blockLength(signature: Signature, index: number): number {
  return Math.min(signature.blockSize, signature.size - index * signature.blockSize);
}

/**
 * A signature as it arrived over the link, checked: a consistent shape or an
 * Error naming what is wrong (the wire is not trusted to be well-formed).
 */
export function checkedSignature(value: unknown): Signature {
  const s = value as Partial<Signature> | null;
  if (s === null || typeof s !== 'object') throw new Error('signature: not an object');
  const { blockSize, size, hashes, weak } = s;
  if (typeof blockSize !== 'number' || !Number.isInteger(blockSize) || blockSize <= 0 || blockSize > 16 * 1024 * 1024) throw new Error(`signature: bad block size ${String(blockSize)}`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new Error(`signature: bad size ${String(size)}`);
  if (!(hashes instanceof Uint8Array)) throw new Error('signature: hashes are not bytes');
  if (hashes.length !== Math.ceil(size / blockSize) * HASH_BYTES) throw new Error(`signature: ${hashes.length} hash bytes for ${size} bytes in blocks of ${blockSize}`);
  if (!(weak instanceof Uint32Array) || weak.length !== hashes.length / HASH_BYTES) throw new Error('signature: the weak checksums do not match the blocks');
  return { blockSize, size, hashes, weak };
}
