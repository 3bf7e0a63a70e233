import { describe, expect, it } from 'vitest';
import { UNREACHABLE_BACKOFF_MAX_MS, unreachableBackoffMs } from '../../src/core/unreachable-backoff.js';

/** Issue 10: how long an unreachable host waits before the next automatic attempt. */
describe('unreachableBackoffMs', () => {
  // [attempt, random, expected ms]: random 0.5 is the base; 0 and (almost) 1 are its ±20 % edges.
  const table: [number, number, number][] = [
    [0, 0.5, 0],
    [-1, 0.9, 0],
    [1, 0.5, 2_000],
    [2, 0.5, 4_000],
    [3, 0.5, 8_000],
    [8, 0.5, 256_000],
    [9, 0.5, 300_000], // 512 s capped at 5 min
    [40, 0.5, 300_000],
    [1, 0, 1_600],
    [1, 0.999_999, 2_400],
    [2, 0.25, 3_600],
    [2, 0.75, 4_400],
    [20, 0, 240_000],
    [20, 0.999_999, 360_000],
  ];
  it.each(table)('attempt %i, random %f → %i ms', (attempt, random, expected) => {
    expect(unreachableBackoffMs(attempt, random)).toBe(expected);
  });

  it('never leaves base ±20 %, whatever the random number says', () => {
    for (const random of [-3, -0.1, 1, 1.5, 7]) {
      const wait = unreachableBackoffMs(30, random);
      expect(wait).toBeGreaterThanOrEqual(UNREACHABLE_BACKOFF_MAX_MS * 0.8);
      expect(wait).toBeLessThanOrEqual(UNREACHABLE_BACKOFF_MAX_MS * 1.2);
    }
  });
});
