import type Database from 'better-sqlite3';
import type { Side } from '../../core/entry.js';
import type { GenerationCommit, PendingPathRecord } from '../store.js';

interface PendingDbRow {
  path: string;
  side: string | null;
  reason: string;
  since_generation: number;
  last_generation: number;
  generations: number;
}

function toRecord(row: PendingDbRow): PendingPathRecord {
  return {
    path: row.path, side: row.side as Side | null, reason: row.reason,
    sinceGeneration: row.since_generation, lastGeneration: row.last_generation, generations: row.generations,
  };
}

/** SQLite's "no limit". */
const NO_LIMIT = -1;

/**
 * `pending_path`: the paths a conduit's latest generations did not land
 * (issue 11 §1). Written inside the generation's commit transaction: a path
 * pending again counts one more generation in a row; one that landed, or
 * that a full generation no longer names, is forgotten.
 */
export class PendingRepository {
  private readonly selectAll;
  private readonly selectPage;
  private readonly insertRow;
  private readonly updateRow;
  private readonly deleteRow;
  private readonly selectCount;

  constructor(db: Database.Database) {
    this.selectAll = db.prepare<[number], PendingDbRow>('SELECT * FROM pending_path WHERE conduit_id = ?');
    this.selectPage = db.prepare<[number, number], PendingDbRow>(
      'SELECT * FROM pending_path WHERE conduit_id = ? ORDER BY since_generation, path LIMIT ?',
    );
    this.insertRow = db.prepare<[number, string, string | null, string, number, number]>(
      'INSERT INTO pending_path (conduit_id, path, side, reason, since_generation, last_generation, generations) VALUES (?, ?, ?, ?, ?, ?, 1)',
    );
    this.updateRow = db.prepare<[string | null, string, number, number, string]>(
      'UPDATE pending_path SET side = ?, reason = ?, last_generation = ?, generations = generations + 1 WHERE conduit_id = ? AND path = ?',
    );
    this.deleteRow = db.prepare<[number, string]>('DELETE FROM pending_path WHERE conduit_id = ? AND path = ?');
    this.selectCount = db.prepare<[number], number>('SELECT COUNT(*) FROM pending_path WHERE conduit_id = ?').pluck();
  }

  /** What generation `generation` left pending; the caller holds the commit's transaction. */
  record(commit: GenerationCommit, generation: number): void {
    const pending = commit.pending;
    if (!pending) return;
    const id = commit.conduitId;
    const before = new Map(this.selectAll.all(id).map((row) => [row.path, row]));
    const now = new Set<string>();
    for (const path of pending.paths) {
      if (now.has(path.path)) continue; // one row per path: its first reason in the generation
      now.add(path.path);
      if (before.has(path.path)) this.updateRow.run(path.side, path.reason, generation, id, path.path);
      else this.insertRow.run(id, path.path, path.side, path.reason, generation, generation);
    }
    const landed = new Set([...commit.baselineUpserts.keys(), ...commit.baselineDeletes]);
    for (const path of before.keys()) {
      if (now.has(path)) continue;
      if (pending.within === null || landed.has(path) || isWithin(path, pending.within)) this.deleteRow.run(id, path);
    }
  }

  count(conduitId: number): number {
    return this.selectCount.get(conduitId) ?? 0;
  }

  list(conduitId: number, limit: number | undefined): PendingPathRecord[] {
    return this.selectPage.all(conduitId, limit ?? NO_LIMIT).map(toRecord);
  }
}

/** `path` is one of `paths` or under one of them (the fast path looked at it). */
function isWithin(path: string, paths: readonly string[]): boolean {
  return paths.some((p) => path === p || path.startsWith(`${p}/`));
}
