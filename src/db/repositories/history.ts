import type Database from 'better-sqlite3';
import type { Side } from '../../core/entry.js';
import type { EventAction, GenerationStatus, Trigger, VerificationStatus } from '../../core/vocabulary.js';
import { parseErrorEvent } from '../error-event.js';
import { isProcessAlive } from '../process-alive.js';
import {
  type GenerationCommit, type GenerationEventInput, type GenerationEventRecord, type GenerationRecord, StoreError,
} from '../store.js';

/** A `sync_generation` row joined with its conduit's name. */
interface GenerationDbRow {
  id: number;
  conduit_id: number;
  conduit: string;
  generation: number;
  trigger: string;
  started_at: string;
  completed_at: string | null;
  status: string;
  dry_run: number;
  files_copied: number;
  files_deleted: number;
  dirs_created: number;
  dirs_deleted: number;
  conflicts_detected: number;
  conflicts_resolved: number;
  bytes_transferred: number;
  errors_encountered: number;
  error_message: string | null;
  verified_at: string | null;
  verification_status: string;
  repeat_count: number;
  last_repeated_at: string | null;
}

/** One `generation_event` row as `SELECT_EVENT` reads it (also event-search.ts). */
export interface EventDbRow {
  id: number;
  generation_id: number;
  side: string | null;
  path: string;
  action: string;
  bytes: number;
  message: string | null;
}

interface RunningDbRow {
  id: number;
  conduit_id: number;
  runner_pid: number | null;
}

/** What `beginGeneration` returns, plus what a commit needs to know of the row it finishes. */
export interface GenerationHandle {
  readonly id: number;
  readonly generation: number;
  readonly startedAt: string;
  /** 1 for a dry run, 0 otherwise (as stored). */
  readonly dryRun: number;
}

/** The latest record before a refusal: if it is the same refusal, the new one is counted on it (`countRepeat`). */
export interface RefusalCandidate {
  readonly id: number;
  readonly generation: number;
  readonly status: string;
  readonly dryRun: number;
  readonly errorMessage: string | null;
}

/** A `running` generation whose runner process no longer exists. */
export interface OrphanGeneration {
  readonly id: number;
  readonly conduitId: number;
  readonly runnerPid: number | null;
}

/** Why a generation whose process exited reads `interrupted`. */
export function exitedMessage(pid: number | null): string {
  return `interrupted: the process running it (pid ${pid ?? 'unknown'}) exited before it finished`;
}

/** At most this many errors are attached to a GenerationRecord (the events keep them all). */
const MAX_ERRORS = 1000;
/** Event rows per multi-row INSERT (6 parameters each; SQLite allows 32,766 per statement). */
const EVENTS_PER_INSERT = 100;
/** SQLite's "no limit". */
const NO_LIMIT = -1;

const SELECT_GENERATION = `
  SELECT g.id, g.conduit_id, c.name AS conduit, g.generation, g.trigger, g.started_at, g.completed_at, g.status, g.dry_run,
         g.files_copied, g.files_deleted, g.dirs_created, g.dirs_deleted, g.conflicts_detected, g.conflicts_resolved,
         g.bytes_transferred, g.errors_encountered, g.error_message, g.verified_at, g.verification_status,
         g.repeat_count, g.last_repeated_at
  FROM sync_generation g JOIN sync_conduit c ON c.id = g.conduit_id`;

export const SELECT_EVENT = 'SELECT id, generation_id, side, path, action, bytes, message FROM generation_event';

export function toEventRecord(row: EventDbRow): GenerationEventRecord {
  return {
    id: row.id,
    generationId: row.generation_id,
    side: row.side as Side | null,
    path: row.path,
    action: row.action as EventAction,
    bytes: row.bytes,
    message: row.message,
  };
}

/**
 * `sync_generation` and `generation_event`: the history of runs. A row is
 * inserted `running` with the pid of the process running it, and finished by
 * `finish` inside the store's commit transaction.
 */
export class HistoryRepository {
  private readonly selectConduitExists;
  private readonly selectNextNumber;
  private readonly insertRunning;
  private readonly selectHandle;
  private readonly updateFinished;
  private readonly insertEvent;
  private readonly selectByNumber;
  private readonly selectById;
  private readonly selectPage;
  private readonly selectErrors;
  private readonly selectEvents;
  private readonly selectEventsOfAction;
  private readonly updateVerification;
  private readonly selectRunning;
  private readonly markRowInterrupted;
  private readonly selectPrevious;
  private readonly updateRepeat;
  private readonly deleteById;
  /** Prepared on first use: most generations record fewer events than one multi-row statement holds. */
  private insertEvents: Database.Statement<unknown[]> | undefined;

  constructor(private readonly db: Database.Database) {
    this.selectConduitExists = db.prepare<[number], number>('SELECT 1 FROM sync_conduit WHERE id = ?').pluck();
    this.selectNextNumber = db
      .prepare<[number], number>('SELECT COALESCE(MAX(generation), 0) + 1 FROM sync_generation WHERE conduit_id = ?')
      .pluck();
    this.insertRunning = db.prepare<[number, number, string, string, number, number]>(
      `INSERT INTO sync_generation (conduit_id, generation, trigger, started_at, status, dry_run, runner_pid)
       VALUES (?, ?, ?, ?, 'running', ?, ?)`,
    );
    this.selectHandle = db.prepare<[number, number], GenerationHandle>(
      'SELECT id, generation, started_at AS startedAt, dry_run AS dryRun FROM sync_generation WHERE id = ? AND conduit_id = ?',
    );
    this.selectPrevious = db.prepare<[number, number], RefusalCandidate>(
      `SELECT id, generation, status, dry_run AS dryRun, error_message AS errorMessage FROM sync_generation
       WHERE conduit_id = ? AND generation < ? ORDER BY generation DESC LIMIT 1`,
    );
    this.updateRepeat = db.prepare<[string, number]>(
      'UPDATE sync_generation SET repeat_count = repeat_count + 1, last_repeated_at = ? WHERE id = ?',
    );
    this.deleteById = db.prepare<[number]>('DELETE FROM sync_generation WHERE id = ?');
    this.updateFinished = db.prepare<[Record<string, string | number | null>]>(
      `UPDATE sync_generation SET status = @status, completed_at = @completed_at,
         files_copied = @files_copied, files_deleted = @files_deleted, dirs_created = @dirs_created, dirs_deleted = @dirs_deleted,
         conflicts_detected = @conflicts_detected, conflicts_resolved = @conflicts_resolved,
         bytes_transferred = @bytes_transferred, errors_encountered = @errors_encountered,
         error_message = @error_message, verification_status = @verification_status
       WHERE id = @id`,
    );
    this.insertEvent = db.prepare<[number, string | null, string, string, number, string | null]>(
      'INSERT INTO generation_event (generation_id, side, path, action, bytes, message) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.selectByNumber = db.prepare<[number, number], GenerationDbRow>(`${SELECT_GENERATION} WHERE g.conduit_id = ? AND g.generation = ?`);
    this.selectById = db.prepare<[number], GenerationDbRow>(`${SELECT_GENERATION} WHERE g.id = ?`);
    this.selectPage = db.prepare<[number, number, number], GenerationDbRow>(
      `${SELECT_GENERATION} WHERE g.conduit_id = ? AND g.generation < ? ORDER BY g.generation DESC LIMIT ?`,
    );
    this.selectErrors = db.prepare<[number, number], { path: string; message: string | null }>(
      `SELECT path, message FROM generation_event WHERE generation_id = ? AND action = 'error' ORDER BY id LIMIT ?`,
    );
    this.selectEvents = db.prepare<[number, number, number], EventDbRow>(
      `${SELECT_EVENT} WHERE generation_id = ? ORDER BY id LIMIT ? OFFSET ?`,
    );
    this.selectEventsOfAction = db.prepare<[number, string, number, number], EventDbRow>(
      `${SELECT_EVENT} WHERE generation_id = ? AND action = ? ORDER BY id LIMIT ? OFFSET ?`,
    );
    this.updateVerification = db.prepare<[string, string | null, number]>(
      'UPDATE sync_generation SET verification_status = ?, verified_at = ? WHERE id = ?',
    );
    // Served by the partial index IDX_sync_generation_running.
    this.selectRunning = db.prepare<[], RunningDbRow>(`SELECT id, conduit_id, runner_pid FROM sync_generation WHERE status = 'running'`);
    this.markRowInterrupted = db.prepare<[string, string, number]>(
      `UPDATE sync_generation SET status = 'interrupted', completed_at = ?, error_message = COALESCE(error_message, ?)
       WHERE id = ? AND status = 'running'`,
    );
  }

  /** Inserts the next generation of a conduit as `running`; the caller holds an immediate transaction. */
  begin(conduitId: number, trigger: Trigger, dryRun: boolean, startedAt: string): GenerationHandle {
    if (this.selectConduitExists.get(conduitId) === undefined) throw new StoreError('not_found', `conduit #${conduitId} not found`);
    const generation = this.selectNextNumber.get(conduitId)!;
    const result = this.insertRunning.run(conduitId, generation, trigger, startedAt, dryRun ? 1 : 0, process.pid);
    return { id: Number(result.lastInsertRowid), generation, startedAt, dryRun: dryRun ? 1 : 0 };
  }

  /** The generation row a commit finishes, or StoreError('not_found'). */
  handle(conduitId: number, generationId: number): GenerationHandle {
    const handle = this.selectHandle.get(generationId, conduitId);
    if (!handle) throw new StoreError('not_found', `generation #${generationId} of conduit #${conduitId} not found`);
    return handle;
  }

  /** Writes the outcome and events of a generation; the caller holds the transaction. */
  finish(commit: GenerationCommit): void {
    const c = commit.counters;
    this.updateFinished.run({
      id: commit.generationId,
      status: commit.status,
      completed_at: commit.completedAt,
      files_copied: c.filesCopied,
      files_deleted: c.filesDeleted,
      dirs_created: c.dirsCreated,
      dirs_deleted: c.dirsDeleted,
      conflicts_detected: c.conflicts,
      conflicts_resolved: c.conflictsResolved,
      bytes_transferred: c.bytesTransferred,
      errors_encountered: c.errorsEncountered,
      error_message: commit.errorMessage,
      verification_status: commit.verificationStatus,
    });
    this.addEvents(commit.generationId, commit.events);
  }

  /**
   * The record a refusal repeats, if it repeats one: the conduit's latest
   * generation before it was a real (not dry) run refused for exactly the
   * same reason. The caller holds the commit's transaction.
   */
  repeatedRefusal(commit: GenerationCommit, handle: GenerationHandle): RefusalCandidate | undefined {
    if (commit.status !== 'refused' || handle.dryRun !== 0 || commit.errorMessage === null) return undefined;
    const previous = this.selectPrevious.get(commit.conduitId, handle.generation);
    if (!previous || previous.status !== 'refused' || previous.dryRun !== 0 || previous.errorMessage !== commit.errorMessage) return undefined;
    return previous;
  }

  /** Counts the refusal `handle` on `previous` and drops its own row (nothing else of it was written). */
  countRepeat(previous: RefusalCandidate, handle: GenerationHandle, at: string): void {
    this.updateRepeat.run(at, previous.id);
    // RACE: none: the row is the conduit's latest and its generation lease is held, so no other begin
    // can have numbered a generation after it; its number is free for the next one.
    this.deleteById.run(handle.id);
  }

  addEvent(generationId: number, event: GenerationEventInput): void {
    this.insertEvent.run(generationId, event.side, event.path, event.action, event.bytes, event.message);
  }

  /**
   * The events of a generation, in order (their ids ascend with it), EVENTS_PER_INSERT rows per
   * statement: one row per statement was ~5 µs each, ~100 ms of an initial mirror's 20,000 copies.
   */
  private addEvents(generationId: number, events: readonly GenerationEventInput[]): void {
    let at = 0;
    if (events.length >= EVENTS_PER_INSERT) {
      const insertMany = (this.insertEvents ??= this.db.prepare<unknown[]>(
        `INSERT INTO generation_event (generation_id, side, path, action, bytes, message) VALUES ${'(?, ?, ?, ?, ?, ?), '.repeat(EVENTS_PER_INSERT - 1)}(?, ?, ?, ?, ?, ?)`,
      ));
      const params: Array<string | number | null> = new Array(EVENTS_PER_INSERT * 6);
      for (; at + EVENTS_PER_INSERT <= events.length; at += EVENTS_PER_INSERT) {
        for (let k = 0; k < EVENTS_PER_INSERT; k++) {
          const e = events[at + k]!;
          const p = k * 6;
          params[p] = generationId;
          params[p + 1] = e.side;
          params[p + 2] = e.path;
          params[p + 3] = e.action;
          params[p + 4] = e.bytes;
          params[p + 5] = e.message;
        }
        insertMany.run(params);
      }
    }
    for (; at < events.length; at++) this.addEvent(generationId, events[at]!);
  }

  get(conduitId: number, generation: number): GenerationRecord | undefined {
    const row = this.selectByNumber.get(conduitId, generation);
    return row && this.toRecord(row);
  }

  getById(id: number): GenerationRecord | undefined {
    const row = this.selectById.get(id);
    return row && this.toRecord(row);
  }

  /** Newest first; `before` is an exclusive generation number. */
  list(conduitId: number, limit: number, before: number | undefined): GenerationRecord[] {
    return this.selectPage.all(conduitId, before ?? Number.MAX_SAFE_INTEGER, limit).map((row) => this.toRecord(row));
  }

  listEvents(generationId: number, action: EventAction | undefined, limit: number | undefined, offset: number | undefined): GenerationEventRecord[] {
    const rows = action === undefined
      ? this.selectEvents.all(generationId, limit ?? NO_LIMIT, offset ?? 0)
      : this.selectEventsOfAction.all(generationId, action, limit ?? NO_LIMIT, offset ?? 0);
    return rows.map(toEventRecord);
  }

  setVerification(generationId: number, status: VerificationStatus, verifiedAt: string | null): void {
    if (this.updateVerification.run(status, verifiedAt, generationId).changes === 0) {
      throw new StoreError('not_found', `generation #${generationId} not found`);
    }
  }

  /**
   * The `running` generations whose runner is gone. `runnerGone` judges a
   * row (the store asks the conduit's lease); without it, a row is an orphan
   * when its pid no longer exists here (the rule for rows from before
   * leases). Generations of live runners (this process included) are not
   * orphans: never clobber a run in progress. A plain read, so an open with
   * nothing to fix takes no write lock.
   */
  findOrphans(runnerGone?: (running: OrphanGeneration) => string | null): Array<OrphanGeneration & { readonly why: string }> {
    const out: Array<OrphanGeneration & { readonly why: string }> = [];
    for (const row of this.selectRunning.all()) {
      const running: OrphanGeneration = { id: row.id, conduitId: row.conduit_id, runnerPid: row.runner_pid };
      const why = runnerGone ? runnerGone(running) : isProcessAlive(row.runner_pid) ? null : exitedMessage(row.runner_pid);
      if (why !== null) out.push({ ...running, why });
    }
    return out;
  }

  /** Marks an orphan `interrupted` unless it finished meanwhile; the caller holds the transaction. */
  markInterrupted(orphan: OrphanGeneration & { readonly why?: string }, now: string): boolean {
    return this.markRowInterrupted.run(now, orphan.why ?? exitedMessage(orphan.runnerPid), orphan.id).changes > 0;
  }

  private toRecord(row: GenerationDbRow): GenerationRecord {
    return {
      id: row.id,
      conduitId: row.conduit_id,
      conduit: row.conduit,
      generation: row.generation,
      trigger: row.trigger as Trigger,
      status: row.status as GenerationStatus,
      dryRun: row.dry_run !== 0,
      startedAt: row.started_at,
      completedAt: row.completed_at,
      filesCopied: row.files_copied,
      filesDeleted: row.files_deleted,
      dirsCreated: row.dirs_created,
      dirsDeleted: row.dirs_deleted,
      conflicts: row.conflicts_detected,
      conflictsResolved: row.conflicts_resolved,
      bytesTransferred: row.bytes_transferred,
      errorsEncountered: row.errors_encountered,
      errorMessage: row.error_message,
      errors: this.selectErrors.all(row.id, MAX_ERRORS).map((e) => parseErrorEvent(e.path, e.message)),
      verifiedAt: row.verified_at,
      verificationStatus: row.verification_status as VerificationStatus,
      repeatCount: row.repeat_count,
      lastRepeatedAt: row.last_repeated_at,
    };
  }
}
