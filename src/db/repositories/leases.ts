import type Database from 'better-sqlite3';
import type { LeaseFence, LeaseHolder, LeaseKind, LeaseRecord } from '../lease.js';

interface LeaseDbRow {
  conduit_id: number;
  kind: string;
  token: number;
  holder_id: string | null;
  holder_pid: number | null;
  holder_host: string | null;
  holder_pid_space: string | null;
  acquired_at: string | null;
  heartbeat_at: string | null;
  expires_at: string | null;
  generation_id: number | null;
}

function toRecord(row: LeaseDbRow): LeaseRecord {
  return {
    conduitId: row.conduit_id,
    kind: row.kind as LeaseKind,
    token: row.token,
    holderId: row.holder_id,
    holderPid: row.holder_pid,
    holderHost: row.holder_host,
    holderPidSpace: row.holder_pid_space,
    acquiredAt: row.acquired_at,
    heartbeatAt: row.heartbeat_at,
    expiresAt: row.expires_at,
    generationId: row.generation_id,
  };
}

/**
 * `conduit_lease`: the rows of src/db/lease.ts. Plain statements; the store
 * runs every write here inside its IMMEDIATE transaction (the write lock is
 * taken before the row is read, so two acquirers are serialised) and decides
 * there what a row means.
 */
export class LeaseRepository {
  private readonly selectNow;
  private readonly selectOne;
  private readonly selectGenerationLeases;
  private readonly upsertHeld;
  private readonly updateRenewed;
  private readonly updateReleased;
  private readonly updateGeneration;

  constructor(db: Database.Database) {
    // The database's clock, in the format of Date.toISOString (ms, Z): every host sharing
    // the database judges expiry by the same clock. (On SQLite it is this machine's.)
    this.selectNow = db.prepare<[], string>(`SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`).pluck();
    this.selectOne = db.prepare<[number, string], LeaseDbRow>('SELECT * FROM conduit_lease WHERE conduit_id = ? AND kind = ?');
    this.selectGenerationLeases = db.prepare<[], LeaseDbRow>(`SELECT * FROM conduit_lease WHERE kind = 'generation'`);
    this.upsertHeld = db.prepare<[Record<string, string | number>]>(
      `INSERT INTO conduit_lease (conduit_id, kind, token, holder_id, holder_pid, holder_host, holder_pid_space, acquired_at, heartbeat_at, expires_at, generation_id)
       VALUES (@conduit_id, @kind, @token, @holder_id, @holder_pid, @holder_host, @holder_pid_space, @now, @now, @expires_at, NULL)
       ON CONFLICT (conduit_id, kind) DO UPDATE SET token = excluded.token, holder_id = excluded.holder_id, holder_pid = excluded.holder_pid,
         holder_host = excluded.holder_host, holder_pid_space = excluded.holder_pid_space, acquired_at = excluded.acquired_at,
         heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at, generation_id = NULL`,
    );
    this.updateRenewed = db.prepare<[string, string, number, string, number, string]>(
      `UPDATE conduit_lease SET heartbeat_at = ?, expires_at = ? WHERE conduit_id = ? AND kind = ? AND token = ? AND holder_id = ?`,
    );
    this.updateReleased = db.prepare<[string, number, string, number, string]>(
      `UPDATE conduit_lease SET holder_id = NULL, expires_at = NULL, heartbeat_at = ? WHERE conduit_id = ? AND kind = ? AND token = ? AND holder_id = ?`,
    );
    this.updateGeneration = db.prepare<[number, number, string, number, string]>(
      `UPDATE conduit_lease SET generation_id = ? WHERE conduit_id = ? AND kind = ? AND token = ? AND holder_id = ?`,
    );
  }

  /** Now, by the database's clock (UTC ISO-8601 with ms). */
  now(): string {
    return this.selectNow.get()!;
  }

  get(conduitId: number, kind: LeaseKind): LeaseRecord | undefined {
    const row = this.selectOne.get(conduitId, kind);
    return row && toRecord(row);
  }

  /** Every conduit's `generation` lease row (to tell which `running` generations still have a live runner). */
  generationLeases(): LeaseRecord[] {
    return this.selectGenerationLeases.all().map(toRecord);
  }

  /** Writes `holder` as the holder of the lease with `token`, from `now` until `expiresAt`. */
  hold(conduitId: number, kind: LeaseKind, token: number, holder: LeaseHolder, now: string, expiresAt: string): void {
    this.upsertHeld.run({
      conduit_id: conduitId, kind, token, holder_id: holder.id, holder_pid: holder.pid, holder_host: holder.host,
      holder_pid_space: holder.pidSpace, now, expires_at: expiresAt,
    });
  }

  /** Moves the expiry on, if the fence still holds the lease. */
  renew(fence: LeaseFence, now: string, expiresAt: string): boolean {
    return this.updateRenewed.run(now, expiresAt, fence.conduitId, fence.kind, fence.token, fence.holderId).changes > 0;
  }

  /** Lets go, if the fence still holds the lease; the row and its token stay. */
  release(fence: LeaseFence, now: string): boolean {
    return this.updateReleased.run(now, fence.conduitId, fence.kind, fence.token, fence.holderId).changes > 0;
  }

  /** Records which generation runs under the lease, if the fence still holds it. */
  attachGeneration(fence: LeaseFence, generationId: number): boolean {
    return this.updateGeneration.run(generationId, fence.conduitId, fence.kind, fence.token, fence.holderId).changes > 0;
  }
}
