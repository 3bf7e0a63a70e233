import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BASELINE_KIND, type SideBaselineColumns } from '../../src/core/change-set.js';
import { columnsFromBaseline } from '../../src/core/change-set/index.js';
import type { Baseline, BaselineEntry, Side } from '../../src/core/entry.js';
import { createDataSource } from '../../src/db/data-source.js';
import { openStore } from '../../src/db/open-store.js';
import { BaselineRepository } from '../../src/db/repositories/baseline.js';
import { commitOf, conduitSpec, tempDir } from './fixtures.js';

/**
 * The baseline's store side of issue 9 on a real SQLite file: per-side
 * inodes (and the migration that adds them to an old database), the columnar
 * loader against the plain `load`, point lookups, and multi-row writes.
 */

let tmp: ReturnType<typeof tempDir>;
let conduitId: number;
let db: Database.Database;
let repo: BaselineRepository;

beforeEach(async () => {
  tmp = tempDir();
  const store = await openStore(tmp.db);
  conduitId = store.createConduit(conduitSpec()).id;
  store.close();
  db = new Database(tmp.db);
  repo = new BaselineRepository(db);
});
afterEach(() => {
  if (db.open) db.close();
  tmp.cleanup();
});

const NS = 1_700_000_000_123_456_789n;

/** Rows whose attributes are drawn independently of each other (kind, size, mtimes, modes, inodes per side). */
function rowsFor(count: number, seed = 1): Map<string, BaselineEntry> {
  let a = seed;
  const rand = (): number => {
    a = (Math.imul(a, 1103515245) + 12345) >>> 0;
    return a / 4294967296;
  };
  const names = ['a', 'b', 'café', 'z', '中文', 'emoji-\u{1F600}', 'pua\uF780', 'A', '_', 'x.y'];
  const out = new Map<string, BaselineEntry>();
  for (let i = 0; out.size < count; i++) {
    const depth = 1 + Math.floor(rand() * 3);
    const path = Array.from({ length: depth }, () => names[Math.floor(rand() * names.length)]!).join('/') + `-${i}`;
    const r = rand();
    const kind = r < 0.7 ? 'file' : r < 0.9 ? 'dir' : 'symlink';
    const side = (): BaselineEntry['source'] => {
      const ino = rand() < 0.2 ? 0 : 1 + Math.floor(rand() * 2 ** 40);
      const mtimeNs = rand() < 0.05 ? -BigInt(Math.floor(rand() * 1e12)) : NS + BigInt(Math.floor(rand() * 1e15));
      const mode = kind === 'symlink' ? 0 : Math.floor(rand() * 0o7777);
      return ino === 0 ? { mtimeNs, mode } : { mtimeNs, mode, ino };
    };
    out.set(path, {
      kind, size: kind === 'file' ? Math.floor(rand() * 2 ** 45) : 0, hash: rand() < 0.5 ? `h${i}` : null,
      linkTarget: kind === 'symlink' ? `../t-${i}` : null, source: side(), target: side(),
    });
  }
  return out;
}

/** One side's columns built plainly from a Map, in SQLite's order of the UTF-8 paths (the oracle for loadColumns). */
function columnsOfMap(baseline: Baseline, side: Side): Omit<SideBaselineColumns, 'paths' | 'offsets'> & { pathList: string[] } {
  const pathList = [...baseline.keys()].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
  const rows = pathList.map((p) => baseline.get(p)!);
  const links = pathList.map((p, i) => [i, baseline.get(p)!] as const).filter(([, e]) => e.kind === 'symlink');
  return {
    side, count: rows.length, pathList,
    kinds: Uint8Array.from(rows, (e) => BASELINE_KIND[e.kind]),
    sizes: Float64Array.from(rows, (e) => e.size),
    mtimes: BigInt64Array.from(rows, (e) => e[side].mtimeNs),
    modes: Uint16Array.from(rows, (e) => e[side].mode),
    inos: Float64Array.from(rows, (e) => e[side].ino ?? 0),
    linkRows: Uint32Array.from(links, ([i]) => i),
    linkTargets: links.map(([, e]) => e.linkTarget!),
  };
}

function plainColumns(c: SideBaselineColumns): ReturnType<typeof columnsOfMap> {
  const pathList: string[] = [];
  for (let i = 0; i < c.count; i++) pathList.push(c.paths.slice(c.offsets[i]!, c.offsets[i + 1]! - 1));
  expect(c.paths.length).toBe(c.offsets[c.count]);
  return {
    side: c.side, count: c.count, pathList, kinds: Uint8Array.from(c.kinds), sizes: Float64Array.from(c.sizes), mtimes: BigInt64Array.from(c.mtimes),
    modes: Uint16Array.from(c.modes), inos: Float64Array.from(c.inos), linkRows: Uint32Array.from(c.linkRows), linkTargets: [...c.linkTargets],
  };
}

describe('the baseline with per-side inodes', () => {
  it('round-trips each side\'s inode; an inode of 0 reads back as absent', () => {
    const rows = rowsFor(300);
    db.transaction(() => repo.upsertMany(conduitId, rows))();
    expect(repo.load(conduitId)).toEqual(rows);
    const withZero = [...rows.values()].filter((e) => e.source.ino === undefined);
    expect(withZero.length).toBeGreaterThan(0);
  });

  it('migrates an old database: its rows keep everything and read with unknown inodes (0 in the columns)', async () => {
    db.close();
    // Back to the schema before the inodes, with a row written the old way.
    const ds = createDataSource(tmp.db);
    await ds.initialize();
    try {
      // Undo the newest migrations until the inodes' one is undone (later migrations may follow it).
      for (let undone = false; !undone;) {
        const last = (await ds.query('SELECT name FROM migrations ORDER BY timestamp DESC LIMIT 1')) as { name: string }[];
        await ds.undoLastMigration({ transaction: 'all' });
        undone = last[0]?.name.startsWith('BaselineInodes') ?? true;
      }
    } finally {
      await ds.destroy();
    }
    const old = new Database(tmp.db);
    const columns = old.prepare(`SELECT name FROM pragma_table_info('index_entry')`).pluck().all();
    expect(columns).not.toContain('source_ino');
    old.prepare(`INSERT INTO index_entry (conduit_id, path, kind, size, hash, link_target, source_mtime_ns, source_mode, target_mtime_ns, target_mode)
      VALUES (?, 'old.txt', 'file', 5, 'abc', NULL, ?, 420, ?, 384)`).run(conduitId, NS, NS + 1n);
    old.close();

    const store = await openStore(tmp.db);
    expect(store.loadBaseline(conduitId)).toEqual(new Map([['old.txt', {
      kind: 'file', size: 5, hash: 'abc', linkTarget: null, source: { mtimeNs: NS, mode: 420 }, target: { mtimeNs: NS + 1n, mode: 384 },
    }]]));
    store.close();
    db = new Database(tmp.db);
    repo = new BaselineRepository(db);
    const { source, target } = repo.loadColumns(conduitId);
    expect([source.inos[0], target.inos[0], source.mtimes[0], target.mtimes[0], source.modes[0], target.modes[0]]).toEqual([0, 0, NS, NS + 1n, 420, 384]);
  });
});

describe('loadColumns', () => {
  it('equals the columns built from load(), on random rows (every kind, negative and large mtimes, non-ASCII paths)', () => {
    const rows = rowsFor(5_000, 7);
    db.transaction(() => repo.upsertMany(conduitId, rows))();
    const loaded = repo.load(conduitId);
    const { source, target, count } = repo.loadColumns(conduitId);
    expect(count).toBe(rows.size);
    expect(plainColumns(source)).toEqual(columnsOfMap(loaded, 'source'));
    expect(plainColumns(target)).toEqual(columnsOfMap(loaded, 'target'));
    // And the reference conversion of the Map (load() steps the rows in the same key order).
    expect(plainColumns(source)).toEqual(plainColumns(columnsFromBaseline(loaded, 'source')));
    expect(plainColumns(target)).toEqual(plainColumns(columnsFromBaseline(loaded, 'target')));
    // Read in chunks (key ranges), a remainder and an exact multiple: the same columns.
    for (const chunk of [777, 1_000]) {
      const chunked = new BaselineRepository(db, chunk).loadColumns(conduitId);
      expect(plainColumns(chunked.source)).toEqual(columnsOfMap(loaded, 'source'));
      expect(plainColumns(chunked.target)).toEqual(columnsOfMap(loaded, 'target'));
    }
  });

  it('puts every typed array on a SharedArrayBuffer, the common columns shared by both sides', () => {
    db.transaction(() => repo.upsertMany(conduitId, rowsFor(100)))();
    const { source, target } = repo.loadColumns(conduitId);
    for (const array of [source.offsets, source.kinds, source.sizes, source.mtimes, source.modes, source.inos, source.linkRows, target.mtimes]) {
      expect(array.buffer).toBeInstanceOf(SharedArrayBuffer);
    }
    expect(target.offsets).toBe(source.offsets);
    expect(target.paths).toBe(source.paths);
    expect(target.mtimes.buffer).not.toBe(source.mtimes.buffer);
  });

  it('an empty baseline is empty columns; other conduits\' rows are not read', () => {
    expect(repo.loadColumns(conduitId)).toMatchObject({ count: 0, source: { count: 0, paths: '', linkTargets: [] } });
    expect(repo.loadColumns(conduitId).source.offsets).toEqual(Uint32Array.from([0]));
    const other = db.prepare(`INSERT INTO sync_conduit (uuid, name, source_path, target_path, mode, enabled, schedule, include, exclude, use_index_rules,
      conflict_policy, parallel_transfers, max_delete_percent, checksum, verify_timeout_seconds, created_at, updated_at)
      SELECT 'u2', 'other', source_path, target_path, mode, enabled, schedule, include, exclude, use_index_rules, conflict_policy, parallel_transfers,
      max_delete_percent, checksum, verify_timeout_seconds, created_at, updated_at FROM sync_conduit WHERE id = ?`).run(conduitId).lastInsertRowid as number;
    db.transaction(() => repo.upsertMany(other, rowsFor(10)))();
    expect(repo.loadColumns(conduitId).count).toBe(0);
    expect(repo.loadColumns(other).count).toBe(10);
  });
});

describe('loadRows', () => {
  it('returns the full rows of the asked-for paths, absent ones absent, in any count (chunk sizes and padding)', () => {
    const rows = rowsFor(1_500, 3);
    db.transaction(() => repo.upsertMany(conduitId, rows))();
    const all = [...rows.keys()];
    for (const n of [0, 1, 2, 7, 8, 9, 64, 65, 511, 512, 513, 1_500]) {
      const asked = [...all.slice(0, n), `missing-${n}`];
      const expected = new Map(all.slice(0, n).map((p) => [p, rows.get(p)!]));
      expect(repo.loadRows(conduitId, asked)).toEqual(expected);
    }
    // The same path asked twice is one row.
    expect(repo.loadRows(conduitId, [all[0]!, all[0]!]).size).toBe(1);
  });
});

describe('multi-row writes', () => {
  it('upserts and deletes across chunk boundaries round-trip; an upsert replaces every column', () => {
    const rows = rowsFor(1_000, 11);
    db.transaction(() => repo.upsertMany(conduitId, rows))();
    expect(repo.load(conduitId)).toEqual(rows);

    const replaced = rowsFor(1_000, 12); // other paths mostly; rewrite 300 of the first set with other values
    const paths = [...rows.keys()];
    const updates = new Map(paths.slice(0, 300).map((p, i) => [p, [...replaced.values()][i]!]));
    const deletes = paths.slice(300, 857);
    db.transaction(() => {
      repo.upsertMany(conduitId, updates);
      repo.deleteMany(conduitId, deletes);
    })();
    const expected = new Map(rows);
    for (const [p, e] of updates) expected.set(p, e);
    for (const p of deletes) expected.delete(p);
    expect(repo.load(conduitId)).toEqual(expected);
  });

  it('a generation\'s commit writes its 20,000 new rows and later deletes them (Store.commitGeneration)', async () => {
    db.close();
    const store = await openStore(tmp.db);
    try {
      const rows = rowsFor(20_000, 5);
      const { id } = store.beginGeneration(conduitId, 'manual', false, '2026-01-01T00:00:00.000Z');
      const started = performance.now();
      store.commitGeneration(commitOf(conduitId, id, { baselineUpserts: rows }));
      const ms = performance.now() - started;
      expect(store.loadBaseline(conduitId)).toEqual(rows);
      const second = store.beginGeneration(conduitId, 'manual', false, '2026-01-01T00:02:00.000Z');
      store.commitGeneration(commitOf(conduitId, second.id, { baselineDeletes: [...rows.keys()].slice(0, 19_990) }));
      expect(store.loadBaseline(conduitId).size).toBe(10);
      // Information for docs/PERFORMANCE.md, not an assertion.
      console.info(`commitGeneration of 20,000 new baseline rows: ${ms.toFixed(0)} ms`);
    } finally {
      store.close();
    }
  });
});
