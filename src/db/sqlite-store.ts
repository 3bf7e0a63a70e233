import type Database from 'better-sqlite3';
import type { Baseline, BaselineEntry } from '../core/entry.js';
import type { ConduitState, EventAction, Resolution, Trigger, VerificationStatus } from '../core/vocabulary.js';
import type { ConduitSpec } from '../config/conduit-spec.js';
import { BaselineRepository } from './repositories/baseline.js';
import { ConduitRepository } from './repositories/conduits.js';
import { ConflictRepository } from './repositories/conflicts.js';
import { HistoryRepository } from './repositories/history.js';
import { busyAsStoreError } from './sqlite-errors.js';
import type {
  ConduitRow, ConflictRecord, GenerationCommit, GenerationEventRecord, GenerationRecord, Store,
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
  /** One transaction wrapper for every write, built once (better-sqlite3 nests it as a savepoint if need be). */
  private readonly transaction: Database.Transaction<(work: () => unknown) => unknown>;

  constructor(private readonly db: Database.Database, readonly path: string, private readonly now: () => string = utcNow) {
    this.conduits = new ConduitRepository(db, now);
    this.baseline = new BaselineRepository(db);
    this.history = new HistoryRepository(db);
    this.conflicts = new ConflictRepository(db);
    this.transaction = db.transaction((work: () => unknown) => work());
  }

  close(): void {
    if (this.db.open) this.db.close();
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

  upsertConduits(specs: readonly ConduitSpec[]): ConduitRow[] {
    return this.write(() => specs.map((spec) => this.conduits.upsert(spec)));
  }

  removeConduit(name: string): boolean {
    return this.write(() => this.conduits.remove(name));
  }

  setConduitState(id: number, state: ConduitState, lastSyncError?: string | null): void {
    this.write(() => this.conduits.setState(id, state, lastSyncError));
  }

  // generations

  beginGeneration(conduitId: number, trigger: Trigger, dryRun: boolean, startedAt: string): { id: number; generation: number } {
    return this.write(() => {
      const { id, generation } = this.history.begin(conduitId, trigger, dryRun, startedAt);
      this.conduits.recordStarted(conduitId, generation, dryRun);
      return { id, generation };
    });
  }

  commitGeneration(commit: GenerationCommit): void {
    this.write(() => {
      const handle = this.history.handle(commit.conduitId, commit.generationId);
      this.history.finish(commit);
      const context = {
        conduitId: commit.conduitId,
        generationId: handle.id,
        generation: handle.generation,
        detectedAt: handle.startedAt,
        resolvedAt: commit.completedAt,
      };
      for (const conflict of commit.conflicts) this.conflicts.record(context, conflict);
      for (const [path, entry] of commit.baselineUpserts) this.baseline.upsert(commit.conduitId, path, entry);
      for (const path of commit.baselineDeletes) this.baseline.delete(commit.conduitId, path);
      this.conduits.recordFinished(commit, handle.generation);
    });
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

  setVerification(generationId: number, status: VerificationStatus, verifiedAt: string | null): void {
    this.write(() => this.history.setVerification(generationId, status, verifiedAt));
  }

  /**
   * Marks `interrupted` every `running` generation whose process has exited
   * (SPEC §7), and moves its conduit from `syncing` to `failed`. Runs of live
   * processes, this one's included, are left alone.
   */
  markInterrupted(): number {
    const orphans = this.read(() => this.history.findOrphans());
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

  // baseline

  loadBaseline(conduitId: number): Baseline {
    return this.read(() => this.baseline.load(conduitId));
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

  private read<T>(work: () => T): T {
    return busyAsStoreError(this.path, work);
  }

  private write<T>(work: () => T): T {
    return busyAsStoreError(this.path, () => this.transaction.immediate(work) as T);
  }
}
