import type Database from 'better-sqlite3';
import type { GenerationStatus, VerificationStatus } from '../../core/vocabulary.js';
import type { DurationTally, GenerationStatistics, GenerationTally, LatestGeneration } from '../generation-statistics.js';

interface TallyDbRow {
  conduit: string;
  status: string;
  dry_run: number;
  generations: number;
  files_copied: number;
  files_deleted: number;
  bytes_transferred: number;
  verification_failures: number;
  last_completed_at: string | null;
}

interface LatestDbRow {
  conduit: string;
  generation: number;
  status: string;
  completed_at: string | null;
  verification_status: string;
}

const SELECT_TALLIES = `
  SELECT c.name AS conduit, g.status, g.dry_run, COUNT(*) AS generations,
         TOTAL(g.files_copied) AS files_copied, TOTAL(g.files_deleted) AS files_deleted, TOTAL(g.bytes_transferred) AS bytes_transferred,
         TOTAL(g.verification_status LIKE 'failed:%') AS verification_failures, MAX(g.completed_at) AS last_completed_at
  FROM sync_generation g JOIN sync_conduit c ON c.id = g.conduit_id
  GROUP BY g.conduit_id, g.status, g.dry_run`;

const SELECT_LATEST = `
  SELECT c.name AS conduit, g.generation, g.status, g.completed_at, g.verification_status
  FROM sync_generation g JOIN sync_conduit c ON c.id = g.conduit_id
  WHERE (g.conduit_id, g.generation) IN (
    SELECT conduit_id, MAX(generation) FROM sync_generation WHERE dry_run = 0 AND status <> 'running' GROUP BY conduit_id)`;

/**
 * Seconds between start and completion, rounded to the millisecond the
 * timestamps carry (julianday's float arithmetic would put an exact 1 s at
 * 0.99999… or 1.00000…1, on either side of a bucket bound); a clock stepped
 * back reads 0, not a negative duration.
 */
const DURATION = `MAX(0.0, ROUND((julianday(completed_at) - julianday(started_at)) * 86400.0, 3))`;

/**
 * Aggregates over `sync_generation` for the metrics, each one statement
 * (a scrape reads a few rows per conduit, not the history). The duration
 * buckets are counted in SQL: the statement is built for the bounds asked
 * for and kept for the next scrape that asks for the same ones.
 */
export class StatisticsRepository {
  private readonly selectTallies;
  private readonly selectLatest;
  private durations: { key: string; statement: Database.Statement<number[], Record<string, number | string>> } | undefined;

  constructor(private readonly db: Database.Database) {
    this.selectTallies = db.prepare<[], TallyDbRow>(SELECT_TALLIES);
    this.selectLatest = db.prepare<[], LatestDbRow>(SELECT_LATEST);
  }

  read(durationBounds: readonly number[]): GenerationStatistics {
    return { tallies: this.tallies(), latest: this.latest(), durations: this.durationTallies(durationBounds) };
  }

  private tallies(): GenerationTally[] {
    return this.selectTallies.all().map((row) => ({
      conduit: row.conduit,
      status: row.status as GenerationStatus,
      dryRun: row.dry_run !== 0,
      generations: row.generations,
      filesCopied: row.files_copied,
      filesDeleted: row.files_deleted,
      bytesTransferred: row.bytes_transferred,
      verificationFailures: row.verification_failures,
      lastCompletedAt: row.last_completed_at,
    }));
  }

  private latest(): LatestGeneration[] {
    return this.selectLatest.all().map((row) => ({
      conduit: row.conduit,
      generation: row.generation,
      status: row.status as GenerationStatus,
      completedAt: row.completed_at,
      verificationStatus: row.verification_status as VerificationStatus,
    }));
  }

  private durationTallies(bounds: readonly number[]): DurationTally[] {
    const key = bounds.join(',');
    if (this.durations?.key !== key) {
      const buckets = bounds.map((_, i) => `TOTAL(d <= ?) AS b${i}`).join(', ');
      const statement = this.db.prepare<number[], Record<string, number | string>>(`
        SELECT c.name AS conduit, COUNT(*) AS count, TOTAL(d) AS sum${buckets === '' ? '' : `, ${buckets}`}
        FROM (SELECT conduit_id, ${DURATION} AS d FROM sync_generation
              WHERE dry_run = 0 AND status <> 'running' AND completed_at IS NOT NULL) g
        JOIN sync_conduit c ON c.id = g.conduit_id
        GROUP BY g.conduit_id`);
      this.durations = { key, statement };
    }
    return this.durations.statement.all(...bounds).map((row) => ({
      conduit: String(row['conduit']),
      count: Number(row['count']),
      sumSeconds: Number(row['sum']),
      atMost: bounds.map((_, i) => Number(row[`b${i}`])),
    }));
  }
}
