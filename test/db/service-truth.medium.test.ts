import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/db/open-store.js';
import type { GenerationCommit, Store } from '../../src/db/store.js';
import { commitOf, conduitSpec, fileEntry, tempDir } from './fixtures.js';

/** Issue 11 §1 in the store: repeated refusals on one record, pending paths, who manages a conduit. */

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

let clock = Date.parse('2026-01-01T00:00:00.000Z');
const at = (): string => new Date((clock += 3_000)).toISOString();

/** Begins and commits one generation; returns the id of the record that holds it. */
function generation(conduitId: number, overrides: Partial<GenerationCommit> = {}, options: { dryRun?: boolean } = {}): number {
  const { id } = store.beginGeneration(conduitId, 'schedule', options.dryRun === true, at());
  return store.commitGeneration(commitOf(conduitId, id, { completedAt: at(), ...overrides }));
}

const refusal = (message: string): Partial<GenerationCommit> => ({
  status: 'refused', errorMessage: message, conduitState: 'waiting_for_source', lastSyncError: message, countsTowardTotals: false,
});

describe('repeated refusals', () => {
  it('the same refusal again is counted on the one record (refused ×N, last at …), not recorded anew', () => {
    const c = store.createConduit(conduitSpec());
    generation(c.id);
    const first = generation(c.id, refusal('source root is missing'));
    for (let i = 0; i < 21; i++) expect(generation(c.id, refusal('source root is missing'))).toBe(first);
    const history = store.listGenerations(c.id, { limit: 100 });
    expect(history.map((g) => [g.generation, g.status, g.repeatCount])).toEqual([[2, 'refused', 22], [1, 'completed', 1]]);
    expect(history[0]!.lastRepeatedAt).toBe(new Date(clock).toISOString());
    const row = store.getConduit(c.name)!;
    expect([row.syncGeneration, row.state]).toEqual([2, 'waiting_for_source']);
    // The next generation that runs takes the next number.
    const { id } = store.beginGeneration(c.id, 'manual', false, at());
    expect(store.getGenerationById(id)!.generation).toBe(3);
  });

  it('a refusal for another reason, a dry run, or one after a generation that ran is a record of its own', () => {
    const c = store.createConduit(conduitSpec());
    generation(c.id, refusal('source root is missing'));
    generation(c.id, refusal('target root is missing'));
    generation(c.id, refusal('target root is missing'), { dryRun: true });
    generation(c.id, refusal('target root is missing'));
    generation(c.id);
    generation(c.id, refusal('target root is missing'));
    expect(store.listGenerations(c.id, { limit: 100 }).reverse().map((g) => [g.status, g.dryRun, g.repeatCount])).toEqual([
      ['refused', false, 1], ['refused', false, 1], ['refused', true, 1], ['refused', false, 1], ['completed', false, 1], ['refused', false, 1],
    ]);
  });
});

describe('pending paths', () => {
  const skip = (path: string, reason = 'copy: changed_during_transfer') => ({ path, side: 'target' as const, reason });

  it('a path that did not land is pending (state pending, not current), counted in a row, and forgotten when it lands', () => {
    const c = store.createConduit(conduitSpec());
    generation(c.id, { pending: { paths: [skip('log.txt'), skip('b.txt', 'copy: EACCES')], within: null } });
    expect([store.getConduit(c.name)!.state, store.getConduit(c.name)!.pendingPaths]).toEqual(['pending', 2]);
    generation(c.id, { pending: { paths: [skip('log.txt')], within: null } });
    generation(c.id, { pending: { paths: [skip('log.txt')], within: null } });
    expect(store.listPendingPaths(c.id)).toEqual([
      { path: 'log.txt', side: 'target', reason: 'copy: changed_during_transfer', sinceGeneration: 1, lastGeneration: 3, generations: 3 },
    ]);
    // A refusal and a dry run tried nothing: the path stays pending, the count does not move.
    generation(c.id, refusal('source root is missing'));
    generation(c.id, { conduitState: 'pending' }, { dryRun: true });
    expect(store.listPendingPaths(c.id).map((p) => p.generations)).toEqual([3]);
    generation(c.id, { pending: { paths: [], within: null }, baselineUpserts: new Map([['log.txt', fileEntry(3, 1n)]]) });
    expect(store.listPendingPaths(c.id)).toEqual([]);
    expect([store.getConduit(c.name)!.state, store.getConduit(c.name)!.pendingPaths]).toEqual(['current', 0]);
  });

  it('a fast-path generation forgets only the pending paths it looked at', () => {
    const c = store.createConduit(conduitSpec());
    generation(c.id, { pending: { paths: [skip('a/one.txt'), skip('b/two.txt')], within: null } });
    generation(c.id, { pending: { paths: [], within: ['a'] } });
    expect(store.listPendingPaths(c.id).map((p) => p.path)).toEqual(['b/two.txt']);
    expect(store.getConduit(c.name)!.state).toBe('pending');
  });

  it('new folders (source or target edited) start with nothing pending; removing the conduit leaves no pending rows', () => {
    const c = store.createConduit(conduitSpec());
    generation(c.id, { pending: { paths: [skip('x')], within: null } });
    store.updateConduit(c.name, conduitSpec({ exclude: ['*.bak'] }));
    expect(store.getConduit(c.name)!.pendingPaths).toBe(1);
    store.updateConduit(c.name, conduitSpec({ target: '/elsewhere/photos' }));
    expect(store.getConduit(c.name)!.pendingPaths).toBe(0);
    generation(c.id, { pending: { paths: [skip('y')], within: null } });
    store.removeConduit(c.name);
    const again = store.createConduit(conduitSpec());
    expect(store.listPendingPaths(again.id)).toEqual([]);
  });
});

describe('managed by a config file', () => {
  it('upsert with managedBy marks the file\'s conduits, and releases the ones it no longer names', () => {
    store.createConduit(conduitSpec({ name: 'cli', source: '/c/s', target: '/c/t' }));
    store.upsertConduits([conduitSpec({ name: 'a', source: '/a/s', target: '/a/t' }), conduitSpec({ name: 'b', source: '/b/s', target: '/b/t' })], { managedBy: '/etc/conduit/conduits.json' });
    expect(store.listConduits().map((r) => [r.name, r.managedBy])).toEqual([['a', '/etc/conduit/conduits.json'], ['b', '/etc/conduit/conduits.json'], ['cli', null]]);
    store.upsertConduits([conduitSpec({ name: 'a', source: '/a/s', target: '/a/t' })], { managedBy: '/etc/conduit/conduits.json' });
    expect(store.listConduits().map((r) => [r.name, r.managedBy])).toEqual([['a', '/etc/conduit/conduits.json'], ['b', null], ['cli', null]]);
  });
});
