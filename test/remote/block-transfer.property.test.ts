import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Entry } from '../../src/core/entry.js';
import type { ReadHandle, WriteHandle } from '../../src/fs/file-system.js';
import { BlockReader, BlockWriter, signatureOfHandle } from '../../src/remote/wire/block-transfer.js';

// The streaming ends of a copy (block-transfer.ts) over handles on buffers whose reads come back short at random,
// as a pipe or a network filesystem may: whatever the chunking, the writer rebuilds the origin exactly, and a
// basis that changed after its signature never yields a wrong file.

function readHandle(data: Uint8Array, shortBy: () => number): ReadHandle {
  let position = 0;
  const take = (at: number, length: number) => {
    const n = Math.max(1, length - shortBy());
    return Buffer.from(data.subarray(at, Math.min(data.length, at + Math.min(length, n))));
  };
  return {
    read: async (length) => {
      const got = take(position, length);
      position += got.length;
      return got;
    },
    readAt: async (at, length) => take(at, length),
    entry: async (): Promise<Entry> => ({ kind: 'file', size: data.length, mtimeNs: 0n, mode: 0o644, ino: 1 }),
    close: async () => undefined,
  };
}

function writeHandle(): WriteHandle & { bytes(): Buffer; state: 'open' | 'kept' | 'discarded' } {
  let out = Buffer.alloc(0);
  const handle = {
    state: 'open' as 'open' | 'kept' | 'discarded',
    bytes: () => out,
    writeAt: async (position: number, data: Uint8Array) => {
      if (out.length < position + data.length) out = Buffer.concat([out, Buffer.alloc(position + data.length - out.length)]);
      out.set(data, position);
    },
    finish: async (): Promise<Entry> => {
      handle.state = 'kept';
      return { kind: 'file', size: out.length, mtimeNs: 0n, mode: 0o644, ino: 2 };
    },
    discard: async () => {
      handle.state = 'discarded';
    },
  };
  return handle;
}

async function copyThrough(origin: Uint8Array, basis: Uint8Array | null, blockSize: number, chunkBlocks: number, shortBy: () => number, basisNow: Uint8Array | null = basis) {
  const signature = basis === null ? null : await signatureOfHandle(readHandle(basis, shortBy), blockSize);
  const reader = new BlockReader(readHandle(origin, shortBy), signature, blockSize);
  const out = writeHandle();
  const writer = new BlockWriter(out, signature === null ? null : { handle: readHandle(basisNow!, shortBy), signature }, '/t');
  for (;;) {
    const chunk = await reader.next(chunkBlocks);
    if (chunk.ops.length === 0) break;
    await writer.apply(chunk);
  }
  const read = await reader.finish();
  expect(read.sha256).toBe(createHash('sha256').update(origin).digest('hex'));
  const kept = await writer.finish(read.sha256, { mode: 0o644 });
  return { kept, out };
}

describe('streaming a copy in blocks', () => {
  const blob = fc.uint8Array({ maxLength: 600 });
  const shorts = fc.infiniteStream(fc.integer({ min: 0, max: 20 }));

  it('rebuilds the origin exactly, with or without a basis, whatever the short reads and the chunking', async () => {
    // Bases: none, unrelated, or the origin edited (a range replaced), so that many blocks match.
    const pair = fc.oneof(
      fc.tuple(blob, fc.constant(null)),
      fc.tuple(blob, blob),
      fc.tuple(blob, fc.nat(), fc.nat(), fc.uint8Array({ maxLength: 30 })).map(([origin, a, b, insert]) => {
        const from = a % (origin.length + 1);
        const to = from + (b % (origin.length - from + 1));
        return [origin, Buffer.concat([origin.subarray(0, from), insert, origin.subarray(to)])] as const;
      }),
    );
    await fc.assert(fc.asyncProperty(pair, fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 5 }), shorts, async ([origin, basis], blockSize, chunkBlocks, stream) => {
      const it = stream[Symbol.iterator]();
      const { kept, out } = await copyThrough(origin, basis, blockSize, chunkBlocks, () => it.next().value as number);
      expect(kept).not.toBeNull();
      expect(out.state).toBe('kept');
      expect(out.bytes().equals(Buffer.from(origin))).toBe(true);
    }));
  });

  it('a basis changed after its signature: the result is discarded (null), never kept wrong', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 40 }), fc.nat(), async (origin, blockSize, at) => {
      const basis = Buffer.from(origin);
      const changed = Buffer.from(basis);
      changed[at % changed.length] = changed[at % changed.length]! ^ 0xff;
      const { kept, out } = await copyThrough(origin, basis, blockSize, 2, () => 0, changed);
      expect(kept).toBeNull();
      expect(out.state).toBe('discarded');
    }));
  });

  it('refuses a chunk out of order and a block index outside the basis', async () => {
    const writer = new BlockWriter(writeHandle(), { handle: readHandle(Buffer.from('abcd'), () => 0), signature: { blockSize: 2, size: 4 } }, '/t');
    await expect(writer.apply({ offset: 5, ops: [Buffer.from('x')] })).rejects.toThrow(/a chunk at 5 where 0 was next/);
    await expect(writer.apply({ offset: 0, ops: [2] })).rejects.toThrow(/block 2 is not in the basis/);
    const plain = new BlockWriter(writeHandle(), null, '/t');
    await expect(plain.apply({ offset: 0, ops: [0] })).rejects.toThrow(/a basis block but no basis/);
  });
});
