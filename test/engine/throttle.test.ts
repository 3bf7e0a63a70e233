import { describe, expect, it } from 'vitest';
import { BYTES_PER_SECOND_PER_MBPS, TokenBucket, createThrottle } from '../../src/engine/throttle.js';

/** A clock that only moves when someone sleeps on it. */
function fakeClock(): { now: () => number; sleep: (ms: number, signal?: AbortSignal) => Promise<void>; slept: number[] } {
  let t = 0;
  const slept: number[] = [];
  return {
    now: () => t,
    slept,
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw new Error('aborted');
      slept.push(ms);
      t += ms;
    },
  };
}

describe('TokenBucket', () => {
  it('converts megabits per second to bytes (Mbps × 125 000)', () => {
    expect(BYTES_PER_SECOND_PER_MBPS).toBe(125_000);
    expect(new TokenBucket(8).bytesPerSecond).toBe(1_000_000);
  });

  it('lets a one-second burst through without waiting', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(8, clock);
    await bucket.take(600_000);
    await bucket.take(400_000);
    expect(clock.slept).toEqual([]);
  });

  it('then holds the average to the rate', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(8, clock); // 1 MB/s
    for (let i = 0; i < 30; i++) await bucket.take(100_000); // 3 MB: 1 MB burst + 2 s
    expect(clock.now()).toBeCloseTo(2000, 6);
  });

  it('refills with elapsed time, up to one second of burst', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(8, clock);
    await bucket.take(1_000_000);
    await clock.sleep(10_000); // idle for 10 s: the bucket holds 1 s, not 10
    clock.slept.length = 0;
    await bucket.take(1_000_000);
    expect(clock.slept).toEqual([]);
    await bucket.take(500_000);
    expect(clock.slept).toEqual([500]);
  });

  it('grants a chunk larger than the burst by going into debt', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(8, clock);
    await bucket.take(3_000_000);
    expect(clock.slept).toEqual([2000]);
  });

  it('shares the rate between concurrent takers', async () => {
    let t = 0;
    const waits: Array<() => void> = [];
    const sleeps: number[] = [];
    const bucket = new TokenBucket(8, {
      now: () => t,
      sleep: (ms) => {
        sleeps.push(ms);
        return new Promise<void>((resolve) => waits.push(resolve));
      },
    });
    await bucket.take(1_000_000);
    const a = bucket.take(500_000);
    const b = bucket.take(500_000);
    expect(sleeps).toEqual([500, 1000]); // the second waits behind the first one's debt
    t = 1000;
    waits.forEach((w) => w());
    await Promise.all([a, b]);
  });

  it('rejects with ABORTED when the signal aborts, before or while waiting', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(new TokenBucket(1).take(10, controller.signal)).rejects.toMatchObject({ code: 'ABORTED' });
    const live = new AbortController();
    const bucket = new TokenBucket(1); // 125 000 B/s, real timers
    await bucket.take(125_000);
    const waiting = bucket.take(125_000 * 60, live.signal); // would wait a minute
    setTimeout(() => live.abort(), 10);
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('refunds the bytes of an aborted take', async () => {
    const clock = fakeClock();
    const controller = new AbortController();
    const bucket = new TokenBucket(8, {
      now: clock.now,
      sleep: async (ms, signal) => {
        controller.abort();
        if (signal?.aborted) throw new Error('aborted');
        await clock.sleep(ms);
      },
    });
    await bucket.take(1_000_000);
    await expect(bucket.take(5_000_000, controller.signal)).rejects.toMatchObject({ code: 'ABORTED' });
    await clock.sleep(1000);
    clock.slept.length = 0;
    await bucket.take(1_000_000, undefined);
    expect(clock.slept).toEqual([]);
  });

  it('rejects a rate that is not a positive number', () => {
    expect(() => new TokenBucket(0)).toThrow(RangeError);
    expect(() => new TokenBucket(-1)).toThrow(/positive/);
    expect(() => new TokenBucket(Number.NaN)).toThrow(RangeError);
  });
});

describe('createThrottle', () => {
  it('makes no throttle for null (unlimited) and a token bucket for a rate', () => {
    expect(createThrottle(null)).toBeUndefined();
    expect(createThrottle(10)).toBeInstanceOf(TokenBucket);
  });
});
