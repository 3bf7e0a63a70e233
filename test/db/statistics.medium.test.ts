import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/db/open-store.js';
import type { Store } from '../../src/db/store.js';
import { commitOf, conduitSpec, tempDir, ZERO_COUNTERS } from './fixtures.js';

/**
 * Store.generationStatistics on a real SQLite file: the sums `/metrics`
 * reads at each scrape. Durations are chosen on both sides of bucket bounds
 * (and exactly on one: `le` means at most).
 */
describe('Store.generationStatistics', () => {
  let area: ReturnType<typeof tempDir>;
  let store: Store;

  beforeEach(async () => {
    area = tempDir();
    store = await openStore(area.db);
  });

  afterEach(() => {
    store.close();
    area.cleanup();
  });

  /** One generation that started at 00:00:00 and ran `seconds`. */
  function generation(conduitId: number, seconds: number, overrides: Parameters<typeof commitOf>[2] = {}, dryRun = false): void {
    const startedAt = '2026-01-01T00:00:00.000Z';
    const { id } = store.beginGeneration(conduitId, 'manual', dryRun, startedAt);
    store.commitGeneration(commitOf(conduitId, id, { completedAt: new Date(Date.parse(startedAt) + seconds * 1000).toISOString(), ...overrides }));
  }

  it('tallies by conduit, status and dry run; the latest real generation; cumulative duration buckets', () => {
    const a = store.createConduit(conduitSpec({ name: 'a', target: '/backup/a' }));
    const b = store.createConduit(conduitSpec({ name: 'b', target: '/backup/b' }));
    generation(a.id, 0.25, { counters: { ...ZERO_COUNTERS, filesCopied: 3, bytesTransferred: 300 } });
    generation(a.id, 1, { counters: { ...ZERO_COUNTERS, filesDeleted: 2 }, verificationStatus: 'failed:changed after the write: target:x' });
    generation(a.id, 90, { status: 'completed_with_errors', counters: { ...ZERO_COUNTERS, filesCopied: 1, bytesTransferred: 10, errorsEncountered: 1 } });
    generation(a.id, 5, { counters: { ...ZERO_COUNTERS, filesCopied: 50 } }, true);
    store.beginGeneration(b.id, 'schedule', false, '2026-01-01T00:00:00.000Z');

    const stats = store.generationStatistics([0.5, 1, 60]);
    const tally = (conduit: string, status: string, dryRun = false) =>
      stats.tallies.find((t) => t.conduit === conduit && t.status === status && t.dryRun === dryRun);
    expect(tally('a', 'completed')).toEqual({
      conduit: 'a', status: 'completed', dryRun: false, generations: 2, filesCopied: 3, filesDeleted: 2, bytesTransferred: 300,
      verificationFailures: 1, lastCompletedAt: '2026-01-01T00:00:01.000Z',
    });
    expect(tally('a', 'completed_with_errors')).toMatchObject({ generations: 1, filesCopied: 1, bytesTransferred: 10, lastCompletedAt: '2026-01-01T00:01:30.000Z' });
    expect(tally('a', 'completed', true)).toMatchObject({ generations: 1, filesCopied: 50 });
    expect(tally('b', 'running')).toMatchObject({ generations: 1, lastCompletedAt: null });

    // The latest finished real generation: a's third (the dry run after it does not count), none for b (only running).
    expect(stats.latest).toEqual([{ conduit: 'a', generation: 3, status: 'completed_with_errors', completedAt: '2026-01-01T00:01:30.000Z', verificationStatus: 'unverified' }]);

    // Real finished generations only: 0.25 s, 1 s (on the bound), 90 s.
    expect(stats.durations).toHaveLength(1);
    const [durations] = stats.durations;
    expect(durations).toMatchObject({ conduit: 'a', count: 3, atMost: [1, 2, 2] });
    expect(durations!.sumSeconds).toBeCloseTo(91.25, 3);
  });

  it('an empty history has no rows', () => {
    store.createConduit(conduitSpec({ name: 'a' }));
    expect(store.generationStatistics([1])).toEqual({ tallies: [], latest: [], durations: [] });
  });
});
