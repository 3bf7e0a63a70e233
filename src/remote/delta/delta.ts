import { blockCount, blockHash, blockLength, HASH_BYTES, type Signature } from './signature.js';
import { combineWeak, weakParts } from './weak.js';

/**
 * The origin's side of a block delta (signature.ts): the origin, fed in
 * order, becomes a list of ops, each either the index of a basis block with
 * the same bytes or literal bytes (at most one block's worth per op). Basis
 * blocks are found at any offset, as rsync does: the weak rolling checksum
 * (weak.ts) of the window at each offset is looked up, and a hit is
 * confirmed by sha256. Where the last match ended, the next basis block is
 * tried by its sha256 first (a file mostly unchanged then costs one hash per
 * block, like fixed blocks); only where that fails does the window roll
 * byte by byte. Streaming: `push` takes the origin in pieces and holds back
 * less than two blocks. Pure.
 */

/** A basis block's index (copy it from the basis), or literal bytes. */
export type DeltaOp = number | Uint8Array;

export class DeltaEncoder {
  private readonly signature: Signature | null;
  private readonly blockSize: number;
  /** sha256 (base64) → the first basis block with it. */
  private readonly strong = new Map<string, number>();
  /** Weak checksums of basis blocks of full length (the short last block is only tried at the end). */
  private readonly weak = new Set<number>();
  /** A 16-bit prefilter of `weak`, as rsync's tag table: most offsets are rejected by one array read. */
  private readonly filter = new Uint8Array(1 << 16);

  /** Origin bytes not yet turned into ops: `literal` is where pending literal bytes start, `at` the window's start. */
  private buffer: Uint8Array = new Uint8Array(0);
  private literal = 0;
  private at = 0;
  /** The weak checksum's halves for the window at `at`, when `rolled`. */
  private a = 0;
  private b = 0;
  private rolled = false;
  /** At the start and right after a match, the window is first tried by its sha256 alone (the next block is likely unchanged). */
  private strongFirst = true;

  /** @param blockSize without a signature: the size of the literal pieces */
  constructor(signature: Signature | null, blockSize = 128 * 1024) {
    this.signature = signature;
    this.blockSize = signature?.blockSize ?? blockSize;
    if (signature === null) return;
    const n = blockCount(signature);
    for (let i = 0; i < n; i++) {
      const key = Buffer.from(signature.hashes.buffer, signature.hashes.byteOffset + i * HASH_BYTES, HASH_BYTES).toString('base64');
      // The first basis block with a hash wins (a file of zeros has many).
      if (!this.strong.has(key)) this.strong.set(key, i);
      if (blockLength(signature, i) === this.blockSize) {
        const w = signature.weak[i]!;
        this.weak.add(w);
        this.filter[tag(w)] = 1;
      }
    }
  }

  /** More of the origin, in order: the ops that are final so far. */
  push(data: Uint8Array): DeltaOp[] {
    if (data.length === 0) return [];
    const kept = this.buffer.subarray(this.literal);
    const joined = new Uint8Array(kept.length + data.length);
    joined.set(kept, 0);
    joined.set(data, kept.length);
    this.at -= this.literal;
    this.literal = 0;
    this.buffer = joined;
    return this.scan(false);
  }

  /** The end of the origin: the remaining ops. */
  end(): DeltaOp[] {
    return this.scan(true);
  }

  private scan(final: boolean): DeltaOp[] {
    const ops: DeltaOp[] = [];
    const B = this.blockSize;
    const data = this.buffer;
    if (this.strong.size === 0) {
      // Nothing to match: whole blocks of literal bytes (the rest waits for more, or the end).
      while (data.length - this.literal >= B || (final && data.length > this.literal)) {
        const end = Math.min(data.length, this.literal + B);
        ops.push(data.subarray(this.literal, end));
        this.literal = end;
      }
      this.at = this.literal;
      return ops;
    }
    while (data.length - this.at >= B) {
      let found: number | null = null;
      if (this.strongFirst) {
        this.strongFirst = false;
        found = this.strongMatch(data.subarray(this.at, this.at + B));
      }
      if (found === null) found = this.roll(ops, data);
      if (found === null) break; // the window is at the end of what arrived
      this.flushLiteral(ops, data, this.at);
      ops.push(found);
      this.at += B;
      this.literal = this.at;
      this.rolled = false;
      this.strongFirst = true;
    }
    if (final) this.matchTail(ops, data);
    return ops;
  }

  /**
   * Slide the window from `at` until a basis block matches (its index; the
   * window is then at `at`) or the window reaches the end of the data (null).
   * Literal bytes behind the window leave in whole blocks, so at most two
   * blocks are ever held back.
   */
  private roll(ops: DeltaOp[], data: Uint8Array): number | null {
    const B = this.blockSize;
    const last = data.length - B;
    let at = this.at;
    if (!this.rolled) {
      ({ a: this.a, b: this.b } = weakParts(data, at, B));
      this.rolled = true;
    }
    let a = this.a;
    let b = this.b;
    const filter = this.filter;
    let found: number | null = null;
    // The hot loop (every byte of a changed region): locals only, the prefilter read as a ^ b (= tag(a | b << 16)),
    // and the literal bytes behind the window flushed once per block rather than checked per byte.
    search: for (;;) {
      const flushAt = Math.min(last, this.literal + B);
      for (;;) {
        if (filter[(a ^ b) & 0xffff] === 1 && this.weak.has(combineWeak(a, b))) {
          found = this.strongMatch(data.subarray(at, at + B));
          if (found !== null) break search;
        }
        if (at === flushAt) break;
        const out = data[at]!;
        a = (a - out + data[at + B]!) & 0xffff;
        b = (b - B * out + a) & 0xffff;
        at++;
      }
      if (at - this.literal >= B) {
        ops.push(data.subarray(this.literal, this.literal + B));
        this.literal += B;
      }
      if (at === last) break;
    }
    this.at = at;
    this.a = a;
    this.b = b;
    return found;
  }

  private strongMatch(window: Uint8Array): number | null {
    const found = this.strong.get(blockHash(window).toString('base64'));
    return found !== undefined && blockLength(this.signature!, found) === window.length ? found : null;
  }

  /**
   * The end: what is left is literal, but for the basis's short last block,
   * looked for as the origin's last bytes (the window may have slid past the
   * offset where it starts).
   */
  private matchTail(ops: DeltaOp[], data: Uint8Array): void {
    const short = this.signature === null ? 0 : this.signature.size % this.blockSize;
    const from = data.length - short;
    const found = short > 0 && from >= this.literal ? this.strongMatch(data.subarray(from)) : null;
    if (found !== null) {
      this.flushLiteral(ops, data, from);
      ops.push(found);
      this.literal = data.length;
    }
    this.flushLiteral(ops, data, data.length);
    this.at = data.length;
  }

  /** Pending literal bytes up to `end`, in pieces of at most a block. */
  private flushLiteral(ops: DeltaOp[], data: Uint8Array, end: number): void {
    for (let from = this.literal; from < end; from += this.blockSize) ops.push(data.subarray(from, Math.min(end, from + this.blockSize)));
    this.literal = end;
  }
}

function tag(weak: number): number {
  return (weak ^ (weak >>> 16)) & 0xffff;
}

/** The delta of a whole buffer against a signature. */
export function deltaOf(origin: Uint8Array, signature: Signature): DeltaOp[] {
  const encoder = new DeltaEncoder(signature);
  return [...encoder.push(origin), ...encoder.end()];
}

/** How many bytes of a delta are literal (what crosses the link besides indices). */
export function literalBytes(ops: readonly DeltaOp[]): number {
  let n = 0;
  for (const op of ops) if (typeof op !== 'number') n += op.length;
  return n;
}

/** How many origin bytes the ops stand for (a block index stands for that basis block's length). */
export function opsLength(ops: readonly DeltaOp[], signature: Pick<Signature, 'blockSize' | 'size'> | null): number {
  let n = 0;
  for (const op of ops) n += typeof op === 'number' ? Math.min(signature!.blockSize, signature!.size - op * signature!.blockSize) : op.length;
  return n;
}
