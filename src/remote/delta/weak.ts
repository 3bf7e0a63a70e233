/**
 * rsync's weak rolling checksum (Tridgell's thesis, §3.1): for a window
 * x[k..l] of length B, a = Σ x_i and b = Σ (l − i + 1)·x_i, both mod 2^16,
 * combined as a | b << 16. Sliding the window one byte (x_k leaves, x_{l+1}
 * enters) is a = a − x_k + x_{l+1}, b = b − B·x_k + a: two updates, so the
 * origin's side can look for every basis block at every offset (delta.ts
 * does the sliding inline, in its hot loop); a hit is confirmed by the
 * block's sha256. Pure.
 */

/** The two halves of the checksum of `data[at .. at + length)`. */
export function weakParts(data: Uint8Array, at: number, length: number): { a: number; b: number } {
  let a = 0;
  let b = 0;
  for (let i = 0; i < length; i++) {
    const x = data[at + i]!;
    a += x;
    b += (length - i) * x;
  }
  return { a: a & 0xffff, b: b & 0xffff };
}

export function combineWeak(a: number, b: number): number {
  return ((a & 0xffff) | ((b & 0xffff) << 16)) >>> 0;
}

export function weakChecksum(block: Uint8Array): number {
  const { a, b } = weakParts(block, 0, block.length);
  return combineWeak(a, b);
}
