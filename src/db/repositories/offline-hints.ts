import type Database from 'better-sqlite3';
import type { OfflineHintRecord } from '../store.js';

/**
 * `offline_hint`: paths the local watcher reported changed while the
 * conduit's remote host was unreachable (issue 10). A path reported again
 * keeps its first time; a full generation that reached the host clears them
 * all, inside its commit's transaction.
 */
export class OfflineHintRepository {
  private readonly insertRow;
  private readonly selectAll;
  private readonly deleteAll;

  constructor(db: Database.Database) {
    this.insertRow = db.prepare<[number, string, string]>(
      'INSERT INTO offline_hint (conduit_id, path, seen_at) VALUES (?, ?, ?) ON CONFLICT (conduit_id, path) DO NOTHING',
    );
    this.selectAll = db.prepare<[number], { path: string; seen_at: string }>('SELECT path, seen_at FROM offline_hint WHERE conduit_id = ? ORDER BY path');
    this.deleteAll = db.prepare<[number]>('DELETE FROM offline_hint WHERE conduit_id = ?');
  }

  /** The caller holds the transaction. */
  add(conduitId: number, paths: readonly string[], seenAt: string): void {
    for (const path of paths) this.insertRow.run(conduitId, path, seenAt);
  }

  list(conduitId: number): OfflineHintRecord[] {
    return this.selectAll.all(conduitId).map((row) => ({ path: row.path, seenAt: row.seen_at }));
  }

  clear(conduitId: number): void {
    this.deleteAll.run(conduitId);
  }
}
