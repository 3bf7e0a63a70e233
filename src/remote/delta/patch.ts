import type { DeltaOp } from './delta.js';
import type { Signature } from './signature.js';

/**
 * The basis's side of a block delta: rebuild the origin from the basis's
 * blocks and the literal bytes. Pure; the streaming version (agent, client)
 * reads each block from the basis file instead (remote/wire/block-transfer.ts).
 */

/** Where basis block `index` lies; an index outside the basis (a corrupt or hostile delta) is an Error. */
export function basisBlockRange(index: number, basis: Pick<Signature, 'blockSize' | 'size'>): { readonly position: number; readonly length: number } {
  const count = Math.ceil(basis.size / basis.blockSize);
  if (!Number.isInteger(index) || index < 0 || index >= count) throw new Error(`delta: block ${index} is not in the basis (${count} blocks)`);
  const position = index * basis.blockSize;
  return { position, length: Math.min(basis.blockSize, basis.size - position) };
}

/** The origin, from the basis the signature was made of and the delta against it. */
export function patch(basis: Uint8Array, ops: readonly DeltaOp[], signature: Pick<Signature, 'blockSize' | 'size'>): Buffer {
  if (basis.length !== signature.size) throw new Error(`delta: a basis of ${basis.length} bytes for a signature of ${signature.size}`);
  return Buffer.concat(ops.map((op) => {
    if (typeof op !== 'number') return op;
    const { position, length } = basisBlockRange(op, signature);
    return basis.subarray(position, position + length);
  }));
}
