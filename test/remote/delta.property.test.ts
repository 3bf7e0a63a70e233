import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deltaOf, literalBytes } from '../../src/remote/delta/delta.js';
import { patch } from '../../src/remote/delta/patch.js';
import { blockCount, checkedSignature, signatureOf } from '../../src/remote/delta/signature.js';
import { weakChecksum, weakParts } from '../../src/remote/delta/weak.js';
import { DeltaEncoder } from '../../src/remote/delta/delta.js';

// The block delta on its own (pure): patch(basis, delta(origin, signature(basis))) is the origin, whatever the two hold.

const roundTrip = (origin: Uint8Array, basis: Uint8Array, blockSize: number): Buffer => {
  const signature = signatureOf(basis, blockSize);
  return patch(basis, deltaOf(origin, signature), signature);
};

const bytes = (n: number, seed: number): Buffer => {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
};

describe('block delta (signature, delta, patch)', () => {
  const B = 16;
  const base = bytes(10 * B + 5, 7);
  const cases: { name: string; origin: Buffer; basis: Buffer; literalAtMost: number; literalAtLeast: number }[] = [
    { name: 'identical', origin: base, basis: base, literalAtMost: 0, literalAtLeast: 0 },
    { name: 'empty origin', origin: Buffer.alloc(0), basis: base, literalAtMost: 0, literalAtLeast: 0 },
    { name: 'empty basis', origin: base, basis: Buffer.alloc(0), literalAtMost: base.length, literalAtLeast: base.length },
    { name: 'both empty', origin: Buffer.alloc(0), basis: Buffer.alloc(0), literalAtMost: 0, literalAtLeast: 0 },
    { name: 'one byte changed in block 3', origin: Buffer.from(base).fill(0xaa, 3 * B + 2, 3 * B + 3), basis: base, literalAtMost: B, literalAtLeast: B },
    { name: 'origin shorter (truncated mid-block)', origin: base.subarray(0, 4 * B + 3), basis: base, literalAtMost: 3, literalAtLeast: 3 },
    { name: 'origin longer (appended)', origin: Buffer.concat([base.subarray(0, 10 * B), bytes(3 * B, 9)]), basis: base, literalAtMost: 3 * B, literalAtLeast: 3 * B },
    { name: 'shifted by one byte (found by the rolling checksum)', origin: Buffer.concat([Buffer.from([1]), base]), basis: base, literalAtMost: 1, literalAtLeast: 1 },
    { name: 'bytes inserted mid-block', origin: Buffer.concat([base.subarray(0, 3 * B + 7), Buffer.from('inserted'), base.subarray(3 * B + 7)]), basis: base, literalAtMost: B + 8, literalAtLeast: 8 },
    { name: 'bytes deleted mid-block', origin: Buffer.concat([base.subarray(0, 3 * B + 7), base.subarray(3 * B + 12)]), basis: base, literalAtMost: B, literalAtLeast: 1 },
    { name: 'blocks reordered', origin: Buffer.concat([base.subarray(2 * B, 3 * B), base.subarray(0, 2 * B)]), basis: base, literalAtMost: 0, literalAtLeast: 0 },
    { name: 'unrelated', origin: bytes(7 * B, 99), basis: base, literalAtMost: 7 * B, literalAtLeast: 7 * B },
  ];
  it.each(cases)('$name: rebuilds the origin exactly, sending only what the basis lacks', ({ origin, basis, literalAtMost, literalAtLeast }) => {
    const signature = signatureOf(basis, B);
    const ops = deltaOf(origin, signature);
    expect(patch(basis, ops, signature).equals(origin)).toBe(true);
    expect(literalBytes(ops)).toBeLessThanOrEqual(literalAtMost);
    expect(literalBytes(ops)).toBeGreaterThanOrEqual(literalAtLeast);
  });

  it('a short last basis block matches only an origin block of the same length', () => {
    const basis = bytes(2 * B + 4, 3);
    const origin = Buffer.concat([basis.subarray(0, 2 * B), basis.subarray(2 * B), Buffer.from('more')]);
    const signature = signatureOf(basis, B);
    const ops = deltaOf(origin, signature);
    expect(patch(basis, ops, signature).equals(origin)).toBe(true);
    expect(ops.slice(0, 2)).toEqual([0, 1]);
    expect(typeof ops[2]).not.toBe('number');
  });

  it('holds for arbitrary origins and bases, including empty, shorter, longer and shifted ones', () => {
    const blob = fc.uint8Array({ maxLength: 300 });
    fc.assert(fc.property(blob, blob, fc.integer({ min: 1, max: 40 }), (origin, basis, blockSize) => {
      expect(roundTrip(origin, basis, blockSize).equals(Buffer.from(origin))).toBe(true);
    }));
    // Origins made from the basis by an edit: insertions, deletions, overwrites, shifts.
    const edited = fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 400 }), fc.nat(), fc.nat(), fc.uint8Array({ maxLength: 50 })).map(([basis, a, b, insert]) => {
      const from = a % (basis.length + 1);
      const to = from + (b % (basis.length - from + 1));
      return { basis, origin: Buffer.concat([basis.subarray(0, from), insert, basis.subarray(to)]) };
    });
    fc.assert(fc.property(edited, fc.integer({ min: 1, max: 64 }), ({ basis, origin }, blockSize) => {
      expect(roundTrip(origin, basis, blockSize).equals(origin)).toBe(true);
    }));
  });

  it('fed in pieces of any size, the encoder gives the same ops as over the whole buffer', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 1, max: 32 }), fc.array(fc.integer({ min: 1, max: 50 })), (origin, basis, blockSize, cuts) => {
      const signature = signatureOf(basis, blockSize);
      const encoder = new DeltaEncoder(signature);
      const ops = [];
      let at = 0;
      for (const cut of cuts) {
        ops.push(...encoder.push(origin.subarray(at, at + cut)));
        at = Math.min(origin.length, at + cut);
      }
      ops.push(...encoder.push(origin.subarray(at)), ...encoder.end());
      expect(patch(basis, ops, signature).equals(Buffer.from(origin))).toBe(true);
      const whole = deltaOf(origin, signature);
      expect(Buffer.concat(ops.map((op) => (typeof op === 'number' ? Buffer.from(`#${op};`) : op)))).toEqual(Buffer.concat(whole.map((op) => (typeof op === 'number' ? Buffer.from(`#${op};`) : op))));
    }));
  });

  it('the weak checksum rolls: sliding by one byte gives the checksum of the new window', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 2, maxLength: 300 }), fc.integer({ min: 1, max: 64 }), (data, length) => {
      const B = Math.min(length, data.length - 1);
      let { a, b } = weakParts(data, 0, B);
      for (let at = 0; at + B < data.length; at++) {
        const out = data[at]!;
        a = (a - out + data[at + B]!) & 0xffff;
        b = (b - B * out + a) & 0xffff;
        expect(((a | (b << 16)) >>> 0)).toBe(weakChecksum(data.subarray(at + 1, at + 1 + B)));
      }
    }));
  });

  it('an in-place edit sends at most the blocks it touches', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 500 }), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 20 }), fc.integer({ min: 4, max: 32 }), (basis, at, patchBytes, blockSize) => {
      const origin = Buffer.from(basis);
      const start = at % basis.length;
      origin.set(patchBytes.subarray(0, origin.length - start), start);
      const ops = deltaOf(origin, signatureOf(basis, blockSize));
      const touched = Math.floor((start + Math.min(patchBytes.length, origin.length - start) - 1) / blockSize) - Math.floor(start / blockSize) + 1;
      expect(literalBytes(ops)).toBeLessThanOrEqual(touched * blockSize);
    }));
  });

  it('a signature from the wire is checked: a wrong shape is an error, not a wrong copy', () => {
    const good = signatureOf(bytes(40, 1), 16);
    expect(blockCount(checkedSignature(good))).toBe(3);
    expect(() => checkedSignature({ ...good, size: 100 })).toThrow(/hash bytes/);
    expect(() => checkedSignature({ ...good, blockSize: 0 })).toThrow(/block size/);
    expect(() => checkedSignature({ ...good, hashes: 'x' })).toThrow(/not bytes/);
    expect(() => checkedSignature(null)).toThrow(/not an object/);
    expect(() => patch(bytes(40, 1), [7], good)).toThrow(/block 7 is not in the basis/);
  });
});
