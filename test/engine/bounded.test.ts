import { describe, expect, it } from 'vitest';
import { runBounded } from '../../src/engine/bounded.js';

const tick = (ms = 1): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('runBounded', () => {
  it('never runs more than the limit at once, and reaches it', async () => {
    let running = 0;
    let peak = 0;
    await runBounded(Array.from({ length: 20 }, (_, i) => i), 3, async () => {
      running++;
      peak = Math.max(peak, running);
      await tick();
      running--;
    });
    expect(peak).toBe(3);
  });

  it('returns results in input order, whatever order tasks finish in', async () => {
    const results = await runBounded([30, 1, 15, 5], 4, async (ms, i) => {
      await tick(ms);
      return `${i}:${ms}`;
    });
    expect(results).toEqual([
      { started: true, value: '0:30' },
      { started: true, value: '1:1' },
      { started: true, value: '2:15' },
      { started: true, value: '3:5' },
    ]);
  });

  it('starts nothing after an abort; running tasks finish', async () => {
    const controller = new AbortController();
    const finished: number[] = [];
    const results = await runBounded([0, 1, 2, 3, 4, 5], 2, async (i) => {
      if (i === 1) controller.abort();
      await tick(5);
      finished.push(i);
      return i;
    }, { signal: controller.signal });
    expect(finished.sort()).toEqual([0, 1]);
    expect(results.map((r) => r.started)).toEqual([true, true, false, false, false, false]);
  });

  it('starts nothing when already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    let calls = 0;
    const results = await runBounded([1, 2], 2, async () => void calls++, { signal: controller.signal });
    expect(calls).toBe(0);
    expect(results).toEqual([{ started: false }, { started: false }]);
  });

  it('a task that throws stops new starts, waits for the running ones, then rethrows', async () => {
    const finished: number[] = [];
    const run = runBounded([0, 1, 2, 3], 2, async (i) => {
      if (i === 0) throw new Error('boom');
      await tick(5);
      finished.push(i);
    });
    await expect(run).rejects.toThrow('boom');
    expect(finished).toEqual([1]);
  });

  it('handles no items and rejects a nonsensical limit', async () => {
    expect(await runBounded([], 4, async () => 1)).toEqual([]);
    await expect(runBounded([1], 0, async () => 1)).rejects.toThrow(RangeError);
  });
});
