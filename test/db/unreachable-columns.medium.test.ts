import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/db/open-store.js';
import type { Store } from '../../src/db/store.js';
import { commitOf, conduitSpec, tempDir } from './fixtures.js';

/** Issue 10 in the store: attempt_count / next_attempt_at per conduit, written in the commit, and the offline hints. */

let tmp: ReturnType<typeof tempDir>;
let store: Store;

beforeEach(async () => {
  tmp = tempDir();
  store = await openStore(tmp.db);
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

function refuseUnreachable(conduitId: number, message: string, asked: number[]): number {
  const { id } = store.beginGeneration(conduitId, 'schedule', false, '2026-01-01T00:00:00.000Z');
  return store.commitGeneration(commitOf(conduitId, id, {
    status: 'refused', conduitState: 'unreachable', errorMessage: message, lastSyncError: message, countsTowardTotals: false,
    reach: { reached: false, nextAttemptAt: (attempt) => { asked.push(attempt); return new Date(Date.UTC(2026, 0, 1, 0, 0, attempt)).toISOString(); } },
  }));
}

describe('the attempt columns', () => {
  it('a new conduit has none; each unreachable refusal counts one more (also when the refusal repeats word for word); a reach resets them', () => {
    const conduit = store.createConduit(conduitSpec());
    expect(conduit).toMatchObject({ attemptCount: 0, nextAttemptAt: null, offlineHints: 0 });
    const asked: number[] = [];

    const first = refuseUnreachable(conduit.id, 'cannot reach h: refused', asked);
    expect(store.getConduitById(conduit.id)).toMatchObject({ state: 'unreachable', attemptCount: 1, nextAttemptAt: '2026-01-01T00:00:01.000Z' });
    // The same refusal again is counted on the first record (GenerationRepeats), and still counts as an attempt.
    const second = refuseUnreachable(conduit.id, 'cannot reach h: refused', asked);
    expect(second).toBe(first);
    refuseUnreachable(conduit.id, 'cannot reach h: timed out', asked);
    expect(asked).toEqual([1, 2, 3]);
    expect(store.getConduitById(conduit.id)).toMatchObject({ attemptCount: 3, nextAttemptAt: '2026-01-01T00:00:03.000Z', lastSyncError: 'cannot reach h: timed out' });

    const { id } = store.beginGeneration(conduit.id, 'schedule', false, '2026-01-01T00:01:00.000Z');
    store.commitGeneration(commitOf(conduit.id, id, { reach: { reached: true } }));
    expect(store.getConduitById(conduit.id)).toMatchObject({ state: 'current', attemptCount: 0, nextAttemptAt: null });
  });

  it('moving a root forgets the old host\'s backoff and the changes kept for it; an edit that keeps the roots does not', () => {
    const conduit = store.createConduit(conduitSpec());
    refuseUnreachable(conduit.id, 'cannot reach h: refused', []);
    store.addOfflineHints(conduit.id, ['a'], '2026-01-01T00:00:00.000Z');
    store.updateConduit(conduit.name, { ...conduitSpec(), maxDeletePercent: 20 });
    expect(store.getConduitById(conduit.id)).toMatchObject({ attemptCount: 1, offlineHints: 1 });
    store.updateConduit(conduit.name, { ...conduitSpec(), target: '/elsewhere/photos' });
    expect(store.getConduitById(conduit.id)).toMatchObject({ attemptCount: 0, nextAttemptAt: null, offlineHints: 0 });
  });

  it('a commit without `reach` (a dry run) leaves them as they are', () => {
    const conduit = store.createConduit(conduitSpec());
    refuseUnreachable(conduit.id, 'cannot reach h: refused', []);
    const { id } = store.beginGeneration(conduit.id, 'manual', true, '2026-01-01T00:01:00.000Z');
    store.commitGeneration(commitOf(conduit.id, id, { conduitState: 'unreachable', countsTowardTotals: false }));
    expect(store.getConduitById(conduit.id)).toMatchObject({ attemptCount: 1, nextAttemptAt: '2026-01-01T00:00:01.000Z' });
  });
});

describe('offline hints', () => {
  it('are kept per conduit (first time wins), counted on the row, cleared by a commit that says so, and go with their conduit', () => {
    const a = store.createConduit(conduitSpec({ name: 'a' }));
    const b = store.createConduit(conduitSpec({ name: 'b', source: '/data/b', target: '/backup/b' }));
    store.addOfflineHints(a.id, ['x/1', 'x/2'], '2026-01-01T00:00:00.000Z');
    store.addOfflineHints(a.id, ['x/2', 'y'], '2026-01-01T00:05:00.000Z');
    store.addOfflineHints(b.id, ['z'], '2026-01-01T00:00:00.000Z');
    expect(store.listOfflineHints(a.id)).toEqual([
      { path: 'x/1', seenAt: '2026-01-01T00:00:00.000Z' },
      { path: 'x/2', seenAt: '2026-01-01T00:00:00.000Z' },
      { path: 'y', seenAt: '2026-01-01T00:05:00.000Z' },
    ]);
    expect(store.getConduit('a')!.offlineHints).toBe(3);

    const { id } = store.beginGeneration(a.id, 'schedule', false, '2026-01-01T00:10:00.000Z');
    store.commitGeneration(commitOf(a.id, id, { clearOfflineHints: true }));
    expect(store.listOfflineHints(a.id)).toEqual([]);
    expect(store.listOfflineHints(b.id)).toHaveLength(1);

    store.removeConduit('b');
    const c = store.createConduit(conduitSpec({ name: 'c', source: '/data/c', target: '/backup/c' }));
    expect(store.listOfflineHints(c.id)).toEqual([]);
  });
});
