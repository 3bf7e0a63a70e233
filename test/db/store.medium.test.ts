import { spawn } from 'node:child_process';
import { once } from 'node:events';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorEventMessage } from '../../src/db/error-event.js';
import { openStore } from '../../src/db/open-store.js';
import { type ConflictInput, type Store, StoreError } from '../../src/db/store.js';
import { commitOf, conduitSpec, fileEntry, tempDir, ZERO_COUNTERS } from './fixtures.js';

const STARTED = '2026-01-01T00:00:00.000Z';
const NS = 1_700_000_000_123_456_789n;

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

/** Runs the SQL on a second connection, as another process would. */
function withRawDb<T>(work: (db: Database.Database) => T): T {
  const db = new Database(tmp.db);
  try {
    return work(db);
  } finally {
    db.close();
  }
}

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid!;
}

describe('conduits', () => {
  it('creates, reads, lists, updates and removes a conduit', () => {
    const created = store.createConduit(conduitSpec({ versioning: { dir: '.versions', keepDays: 7 }, bandwidthLimitMbps: 12.5 }));
    expect(created).toMatchObject({
      name: 'photos', source: '/data/photos', target: '/backup/photos', mode: 'mirror', enabled: true,
      exclude: ['*.tmp'], include: [], useIndexRules: true, checksum: false, bandwidthLimitMbps: 12.5,
      versioning: { dir: '.versions', keepDays: 7 }, state: 'never_synced', syncGeneration: 0,
      totalSyncs: 0, filesSynced: 0, bytesTransferred: 0, lastSyncError: null, lastSyncCompletedAt: null,
    });
    expect(created.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(created.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(store.getConduit('photos')).toEqual(created);
    expect(store.getConduitById(created.id)).toEqual(created);
    expect(store.getConduit('nope')).toBeUndefined();

    store.createConduit(conduitSpec({ name: 'notes', mode: 'bidirectional' }));
    expect(store.listConduits().map((c) => c.name)).toEqual(['notes', 'photos']);

    const renamed = store.updateConduit('photos', conduitSpec({ name: 'pictures', parallelTransfers: 8, versioning: null }));
    expect(renamed).toMatchObject({ id: created.id, uuid: created.uuid, name: 'pictures', parallelTransfers: 8, versioning: null });
    expect(store.getConduit('photos')).toBeUndefined();

    expect(store.removeConduit('pictures')).toBe(true);
    expect(store.removeConduit('pictures')).toBe(false);
    expect(store.listConduits().map((c) => c.name)).toEqual(['notes']);
  });

  it('refuses a duplicate name, on create and on rename', () => {
    store.createConduit(conduitSpec());
    store.createConduit(conduitSpec({ name: 'notes' }));
    expect(() => store.createConduit(conduitSpec())).toThrow(new StoreError('duplicate_name', 'conduit "photos" already exists'));
    expect(() => store.updateConduit('notes', conduitSpec({ name: 'photos' }))).toThrow(/conduit "photos" already exists/);
    expect(() => store.updateConduit('ghost', conduitSpec({ name: 'ghost' }))).toThrow(expect.objectContaining({ code: 'not_found' }));
  });

  it('keeps disabled conduits disabled and brings them back on enable', () => {
    expect(store.createConduit(conduitSpec({ enabled: false })).state).toBe('disabled');
    expect(store.updateConduit('photos', conduitSpec({ enabled: true })).state).toBe('never_synced');
  });

  it('upserts a batch by name in one transaction', () => {
    const existing = store.createConduit(conduitSpec());
    const rows = store.upsertConduits([conduitSpec({ schedule: 'interval:5m' }), conduitSpec({ name: 'notes' })]);
    expect(rows.map((r) => [r.name, r.schedule])).toEqual([['photos', 'interval:5m'], ['notes', 'manual']]);
    expect(rows[0]!.id).toBe(existing.id);

    // A bad spec half-way through the batch changes nothing, not even the good ones before it.
    const before = store.listConduits();
    expect(() => store.upsertConduits([conduitSpec({ name: 'another' }), conduitSpec({ name: null as unknown as string })])).toThrow();
    expect(store.listConduits()).toEqual(before);
  });

  it('sets the state and, when given, the last error', () => {
    const { id } = store.createConduit(conduitSpec());
    store.setConduitState(id, 'failed', 'source vanished');
    store.setConduitState(id, 'waiting_for_source');
    expect(store.getConduitById(id)).toMatchObject({ state: 'waiting_for_source', lastSyncError: 'source vanished' });
    store.setConduitState(id, 'current', null);
    expect(store.getConduitById(id)).toMatchObject({ state: 'current', lastSyncError: null });
  });
});

describe('generations', () => {
  it('numbers generations 1, 2, 3 per conduit and records a commit', () => {
    const photos = store.createConduit(conduitSpec());
    const notes = store.createConduit(conduitSpec({ name: 'notes' }));
    const g1 = store.beginGeneration(photos.id, 'manual', false, STARTED);
    expect(g1.generation).toBe(1);
    expect(store.getConduitById(photos.id)).toMatchObject({ state: 'syncing', syncGeneration: 1 });
    expect(store.getGenerationById(g1.id)).toMatchObject({ status: 'running', conduit: 'photos', completedAt: null, errors: [] });

    const counters = { ...ZERO_COUNTERS, filesCopied: 3, filesDeleted: 1, dirsCreated: 2, bytesTransferred: 4096, errorsEncountered: 1 };
    store.commitGeneration(commitOf(photos.id, g1.id, {
      status: 'completed_with_errors',
      counters,
      errorMessage: '1 error',
      conduitState: 'failed',
      lastSyncError: '1 error',
      events: [
        { side: 'target', path: 'a.jpg', action: 'copy', bytes: 4096, message: null },
        { side: 'target', path: 'old.jpg', action: 'delete', bytes: 0, message: null },
        { side: 'target', path: 'b.jpg', action: 'error', bytes: 0, message: errorEventMessage('copy', 'EACCES: permission denied') },
        { side: null, path: 'weird', action: 'error', bytes: 0, message: 'no op given' },
      ],
    }));
    const record = store.getGeneration(photos.id, 1)!;
    expect(record).toMatchObject({
      id: g1.id, conduitId: photos.id, conduit: 'photos', generation: 1, trigger: 'manual', status: 'completed_with_errors',
      dryRun: false, startedAt: STARTED, completedAt: '2026-01-01T00:01:00.000Z', errorMessage: '1 error', ...counters,
      verificationStatus: 'unverified', verifiedAt: null,
    });
    expect(record.errors).toEqual([
      { path: 'b.jpg', op: 'copy', message: 'EACCES: permission denied' },
      { path: 'weird', op: 'sync', message: 'no op given' },
    ]);
    expect(store.getConduitById(photos.id)).toMatchObject({
      state: 'failed', lastSyncError: '1 error', syncGeneration: 1, totalSyncs: 1, filesSynced: 3, bytesTransferred: 4096,
      lastSyncCompletedAt: '2026-01-01T00:01:00.000Z',
    });

    expect(store.beginGeneration(photos.id, 'schedule', false, STARTED).generation).toBe(2);
    expect(store.beginGeneration(notes.id, 'watch', false, STARTED).generation).toBe(1);
    const g3 = store.beginGeneration(photos.id, 'api', true, STARTED);
    expect(g3.generation).toBe(3);
    store.commitGeneration(commitOf(photos.id, g3.id, { counters: { ...counters, errorsEncountered: 0 }, countsTowardTotals: false }));
    expect(store.getConduitById(photos.id)).toMatchObject({ syncGeneration: 3, totalSyncs: 1, filesSynced: 3, bytesTransferred: 4096 });
    expect(store.getGeneration(photos.id, 3)).toMatchObject({ dryRun: true, trigger: 'api', status: 'completed' });
  });

  it('refuses a commit of a generation that is not the conduit\'s, writing nothing', () => {
    const photos = store.createConduit(conduitSpec());
    const notes = store.createConduit(conduitSpec({ name: 'notes' }));
    const g = store.beginGeneration(photos.id, 'manual', false, STARTED);
    expect(() => store.commitGeneration(commitOf(notes.id, g.id, { baselineUpserts: new Map([['x', fileEntry(1, NS)]]) })))
      .toThrow(expect.objectContaining({ code: 'not_found' }));
    expect(store.loadBaseline(notes.id).size).toBe(0);
    expect(() => store.beginGeneration(9999, 'manual', false, STARTED)).toThrow(expect.objectContaining({ code: 'not_found' }));
  });

  it('applies a commit all or nothing', () => {
    const { id } = store.createConduit(conduitSpec());
    const g = store.beginGeneration(id, 'manual', false, STARTED);
    const broken = { side: null, path: null as unknown as string, action: 'error' as const, bytes: 0, message: null };
    expect(() => store.commitGeneration(commitOf(id, g.id, {
      events: [{ side: 'target', path: 'a', action: 'copy', bytes: 1, message: null }, broken],
      baselineUpserts: new Map([['a', fileEntry(1, NS)]]),
    }))).toThrow(/NOT NULL/);
    expect(store.getGenerationById(g.id)).toMatchObject({ status: 'running', completedAt: null });
    expect(store.listEvents(g.id)).toEqual([]);
    expect(store.loadBaseline(id).size).toBe(0);
    expect(store.getConduitById(id)).toMatchObject({ state: 'syncing', totalSyncs: 0 });
  });

  it('lists generations newest first, with limit and before', () => {
    const { id } = store.createConduit(conduitSpec());
    for (let i = 0; i < 25; i++) {
      const g = store.beginGeneration(id, 'manual', false, STARTED);
      store.commitGeneration(commitOf(id, g.id));
    }
    expect(store.listGenerations(id).map((g) => g.generation)).toEqual(Array.from({ length: 20 }, (_, i) => 25 - i));
    expect(store.listGenerations(id, { limit: 3, before: 10 }).map((g) => g.generation)).toEqual([9, 8, 7]);
    expect(store.listGenerations(id, { before: 2 }).map((g) => g.generation)).toEqual([1]);
  });

  it('pages events and filters them by action', () => {
    const { id } = store.createConduit(conduitSpec());
    const g = store.beginGeneration(id, 'manual', false, STARTED);
    const events = Array.from({ length: 10 }, (_, i) => ({
      side: 'target' as const, path: `f${i}`, action: i % 2 === 0 ? 'copy' as const : 'mkdir' as const, bytes: i, message: null,
    }));
    store.commitGeneration(commitOf(id, g.id, { events }));
    const all = store.listEvents(g.id);
    expect(all.map((e) => e.path)).toEqual(events.map((e) => e.path));
    expect(all[0]).toEqual({ id: all[0]!.id, generationId: g.id, side: 'target', path: 'f0', action: 'copy', bytes: 0, message: null });
    expect(store.listEvents(g.id, { action: 'mkdir' }).map((e) => e.path)).toEqual(['f1', 'f3', 'f5', 'f7', 'f9']);
    expect(store.listEvents(g.id, { limit: 3, offset: 4 }).map((e) => e.path)).toEqual(['f4', 'f5', 'f6']);
  });

  it('records every event of a large generation, in order and field for field (many rows per INSERT, the rest one by one)', () => {
    const { id } = store.createConduit(conduitSpec());
    const g = store.beginGeneration(id, 'manual', false, STARTED);
    const actions = ['copy', 'delete', 'mkdir', 'error'] as const;
    const events = Array.from({ length: 257 }, (_, i) => ({
      side: i % 3 === 0 ? null : i % 3 === 1 ? 'source' as const : 'target' as const,
      path: `d${i % 7}/f${i}`,
      action: actions[i % actions.length]!,
      bytes: (i * 7919) % 10_007,
      message: i % 5 === 0 ? `message ${i}` : null,
    }));
    store.commitGeneration(commitOf(id, g.id, { events }));
    const all = store.listEvents(g.id);
    expect(all.map(({ side, path, action, bytes, message }) => ({ side, path, action, bytes, message }))).toEqual(events);
    expect(all.every((e) => e.generationId === g.id)).toBe(true);
    expect(all.map((e) => e.id)).toEqual([...all.map((e) => e.id)].sort((a, b) => a - b));
  });

  it('records verification', () => {
    const { id } = store.createConduit(conduitSpec());
    const g = store.beginGeneration(id, 'manual', false, STARTED);
    store.commitGeneration(commitOf(id, g.id, { verificationStatus: 'waiting_watcher' }));
    expect(store.getGenerationById(g.id)).toMatchObject({ verificationStatus: 'waiting_watcher', verifiedAt: null });
    store.setVerification(g.id, 'verified', '2026-01-01T00:02:00.000Z');
    expect(store.getGenerationById(g.id)).toMatchObject({ verificationStatus: 'verified', verifiedAt: '2026-01-01T00:02:00.000Z' });
    store.setVerification(g.id, 'failed:a.txt size differs', null);
    expect(store.getGenerationById(g.id)?.verificationStatus).toBe('failed:a.txt size differs');
  });
});

describe('baseline', () => {
  it('round-trips nanosecond mtimes as bigint and applies upserts and deletes of a commit', () => {
    const { id } = store.createConduit(conduitSpec());
    const g1 = store.beginGeneration(id, 'manual', false, STARTED);
    const link = { kind: 'symlink' as const, size: 0, hash: null, linkTarget: '../elsewhere', source: { mtimeNs: NS, mode: 0 }, target: { mtimeNs: NS + 1n, mode: 0 } };
    store.commitGeneration(commitOf(id, g1.id, {
      baselineUpserts: new Map([
        ['a.txt', fileEntry(5, NS, NS + 7n)],
        ['dir', { kind: 'dir', size: 0, hash: null, linkTarget: null, source: { mtimeNs: 1n, mode: 0o755 }, target: { mtimeNs: 2n, mode: 0o700 } }],
        ['dir/link', link],
        ['gone.txt', fileEntry(1, 3n)],
      ]),
    }));
    const first = store.loadBaseline(id);
    expect(first.get('a.txt')).toEqual(fileEntry(5, NS, NS + 7n));
    expect(typeof first.get('a.txt')!.source.mtimeNs).toBe('bigint');
    expect(typeof first.get('a.txt')!.size).toBe('number');
    expect(first.get('dir/link')).toEqual(link);
    expect(first.size).toBe(4);

    const g2 = store.beginGeneration(id, 'manual', false, STARTED);
    store.commitGeneration(commitOf(id, g2.id, {
      baselineUpserts: new Map([['a.txt', { ...fileEntry(9, NS + 1_000n), hash: 'abc123' }]]),
      baselineDeletes: ['gone.txt', 'never-there'],
    }));
    const second = store.loadBaseline(id);
    expect([...second.keys()].sort()).toEqual(['a.txt', 'dir', 'dir/link']);
    expect(second.get('a.txt')).toEqual({ ...fileEntry(9, NS + 1_000n), hash: 'abc123' });

    store.setBaselineEntry(id, 'b.txt', fileEntry(2, NS));
    store.setBaselineEntry(id, 'dir/link', null);
    expect([...store.loadBaseline(id).keys()].sort()).toEqual(['a.txt', 'b.txt', 'dir']);
  });

  it('keeps each conduit\'s baseline to itself', () => {
    const a = store.createConduit(conduitSpec());
    const b = store.createConduit(conduitSpec({ name: 'notes' }));
    store.setBaselineEntry(a.id, 'same/path', fileEntry(1, NS));
    store.setBaselineEntry(b.id, 'same/path', fileEntry(2, NS));
    expect(store.loadBaseline(a.id).get('same/path')!.size).toBe(1);
    expect(store.loadBaseline(b.id).get('same/path')!.size).toBe(2);
  });
});

describe('conflicts', () => {
  const manual: ConflictInput = {
    path: 'notes.txt', kind: 'both_modified', severity: 'high', resolution: 'unresolved',
    source: { kind: 'file', size: 10, mtime: '2026-01-01T00:00:00.000Z' },
    target: { kind: 'file', size: 12, mtime: '2026-01-01T00:00:01.000Z' },
    conflictCopy: null,
  };

  function run(conduitId: number, conflicts: ConflictInput[], startedAt = STARTED, completedAt = '2026-01-01T00:01:00.000Z') {
    const g = store.beginGeneration(conduitId, 'manual', false, startedAt);
    store.commitGeneration(commitOf(conduitId, g.id, { conflicts, completedAt }));
    return g;
  }

  it('keeps one open record per path across generations, then closes it', () => {
    const { id } = store.createConduit(conduitSpec({ mode: 'bidirectional', conflict: 'manual' }));
    const g1 = run(id, [manual]);
    const g2 = run(id, [{ ...manual, target: { kind: 'file', size: 13, mtime: '2026-01-02T00:00:00.000Z' } }], '2026-01-02T00:00:00.000Z');

    const open = store.listConflicts();
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({
      conduit: 'photos', path: 'notes.txt', kind: 'both_modified', severity: 'high', resolution: 'unresolved',
      generation: g2.generation, detectedAt: STARTED, resolvedAt: null, conflictCopy: null,
      source: manual.source, target: { kind: 'file', size: 13, mtime: '2026-01-02T00:00:00.000Z' },
    });
    expect(g1.generation).toBe(1);

    run(id, [{ ...manual, resolution: 'kept_both', severity: 'low', conflictCopy: 'notes.conflict-target-20260103T000000Z.txt' }],
      '2026-01-03T00:00:00.000Z', '2026-01-03T00:00:05.000Z');
    expect(store.listConflicts()).toEqual([]);
    const all = store.listConflicts({ all: true });
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({
      id: open[0]!.id, resolution: 'kept_both', severity: 'low', resolvedAt: '2026-01-03T00:00:05.000Z',
      conflictCopy: 'notes.conflict-target-20260103T000000Z.txt', detectedAt: STARTED,
    });

    // The same path conflicting again later is a new record.
    run(id, [manual]);
    expect(store.listConflicts({ conduit: 'photos' })).toHaveLength(1);
    expect(store.listConflicts({ conduit: 'photos', all: true })).toHaveLength(2);
  });

  it('records a conflict resolved by the policy as closed at once, with a null side for a deletion', () => {
    const { id } = store.createConduit(conduitSpec({ mode: 'bidirectional' }));
    run(id, [{ ...manual, kind: 'modify_delete', resolution: 'accepted_source', severity: 'medium', target: null }]);
    expect(store.listConflicts()).toEqual([]);
    const [record] = store.listConflicts({ all: true });
    expect(record).toMatchObject({ kind: 'modify_delete', resolution: 'accepted_source', target: null, resolvedAt: '2026-01-01T00:01:00.000Z' });
    expect(store.getConflict(record!.id)).toEqual(record);
  });

  it('resolves a conflict by id, and filters by conduit', () => {
    const photos = store.createConduit(conduitSpec({ mode: 'bidirectional', conflict: 'manual' }));
    const notes = store.createConduit(conduitSpec({ name: 'notes', mode: 'bidirectional', conflict: 'manual' }));
    run(photos.id, [manual, { ...manual, path: 'other.txt' }]);
    run(notes.id, [manual]);
    expect(store.listConflicts().map((c) => `${c.conduit}:${c.path}`)).toEqual(['notes:notes.txt', 'photos:notes.txt', 'photos:other.txt']);
    const target = store.listConflicts({ conduit: 'notes' })[0]!;
    store.resolveConflict(target.id, 'accepted_target', '2026-02-01T00:00:00.000Z');
    expect(store.getConflict(target.id)).toMatchObject({ resolution: 'accepted_target', resolvedAt: '2026-02-01T00:00:00.000Z' });
    expect(store.listConflicts({ conduit: 'notes' })).toEqual([]);
    expect(() => store.resolveConflict(424242, 'dismissed', STARTED)).toThrow(expect.objectContaining({ code: 'not_found' }));
    expect(() => store.listConflicts({ conduit: 'ghost' })).toThrow(expect.objectContaining({ code: 'not_found' }));
  });
});

describe('removeConduit', () => {
  it('leaves no row of the conduit behind and keeps the others', () => {
    const photos = store.createConduit(conduitSpec({ mode: 'bidirectional', conflict: 'manual' }));
    const notes = store.createConduit(conduitSpec({ name: 'notes' }));
    for (const conduit of [photos, notes]) {
      const g = store.beginGeneration(conduit.id, 'manual', false, STARTED);
      store.commitGeneration(commitOf(conduit.id, g.id, {
        events: [{ side: 'target', path: 'a', action: 'copy', bytes: 1, message: null }],
        conflicts: [{ path: 'c', kind: 'both_modified', severity: 'high', resolution: 'unresolved', source: null, target: null, conflictCopy: null }],
        baselineUpserts: new Map([['a', fileEntry(1, NS)]]),
      }));
    }
    expect(store.removeConduit('photos')).toBe(true);
    const counts = withRawDb((db) => Object.fromEntries(
      ['sync_conduit', 'sync_generation', 'generation_event', 'index_entry', 'sync_conflict'].map((table) => [
        table,
        db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get(),
      ]),
    ));
    expect(counts).toEqual({ sync_conduit: 1, sync_generation: 1, generation_event: 1, index_entry: 1, sync_conflict: 1 });
    expect(store.listConflicts({ all: true }).map((c) => c.conduit)).toEqual(['notes']);
  });
});

describe('locking', () => {
  it('waits out busy_timeout, then names the database in StoreError("busy")', () => {
    const other = new Database(tmp.db);
    other.exec('BEGIN IMMEDIATE');
    try {
      const started = Date.now();
      expect(() => store.createConduit(conduitSpec())).toThrow(expect.objectContaining({ code: 'busy', message: expect.stringContaining(tmp.db) }));
      expect(Date.now() - started).toBeGreaterThanOrEqual(4_500);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(store.createConduit(conduitSpec()).name).toBe('photos');
  });
});

describe('markInterrupted', () => {
  it('marks a generation whose runner died, leaves one of a live process alone', async () => {
    const photos = store.createConduit(conduitSpec());
    const notes = store.createConduit(conduitSpec({ name: 'notes' }));
    const orphan = store.beginGeneration(photos.id, 'schedule', false, STARTED);
    const live = store.beginGeneration(notes.id, 'manual', false, STARTED);
    const pid = await deadPid();
    withRawDb((db) => db.prepare('UPDATE sync_generation SET runner_pid = ? WHERE id = ?').run(pid, orphan.id));

    expect(store.markInterrupted()).toBe(1);
    expect(store.getGenerationById(orphan.id)).toMatchObject({ status: 'interrupted', errorMessage: expect.stringContaining(`pid ${pid}`) });
    expect(store.getGenerationById(orphan.id)!.completedAt).not.toBeNull();
    expect(store.getConduitById(photos.id)).toMatchObject({ state: 'failed', lastSyncError: 'interrupted' });
    expect(store.getGenerationById(live.id)).toMatchObject({ status: 'running', completedAt: null });
    expect(store.getConduitById(notes.id)).toMatchObject({ state: 'syncing' });
    expect(store.markInterrupted()).toBe(0);
  });

  it('runs when a store opens', async () => {
    const { id } = store.createConduit(conduitSpec());
    const g = store.beginGeneration(id, 'manual', false, STARTED);
    const pid = await deadPid();
    withRawDb((db) => db.prepare('UPDATE sync_generation SET runner_pid = ? WHERE id = ?').run(pid, g.id));
    store.close();
    store = await openStore(tmp.db);
    expect(store.getGenerationById(g.id)?.status).toBe('interrupted');
    expect(store.getConduitById(id)?.state).toBe('failed');
  });
});
