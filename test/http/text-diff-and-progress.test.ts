import { describe, expect, it } from 'vitest';
import { estimateFrom, ProgressEstimator } from '../../src/http/progress-estimate.js';
import { diffLines } from '../../src/http/text-diff.js';
import type { RunningGeneration } from '../../src/service/conduit-service.js';

describe('diffLines (the conflict view\'s diff)', () => {
  it('marks source lines -, target lines +, and keeps three lines of context around each change', () => {
    const source = Array.from({ length: 20 }, (_, i) => `line ${i}`).join('\n');
    const target = source.replace('line 10', 'line ten');
    const diff = diffLines(source, target);
    expect(diff.identical).toBe(false);
    expect(diff.lines).toEqual([
      { op: '…', text: '' },
      ...[7, 8, 9].map((i) => ({ op: ' ', text: `line ${i}` })),
      { op: '-', text: 'line 10' }, { op: '+', text: 'line ten' },
      ...[11, 12, 13].map((i) => ({ op: ' ', text: `line ${i}` })),
      { op: '…', text: '' },
    ]);
  });

  it('says identical texts are identical, and a missing side is all added or all removed', () => {
    expect(diffLines('a\nb\n', 'a\nb\n')).toEqual({ lines: [], truncated: false, identical: true });
    expect(diffLines('', 'a\nb').lines).toEqual([{ op: '+', text: 'a' }, { op: '+', text: 'b' }]);
    expect(diffLines('a', '').lines).toEqual([{ op: '-', text: 'a' }]);
  });

  it('cuts a long diff short and says so', () => {
    const diff = diffLines(Array.from({ length: 50 }, (_, i) => `s${i}`).join('\n'), Array.from({ length: 50 }, (_, i) => `t${i}`).join('\n'), 20);
    expect(diff.lines).toHaveLength(20);
    expect(diff.truncated).toBe(true);
  });
});

const progress = (fields: Partial<RunningGeneration>): RunningGeneration => ({
  conduit: 'c', generation: 1, trigger: 'manual', startedAt: '2026-01-01T00:00:00.000Z',
  actionsDone: 0, actionsTotal: 0, bytesDone: 0, bytesTotal: 0, rate: 0, ...fields,
});

describe('progress estimate (percent, current rate, ETA)', () => {
  it('knows nothing while the plan is not made (scanning)', () => {
    expect(estimateFrom(progress({}), [{ at: 0, bytes: 0, actions: 0 }])).toEqual({ percent: null, currentRate: 0, etaSeconds: null });
  });

  it('takes the rate over the recent window, not the whole-run average, and the ETA from it', () => {
    const estimator = new ProgressEstimator();
    // A slow scan dragged the service's average down to 10 B/s; the copy now moves 1000 B/s.
    estimator.estimate(progress({ bytesTotal: 10_000, bytesDone: 0, actionsTotal: 10, rate: 10 }), 60_000);
    const now = estimator.estimate(progress({ bytesTotal: 10_000, bytesDone: 2_000, actionsTotal: 10, actionsDone: 2, rate: 10 }), 62_000);
    expect(now).toEqual({ percent: 20, currentRate: 1000, etaSeconds: 8 });
  });

  it('estimates by actions when there are no bytes to move (deletions, directories)', () => {
    const estimate = estimateFrom(progress({ actionsTotal: 100, actionsDone: 40 }), [{ at: 0, bytes: 0, actions: 20 }, { at: 2_000, bytes: 0, actions: 40 }]);
    expect(estimate).toEqual({ percent: 40, currentRate: 0, etaSeconds: 6 });
  });

  it('starts over for the next generation of the conduit', () => {
    const estimator = new ProgressEstimator();
    estimator.estimate(progress({ generation: 1, bytesTotal: 100, bytesDone: 90 }), 0);
    const next = estimator.estimate(progress({ generation: 2, bytesTotal: 100, bytesDone: 10, rate: 5 }), 1_000);
    // One sample of generation 2 only: the service's own rate stands in.
    expect(next.currentRate).toBe(5);
  });
});
