import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { ConduitSpec, VersioningSpec } from '../../config/conduit-spec.js';
import type { ConduitState, ConflictPolicy, Mode } from '../../core/vocabulary.js';
import { isUniqueViolation } from '../sqlite-errors.js';
import { type ConduitRow, type GenerationCommit, type HostReach, StoreError } from '../store.js';

/** The spec columns as named parameters (SQLite binds no booleans: 1/0). */
interface SpecParams {
  name: string;
  source_path: string;
  target_path: string;
  mode: string;
  enabled: number;
  schedule: string;
  include: string;
  exclude: string;
  use_index_rules: number;
  conflict_policy: string;
  parallel_transfers: number;
  bandwidth_limit_mbps: number | null;
  max_delete_percent: number;
  checksum: number;
  versioning: string | null;
  verify_timeout_seconds: number;
  ssh_command: string | null;
  remote_command: string | null;
}

/** A `sync_conduit` row as better-sqlite3 returns it: the spec columns plus identity, state and totals. */
interface ConduitDbRow extends SpecParams {
  id: number;
  uuid: string;
  state: string;
  last_sync_completed_at: string | null;
  sync_generation: number;
  last_sync_error: string | null;
  total_syncs: number;
  files_synced: number;
  bytes_transferred: number;
  created_at: string;
  updated_at: string;
  managed_by: string | null;
  managed_enabled: number | null;
  /** Counted by the SELECT from `pending_path`. */
  pending_paths: number;
  attempt_count: number;
  next_attempt_at: string | null;
  /** Counted by the SELECT from `offline_hint`. */
  offline_hints: number;
}

/** Every conduit column, how many of its paths are pending, and how many offline hints it keeps. */
const SELECT_CONDUIT = `SELECT c.*, (SELECT COUNT(*) FROM pending_path p WHERE p.conduit_id = c.id) AS pending_paths,
  (SELECT COUNT(*) FROM offline_hint h WHERE h.conduit_id = c.id) AS offline_hints FROM sync_conduit c`;

const SPEC_COLUMNS = [
  'name', 'source_path', 'target_path', 'mode', 'enabled', 'schedule', 'include', 'exclude', 'use_index_rules',
  'conflict_policy', 'parallel_transfers', 'bandwidth_limit_mbps', 'max_delete_percent', 'checksum', 'versioning',
  'verify_timeout_seconds', 'ssh_command', 'remote_command',
] as const;

function specParams(spec: ConduitSpec): SpecParams {
  return {
    name: spec.name,
    source_path: spec.source,
    target_path: spec.target,
    mode: spec.mode,
    enabled: spec.enabled ? 1 : 0,
    schedule: spec.schedule,
    include: JSON.stringify(spec.include),
    exclude: JSON.stringify(spec.exclude),
    use_index_rules: spec.useIndexRules ? 1 : 0,
    conflict_policy: spec.conflict,
    parallel_transfers: spec.parallelTransfers,
    bandwidth_limit_mbps: spec.bandwidthLimitMbps,
    max_delete_percent: spec.maxDeletePercent,
    checksum: spec.checksum ? 1 : 0,
    versioning: spec.versioning === null ? null : JSON.stringify(spec.versioning),
    verify_timeout_seconds: spec.verifyTimeoutSeconds,
    ssh_command: spec.sshCommand,
    remote_command: spec.remoteCommand,
  };
}

function toConduitRow(row: ConduitDbRow): ConduitRow {
  return {
    id: row.id,
    uuid: row.uuid,
    name: row.name,
    source: row.source_path,
    target: row.target_path,
    mode: row.mode as Mode,
    schedule: row.schedule,
    enabled: row.enabled !== 0,
    include: JSON.parse(row.include) as string[],
    exclude: JSON.parse(row.exclude) as string[],
    useIndexRules: row.use_index_rules !== 0,
    conflict: row.conflict_policy as ConflictPolicy,
    parallelTransfers: row.parallel_transfers,
    bandwidthLimitMbps: row.bandwidth_limit_mbps,
    maxDeletePercent: row.max_delete_percent,
    checksum: row.checksum !== 0,
    versioning: row.versioning === null ? null : (JSON.parse(row.versioning) as VersioningSpec),
    verifyTimeoutSeconds: row.verify_timeout_seconds,
    sshCommand: row.ssh_command,
    remoteCommand: row.remote_command,
    state: row.state as ConduitState,
    lastSyncCompletedAt: row.last_sync_completed_at,
    syncGeneration: row.sync_generation,
    lastSyncError: row.last_sync_error,
    totalSyncs: row.total_syncs,
    filesSynced: row.files_synced,
    bytesTransferred: row.bytes_transferred,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    managedBy: row.managed_by,
    managedEnabled: row.managed_enabled === null ? null : row.managed_enabled !== 0,
    pendingPaths: row.pending_paths,
    attemptCount: row.attempt_count,
    nextAttemptAt: row.next_attempt_at,
    offlineHints: row.offline_hints,
  };
}

/**
 * The state a conduit takes when its spec is written: disabling parks it in
 * `disabled`; enabling a disabled one brings back `never_synced`, or
 * `failed`/`current` from what its last generation left behind.
 */
function stateForEnabled(previous: ConduitDbRow | undefined, enabled: boolean): ConduitState {
  if (!enabled) return 'disabled';
  if (previous === undefined) return 'never_synced';
  if (previous.state !== 'disabled') return previous.state as ConduitState;
  if (previous.last_sync_error !== null) return 'failed';
  if (previous.last_sync_completed_at === null) return 'never_synced';
  return previous.pending_paths > 0 ? 'pending' : 'current';
}

function duplicateName(name: string): StoreError {
  return new StoreError('duplicate_name', `conduit "${name}" already exists`);
}

/** `sync_conduit`: the conduits, their specs, state and running totals. */
export class ConduitRepository {
  private readonly selectAll;
  private readonly selectByName;
  private readonly selectById;
  private readonly insertRow;
  private readonly updateRow;
  private readonly deleteByName;
  private readonly updateState;
  private readonly updateStateAndError;
  private readonly updateStarted;
  private readonly updateFinished;
  private readonly updateInterrupted;
  private readonly updateManagedBy;
  private readonly deletePending;
  private readonly selectManagedBy;
  private readonly updateRepeated;
  private readonly selectAttempts;
  private readonly updateAttempts;
  private readonly deleteOfflineHints;

  constructor(private readonly db: Database.Database, private readonly now: () => string) {
    this.selectAll = db.prepare<[], ConduitDbRow>(`${SELECT_CONDUIT} ORDER BY c.name`);
    this.selectByName = db.prepare<[string], ConduitDbRow>(`${SELECT_CONDUIT} WHERE c.name = ?`);
    this.selectById = db.prepare<[number], ConduitDbRow>(`${SELECT_CONDUIT} WHERE c.id = ?`);
    this.insertRow = db.prepare<[SpecParams & { uuid: string; state: string; now: string }]>(
      `INSERT INTO sync_conduit (uuid, ${SPEC_COLUMNS.join(', ')}, state, sync_generation, created_at, updated_at)
       VALUES (@uuid, ${SPEC_COLUMNS.map((c) => `@${c}`).join(', ')}, @state, 0, @now, @now)`,
    );
    this.updateRow = db.prepare<[SpecParams & { id: number; state: string; now: string }]>(
      `UPDATE sync_conduit SET ${SPEC_COLUMNS.map((c) => `${c} = @${c}`).join(', ')}, state = @state, updated_at = @now
       WHERE id = @id`,
    );
    this.deleteByName = db.prepare<[string]>('DELETE FROM sync_conduit WHERE name = ?');
    this.deletePending = db.prepare<[number]>('DELETE FROM pending_path WHERE conduit_id = ?');
    this.updateManagedBy = db.prepare<[string | null, number | null, number]>('UPDATE sync_conduit SET managed_by = ?, managed_enabled = ? WHERE id = ?');
    this.selectManagedBy = db.prepare<[string], { id: number; name: string }>('SELECT id, name FROM sync_conduit WHERE managed_by = ?');
    this.updateRepeated = db.prepare<[string, string | null, number, string, number]>(
      'UPDATE sync_conduit SET state = ?, last_sync_error = ?, sync_generation = ?, updated_at = ? WHERE id = ?',
    );
    this.selectAttempts = db.prepare<[number], number>('SELECT attempt_count FROM sync_conduit WHERE id = ?').pluck();
    this.deleteOfflineHints = db.prepare<[number]>('DELETE FROM offline_hint WHERE conduit_id = ?');
    this.updateAttempts = db.prepare<[number, string | null, number]>('UPDATE sync_conduit SET attempt_count = ?, next_attempt_at = ? WHERE id = ?');
    this.updateState = db.prepare<[string, string, number]>('UPDATE sync_conduit SET state = ?, updated_at = ? WHERE id = ?');
    this.updateStateAndError = db.prepare<[string, string | null, string, number]>(
      'UPDATE sync_conduit SET state = ?, last_sync_error = ?, updated_at = ? WHERE id = ?',
    );
    this.updateStarted = db.prepare<[number, number, string, number]>(
      `UPDATE sync_conduit SET sync_generation = MAX(sync_generation, ?),
         state = CASE WHEN ? THEN state ELSE 'syncing' END, updated_at = ? WHERE id = ?`,
    );
    this.updateFinished = db.prepare<[Record<string, string | number | null>]>(
      `UPDATE sync_conduit SET state = @state, last_sync_error = @last_sync_error,
         sync_generation = MAX(sync_generation, @generation),
         total_syncs = total_syncs + @syncs, files_synced = files_synced + @files, bytes_transferred = bytes_transferred + @bytes,
         last_sync_completed_at = COALESCE(@completed_at, last_sync_completed_at), updated_at = @now
       WHERE id = @id`,
    );
    // Only while no other generation of the conduit is still running (a live process's run keeps it `syncing`).
    this.updateInterrupted = db.prepare<[string, number, number]>(
      `UPDATE sync_conduit SET state = 'failed', last_sync_error = 'interrupted', updated_at = ?
       WHERE id = ? AND state = 'syncing'
         AND NOT EXISTS (SELECT 1 FROM sync_generation WHERE conduit_id = ? AND status = 'running')`,
    );
  }

  list(): ConduitRow[] {
    return this.selectAll.all().map(toConduitRow);
  }

  get(name: string): ConduitRow | undefined {
    const row = this.selectByName.get(name);
    return row && toConduitRow(row);
  }

  getById(id: number): ConduitRow | undefined {
    const row = this.selectById.get(id);
    return row && toConduitRow(row);
  }

  /** The conduit named `name`, or StoreError('not_found'). */
  require(name: string): ConduitRow {
    const row = this.get(name);
    if (!row) throw new StoreError('not_found', `conduit "${name}" not found`);
    return row;
  }

  create(spec: ConduitSpec): ConduitRow {
    if (this.selectByName.get(spec.name)) throw duplicateName(spec.name);
    try {
      const result = this.insertRow.run({
        ...specParams(spec), uuid: randomUUID(), state: stateForEnabled(undefined, spec.enabled), now: this.now(),
      });
      return this.getById(Number(result.lastInsertRowid))!;
    } catch (error) {
      // RACE: another process took the name between the check and the insert.
      if (isUniqueViolation(error, 'sync_conduit.name')) throw duplicateName(spec.name);
      throw error;
    }
  }

  /** Replaces the spec of conduit `name` (which may be renamed to `spec.name`). */
  update(name: string, spec: ConduitSpec): ConduitRow {
    const previous = this.selectByName.get(name);
    if (!previous) throw new StoreError('not_found', `conduit "${name}" not found`);
    if (spec.name !== name && this.selectByName.get(spec.name)) throw duplicateName(spec.name);
    // Paths pending between the old folders mean nothing between new ones (the baseline goes too: conduit-admin.ts).
    const moved = spec.source !== previous.source_path || spec.target !== previous.target_path;
    if (moved) this.deletePending.run(previous.id);
    // So do an old host's backoff and the changes kept for it (issue 10).
    if (moved) {
      this.deleteOfflineHints.run(previous.id);
      this.updateAttempts.run(0, null, previous.id);
    }
    try {
      this.updateRow.run({ ...specParams(spec), id: previous.id, state: stateForEnabled(moved ? { ...previous, pending_paths: 0 } : previous, spec.enabled), now: this.now() });
    } catch (error) {
      if (isUniqueViolation(error, 'sync_conduit.name')) throw duplicateName(spec.name);
      throw error;
    }
    return this.getById(previous.id)!;
  }

  /** Creates or updates by name; the caller wraps a batch in one transaction. */
  upsert(spec: ConduitSpec): ConduitRow {
    return this.selectByName.get(spec.name) ? this.update(spec.name, spec) : this.create(spec);
  }

  remove(name: string): boolean {
    // Generations, events, baseline and conflicts go with it: ON DELETE CASCADE (foreign_keys is on).
    return this.deleteByName.run(name).changes > 0;
  }

  setState(id: number, state: ConduitState, lastSyncError?: string | null): void {
    const result = lastSyncError === undefined
      ? this.updateState.run(state, this.now(), id)
      : this.updateStateAndError.run(state, lastSyncError, this.now(), id);
    if (result.changes === 0) throw new StoreError('not_found', `conduit #${id} not found`);
  }

  /**
   * A generation began: it is the conduit's latest, and a real run (not a
   * dry run) puts the conduit in `syncing` until its commit says otherwise.
   */
  recordStarted(id: number, generation: number, dryRun: boolean): void {
    this.updateStarted.run(generation, dryRun ? 1 : 0, this.now(), id);
  }

  /** A generation was committed: its state and error, and the totals when it counts toward them. */
  recordFinished(commit: GenerationCommit, generation: number): void {
    const counts = commit.countsTowardTotals;
    this.updateFinished.run({
      id: commit.conduitId,
      state: commit.conduitState,
      last_sync_error: commit.lastSyncError,
      generation,
      syncs: counts ? 1 : 0,
      files: counts ? commit.counters.filesCopied : 0,
      bytes: counts ? commit.counters.bytesTransferred : 0,
      completed_at: counts ? commit.completedAt : null,
      now: this.now(),
    });
  }

  /**
   * The conduits of `specs` are managed by the config file `file` from now
   * on; those it managed and no longer names are not. The caller holds the
   * transaction (the upsert of the same specs).
   */
  setManagedBy(file: string, specs: readonly ConduitSpec[]): void {
    const named = new Set(specs.map((spec) => spec.name));
    for (const row of this.selectManagedBy.all(file)) if (!named.has(row.name)) this.updateManagedBy.run(null, null, row.id);
    for (const spec of specs) {
      const row = this.selectByName.get(spec.name);
      if (row) this.updateManagedBy.run(file, spec.enabled ? 1 : 0, row.id);
    }
  }

  /** A refusal was counted on the conduit's latest record (`generation`) instead of being recorded anew. */
  recordRepeated(id: number, generation: number, state: ConduitState, lastSyncError: string | null): void {
    this.updateRepeated.run(state, lastSyncError, generation, this.now(), id);
  }

  /**
   * Whether the generation reached the host (issue 10): one more attempt and
   * the next one's time, or both reset. The caller holds the commit's
   * transaction, so the count read here is the one it raises.
   */
  recordReach(id: number, reach: HostReach): void {
    if (reach.reached) {
      this.updateAttempts.run(0, null, id);
      return;
    }
    const attempt = (this.selectAttempts.get(id) ?? 0) + 1;
    this.updateAttempts.run(attempt, reach.nextAttemptAt(attempt), id);
  }

  /** Its running generation was interrupted: out of `syncing`, into `failed`. */
  recordInterrupted(id: number): void {
    this.updateInterrupted.run(this.now(), id, id);
  }
}
