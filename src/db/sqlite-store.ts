import type Database from 'better-sqlite3';
import type { BaselineColumns } from '../core/change-set/columns.js';
import type { Baseline, BaselineEntry } from '../core/entry.js';
import type { ConduitState, EventAction, Resolution, Trigger, VerificationStatus } from '../core/vocabulary.js';
import type { ConduitSpec } from '../config/conduit-spec.js';
import { leaseState, type LeaseAcquisition, type LeaseFence, type LeaseHolder, type LeaseHolderView, type LeaseKind, type LeaseRecord, type LeaseState } from './lease.js';
import { thisProcess } from './lease-holder.js';
import { isProcessAlive } from './process-alive.js';
import { BaselineRepository } from './repositories/baseline.js';
import { ConduitRepository } from './repositories/conduits.js';
import { ConflictRepository } from './repositories/conflicts.js';
import { EventSearchRepository } from './repositories/event-search.js';
import { exitedMessage, HistoryRepository } from './repositories/history.js';
import { LeaseRepository } from './repositories/leases.js';
import { StatisticsRepository } from './repositories/statistics.js';
import type { GenerationStatistics } from './generation-statistics.js';
import { OfflineHintRepository } from './repositories/offline-hints.js';
import { PendingRepository } from './repositories/pending.js';
import { busyAsStoreError } from './sqlite-errors.js';
import {
  type ConduitRow, type ConflictRecord, type EventSearch, type EventSearchPage, type GenerationCommit, type GenerationEventRecord, type GenerationRecord, type OfflineHintRecord, type PendingPathRecord,
  type ResolutionCommit, type Store,
  StoreError,
} from './store.js';

const DEFAULT_HISTORY_LIMIT = 20;

function utcNow(): string {
  return new Date().toISOString();
}

/**
 * The Store on a migrated better-sqlite3 connection (open it with
 * `openStore`). Statements are prepared once, here, and reused; every write
 * that spans tables runs in one IMMEDIATE transaction, which takes the write
 * lock up front so that a concurrent writer makes us wait (busy_timeout)
 * instead of failing a half-read transaction.
 */
export class SqliteStore implements Store {
  private readonly conduits: ConduitRepository;
  private readonly baseline: BaselineRepository;
  private readonly history: HistoryRepository;
  private readonly conflicts: ConflictRepository;
  private readonly leases: LeaseRepository;
  private readonly statistics: StatisticsRepository;
  private readonly eventSearch: EventSearchRepository;
  private readonly pending: PendingRepository;
  private readonly offlineHints: OfflineHintRepository;
  /** One transaction wrapper for every write, built once (better-sqlite3 nests it as a savepoint if need be). */
  private readonly transaction: Database.Transaction<(work: () => unknown) => unknown>;

  constructor(private readonly db: Database.Database, readonly path: string, private readonly now: () => string = utcNow) {
    this.conduits = new ConduitRepository(db, now);
    this.baseline = new BaselineRepository(db);
    this.history = new HistoryRepository(db);
    this.conflicts = new ConflictRepository(db);
    this.leases = new LeaseRepository(db);
    this.statistics = new StatisticsRepository(db);
    this.eventSearch = new EventSearchRepository(db);
    this.pending = new PendingRepository(db);
    this.offlineHints = new OfflineHintRepository(db);
    this.transaction = db.transaction((work: () => unknown) => work());
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  dataVersion(): number {
    return this.read(() => this.db.pragma('data_version', { simple: true }) as number);
  }

  // conduits

  listConduits(): ConduitRow[] {
    return this.read(() => this.conduits.list());
  }

  getConduit(name: string): ConduitRow | undefined {
    return this.read(() => this.conduits.get(name));
  }

  getConduitById(id: number): ConduitRow | undefined {
    return this.read(() => this.conduits.getById(id));
  }

  createConduit(spec: ConduitSpec): ConduitRow {
    return this.write(() => this.conduits.create(spec));
  }

  updateConduit(name: string, spec: ConduitSpec): ConduitRow {
    return this.write(() => this.conduits.update(name, spec));
  }

  upsertConduits(specs: readonly ConduitSpec[], options: { readonly managedBy?: string; readonly keepEnabled?: ReadonlySet<string> } = {}): ConduitRow[] {
    return this.write(() => {
      const rows = specs.map((spec) => {
        const kept = options.keepEnabled?.has(spec.name) === true ? this.conduits.get(spec.name) : undefined;
        return this.conduits.upsert(kept ? { ...spec, enabled: kept.enabled } : spec);
      });
      if (options.managedBy === undefined) return rows;
      this.conduits.setManagedBy(options.managedBy, specs);
      return rows.map((row) => this.conduits.getById(row.id)!);
    });
  }

  removeConduit(name: string): boolean {
    return this.write(() => this.conduits.remove(name));
  }

  setConduitState(id: number, state: ConduitState, lastSyncError?: string | null): void {
    this.write(() => this.conduits.setState(id, state, lastSyncError));
  }

  // generations

  beginGeneration(conduitId: number, trigger: Trigger, dryRun: boolean, startedAt: string, fence?: LeaseFence): { id: number; generation: number } {
    return this.write(() => {
      if (fence) this.requireFence(fence, 'no generation was begun');
      const { id, generation } = this.history.begin(conduitId, trigger, dryRun, startedAt);
      if (fence) this.leases.attachGeneration(fence, id);
      this.conduits.recordStarted(conduitId, generation, dryRun);
      return { id, generation };
    });
  }

  commitGeneration(commit: GenerationCommit): number {
    return this.write(() => {
      const handle = this.history.handle(commit.conduitId, commit.generationId);
      // Kleppmann's fencing, inside the commit's own transaction: a holder that stalled
      // past its lease and was taken over records nothing over its successor.
      if (commit.fence) this.requireFence(commit.fence, `the results of its generation ${handle.generation} were not recorded (it reads interrupted)`);
      // A refusal repeated word for word (a root missing for hours) is counted on the record it repeats.
      const repeated = this.history.repeatedRefusal(commit, handle);
      if (repeated) {
        this.history.countRepeat(repeated, handle, commit.completedAt);
        this.conduits.recordRepeated(commit.conduitId, repeated.generation, commit.conduitState, commit.lastSyncError);
        this.recordReach(commit);
        return repeated.id;
      }
      this.history.finish(commit);
      const context = {
        conduitId: commit.conduitId,
        generationId: handle.id,
        generation: handle.generation,
        detectedAt: handle.startedAt,
        resolvedAt: commit.completedAt,
      };
      for (const conflict of commit.conflicts) this.conflicts.record(context, conflict);
      // Only the changed rows, in multi-row statements (issue 9).
      this.baseline.upsertMany(commit.conduitId, commit.baselineUpserts);
      this.baseline.deleteMany(commit.conduitId, commit.baselineDeletes);
      this.pending.record(commit, handle.generation);
      // A conduit with paths that did not land is not current (issue 11 §1).
      const conduitState = commit.conduitState === 'current' && this.pending.count(commit.conduitId) > 0 ? 'pending' : commit.conduitState;
      this.conduits.recordFinished({ ...commit, conduitState }, handle.generation);
      this.recordReach(commit);
      return handle.id;
    });
  }

  /** The backoff of an unreachable host, and the offline hints a generation synced (issue 10); inside the commit's transaction. */
  private recordReach(commit: GenerationCommit): void {
    if (commit.reach) this.conduits.recordReach(commit.conduitId, commit.reach);
    if (commit.clearOfflineHints === true) this.offlineHints.clear(commit.conduitId);
  }

  addOfflineHints(conduitId: number, paths: readonly string[], seenAt: string): void {
    if (paths.length === 0) return;
    this.write(() => this.offlineHints.add(conduitId, paths, seenAt));
  }

  listOfflineHints(conduitId: number): OfflineHintRecord[] {
    return this.read(() => this.offlineHints.list(conduitId));
  }

  listPendingPaths(conduitId: number, limit?: number): PendingPathRecord[] {
    return this.read(() => this.pending.list(conduitId, limit));
  }

  listGenerations(conduitId: number, options: { limit?: number; before?: number } = {}): GenerationRecord[] {
    return this.read(() => this.history.list(conduitId, options.limit ?? DEFAULT_HISTORY_LIMIT, options.before));
  }

  getGeneration(conduitId: number, generation: number): GenerationRecord | undefined {
    return this.read(() => this.history.get(conduitId, generation));
  }

  getGenerationById(id: number): GenerationRecord | undefined {
    return this.read(() => this.history.getById(id));
  }

  listEvents(generationId: number, options: { action?: EventAction; limit?: number; offset?: number } = {}): GenerationEventRecord[] {
    return this.read(() => this.history.listEvents(generationId, options.action, options.limit, options.offset));
  }

  searchEvents(generationId: number, search: EventSearch): EventSearchPage {
    return this.read(() => this.eventSearch.search(generationId, search));
  }

  setVerification(generationId: number, status: VerificationStatus, verifiedAt: string | null): void {
    this.write(() => this.history.setVerification(generationId, status, verifiedAt));
  }

  /**
   * Marks `interrupted` every `running` generation whose runner is gone
   * (SPEC §7), and moves its conduit from `syncing` to `failed`. A generation
   * run under a lease is judged by it (released, expired, or its holder's pid
   * gone in this pid space), so a run on another host sharing the database is
   * never taken for dead by its pid; one from before leases, by its pid.
   * Runs of live holders, this process included, are left alone.
   */
  markInterrupted(): number {
    const orphans = this.read(() => {
      const now = this.leases.now();
      const me = thisProcess();
      const leaseOf = new Map<number, LeaseRecord>();
      for (const lease of this.leases.generationLeases()) if (lease.generationId !== null) leaseOf.set(lease.generationId, lease);
      return this.history.findOrphans((running) => {
        const lease = leaseOf.get(running.id);
        // Rows from before leases (or whose lease moved on, marked at the takeover): the pid rule.
        if (!lease) return isProcessAlive(running.runnerPid) ? null : exitedMessage(running.runnerPid);
        const state = leaseState(lease, now, me, isProcessAlive);
        return state === 'live' ? null : goneMessage(lease, state);
      });
    });
    if (orphans.length === 0) return 0;
    return this.write(() => {
      const now = this.now();
      let marked = 0;
      for (const orphan of orphans) {
        if (!this.history.markInterrupted(orphan, now)) continue;
        marked++;
        this.conduits.recordInterrupted(orphan.conduitId);
      }
      return marked;
    });
  }

  // leases

  acquireLease(conduitId: number, kind: LeaseKind, holder: LeaseHolder, ttlMs: number): LeaseAcquisition {
    return this.write(() => {
      const acquisition = this.acquireOne(conduitId, kind, holder, ttlMs, this.leases.now());
      if (!acquisition) throw new StoreError('not_found', `conduit #${conduitId} not found`);
      return acquisition;
    });
  }

  acquireLeases(conduitIds: readonly number[], kind: LeaseKind, holder: LeaseHolder, ttlMs: number): Map<number, LeaseAcquisition> {
    return this.write(() => {
      const now = this.leases.now();
      const out = new Map<number, LeaseAcquisition>();
      for (const id of conduitIds) {
        const acquisition = this.acquireOne(id, kind, holder, ttlMs, now);
        if (acquisition) out.set(id, acquisition);
      }
      return out;
    });
  }

  renewLease(fence: LeaseFence, ttlMs: number): string | null {
    const { expiresAt, lost } = this.renewLeases([fence], ttlMs);
    return lost.length === 0 ? expiresAt : null;
  }

  renewLeases(fences: readonly LeaseFence[], ttlMs: number): { expiresAt: string; lost: LeaseFence[] } {
    return this.write(() => {
      const now = this.leases.now();
      const expiresAt = later(now, ttlMs);
      return { expiresAt, lost: fences.filter((fence) => !this.leases.renew(fence, now, expiresAt)) };
    });
  }

  releaseLease(fence: LeaseFence): boolean {
    return this.releaseLeases([fence]) === 1;
  }

  releaseLeases(fences: readonly LeaseFence[]): number {
    return this.write(() => {
      const now = this.leases.now();
      return fences.filter((fence) => this.leases.release(fence, now)).length;
    });
  }

  leaseHolder(conduitId: number, kind: LeaseKind, asker: LeaseHolder): LeaseHolderView | null {
    return this.read(() => {
      const row = this.leases.get(conduitId, kind);
      if (!row || leaseState(row, this.leases.now(), asker, isProcessAlive) !== 'live') return null;
      return holderView(row, this.conduits.getById(conduitId)?.name ?? `#${conduitId}`, asker);
    });
  }

  /**
   * One acquire at `now` (DB clock), inside the caller's transaction; undefined
   * for an unknown conduit. A lease whose holder is gone is taken over, and
   * the generation it ran is marked interrupted.
   */
  private acquireOne(conduitId: number, kind: LeaseKind, holder: LeaseHolder, ttlMs: number, now: string): LeaseAcquisition | undefined {
    const conduit = this.conduits.getById(conduitId);
    if (!conduit) return undefined;
    const row = this.leases.get(conduitId, kind);
    const state: LeaseState = row ? leaseState(row, now, holder, isProcessAlive) : 'free';
    if (state === 'live') return { acquired: false, holder: holderView(row!, conduit.name, holder) };
    let tookOverFrom: LeaseHolderView | null = null;
    if (row && state !== 'free') {
      tookOverFrom = holderView(row, conduit.name, holder);
      if (row.generationId !== null) {
        const why = `${goneMessage(row, state)}; pid ${holder.pid} on host ${holder.host} took the conduit over`;
        if (this.history.markInterrupted({ id: row.generationId, conduitId, runnerPid: row.holderPid, why }, now)) {
          this.conduits.recordInterrupted(conduitId);
        }
      }
    }
    const token = (row?.token ?? 0) + 1;
    const expiresAt = later(now, ttlMs);
    this.leases.hold(conduitId, kind, token, holder, now, expiresAt);
    return { acquired: true, fence: { conduitId, kind, token, holderId: holder.id }, expiresAt, tookOverFrom };
  }

  /** StoreError('lease_lost') unless `fence` is still the lease's current token and holder; the caller holds the transaction. */
  private requireFence(fence: LeaseFence, consequence: string): void {
    const row = this.leases.get(fence.conduitId, fence.kind);
    if (row && row.token === fence.token && row.holderId === fence.holderId) return;
    const name = this.conduits.getById(fence.conduitId)?.name ?? `#${fence.conduitId}`;
    if (!row) throw new StoreError('lease_lost', `conduit ${name} was removed while this process held its lease; ${consequence}`);
    // The row keeps its last holder after a release: name the successor either way.
    throw new StoreError('lease_lost', `conduit ${name}: this process lost its lease (it stalled past the lease's expiry, and pid ` +
      `${row.holderPid ?? '?'} on host ${row.holderHost ?? '?'} took the conduit over at ${row.acquiredAt ?? '?'}); ${consequence}`);
  }

  // baseline

  loadBaseline(conduitId: number): Baseline {
    return this.read(() => this.baseline.load(conduitId));
  }

  loadBaselineColumns(conduitId: number): BaselineColumns {
    return this.read(() => this.baseline.loadColumns(conduitId));
  }

  loadBaselineRows(conduitId: number, paths: readonly string[]): Baseline {
    return this.read(() => this.baseline.loadRows(conduitId, paths));
  }

  clearBaseline(conduitId: number): void {
    this.write(() => this.baseline.clear(conduitId));
  }

  setBaselineEntry(conduitId: number, path: string, entry: BaselineEntry | null): void {
    this.write(() => {
      if (entry === null) this.baseline.delete(conduitId, path);
      else this.baseline.upsert(conduitId, path, entry);
    });
  }

  // conflicts

  /** Throws StoreError('not_found') for an unknown conduit name. */
  listConflicts(options: { conduit?: string; all?: boolean } = {}): ConflictRecord[] {
    return this.read(() => {
      const conduitId = options.conduit === undefined ? undefined : this.conduits.require(options.conduit).id;
      return this.conflicts.list(conduitId, options.all ?? false);
    });
  }

  getConflict(id: number): ConflictRecord | undefined {
    return this.read(() => this.conflicts.get(id));
  }

  resolveConflict(id: number, resolution: Resolution, resolvedAt: string): void {
    this.write(() => this.conflicts.resolve(id, resolution, resolvedAt));
  }

  commitResolution(commit: ResolutionCommit): void {
    this.write(() => {
      this.requireFence(commit.fence, `conflict ${commit.conflictId} was not marked resolved and the baseline was not advanced for it`);
      this.baseline.deleteMany(commit.conduitId, commit.baselineDeletes);
      this.baseline.upsertMany(commit.conduitId, commit.baselineUpserts);
      this.conflicts.resolve(commit.conflictId, commit.resolution, commit.resolvedAt);
    });
  }

  // statistics

  generationStatistics(durationBounds: readonly number[]): GenerationStatistics {
    // One read transaction: the tallies, the latest rows and the durations describe the same moment.
    return this.read(() => this.transaction.deferred(() => this.statistics.read(durationBounds)) as GenerationStatistics);
  }

    private read<T>(work: () => T): T {
    return busyAsStoreError(this.path, work);
  }

  private write<T>(work: () => T): T {
    return busyAsStoreError(this.path, () => this.transaction.immediate(work) as T);
  }
}

/** `iso` plus `ms`, as UTC ISO-8601. */
function later(iso: string, ms: number): string {
  return new Date(Date.parse(iso) + ms).toISOString();
}

function holderView(row: LeaseRecord, conduit: string, asker: LeaseHolder): LeaseHolderView {
  return {
    conduitId: row.conduitId, conduit, kind: row.kind, token: row.token, pid: row.holderPid, host: row.holderHost,
    acquiredAt: row.acquiredAt, expiresAt: row.expiresAt, generationId: row.generationId, self: row.holderId === asker.id,
  };
}

/** Why the generation run under a lease that no longer keeps anyone out reads `interrupted`. */
function goneMessage(lease: LeaseRecord, state: Exclude<LeaseState, 'live'>): string {
  const runner = `the process running it (pid ${lease.holderPid ?? 'unknown'} on host ${lease.holderHost ?? 'unknown'})`;
  switch (state) {
    case 'holder_gone':
      return `interrupted: ${runner} exited before it finished`;
    case 'expired':
      return `interrupted: ${runner} stopped renewing its lease, which expired at ${lease.expiresAt ?? 'an unknown time'}`;
    case 'free':
      return `interrupted: ${runner} let its lease go before the generation finished`;
  }
}
