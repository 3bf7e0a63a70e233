import { describe, expect, it } from 'vitest';
import { clock, etaSeconds, MovingRate } from '../../src/cli/progress-rate.js';

/** `--progress`'s rate is the last few seconds', not the run's average (issue 11 §3: "a whole-run average rate"). */
describe('MovingRate', () => {
  it('after a stall, shows the current rate, not the average since the start', () => {
    const rate = new MovingRate(5_000);
    // 10 s at 1 MB/s, then 10 s of nothing: the whole-run average would still say 0.5 MB/s.
    for (let s = 0; s <= 10; s++) rate.add(s * 1000, s * 1_000_000);
    expect(rate.perSecond()).toBeCloseTo(1_000_000, 0);
    for (let s = 11; s <= 20; s++) rate.add(s * 1000, 10_000_000);
    expect(rate.perSecond()).toBe(0);
    // Picking up again at 2 MB/s is seen within the window.
    for (let s = 21; s <= 26; s++) rate.add(s * 1000, 10_000_000 + (s - 20) * 2_000_000);
    expect(rate.perSecond()).toBeCloseTo(2_000_000, 0);
  });

  it('is 0 with fewer than two samples apart in time', () => {
    const rate = new MovingRate();
    expect(rate.perSecond()).toBe(0);
    rate.add(5, 100);
    rate.add(5, 200);
    expect(rate.perSecond()).toBe(0);
  });
});

describe('etaSeconds and clock', () => {
  it('time left at the current rate; unknown without a rate; 0 when done', () => {
    expect(etaSeconds(3_000_000, 1_000_000)).toBe(3);
    expect(etaSeconds(10, 0)).toBeNull();
    expect(etaSeconds(0, 0)).toBe(0);
    expect([clock(0), clock(7), clock(754), clock(3723), clock(null)]).toEqual(['0:00', '0:07', '12:34', '1:02:03', '--:--']);
  });
});
