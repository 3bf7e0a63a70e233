import type { BaselineColumns } from '../core/change-set/columns.js';
import type { Baseline, BaselineEntry, Side } from '../core/entry.js';
import type {
  ConduitState, ConflictKind, EventAction, GenerationStatus, Resolution, Severity, Trigger, VerificationStatus,
} from '../core/vocabulary.js';
import type { ConduitSpec } from '../config/conduit-spec.js';
import type { GenerationStatistics } from './generation-statistics.js';
import type { LeaseAcquisition, LeaseFence, LeaseHolder, LeaseHolderView, LeaseKind } from './lease.js';

/**
 * The domain interface of conduit's SQLite store. The engine, the service,
 * the CLI and the HTTP API talk to the database only through these methods;
 * no query builder or entity leaks out. Timestamps are UTC ISO-8601 strings.
 */

/** A conduit as stored: its spec plus its state and running totals. */
export interface ConduitRow extends ConduitSpec {
  readonly id: number;
  readonly uuid: string;
  readonly state: ConduitState;
  readonly lastSyncCompletedAt: string | null;
  /** Number of the latest generation (0: none yet). */
  readonly syncGeneration: number;
  readonly lastSyncError: string | null;
  readonly totalSyncs: number;
  readonly filesSynced: number;
  readonly bytesTransferred: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** The absolute path of the config file that manages the conduit (`serve --config`), or null: see conduit-admin.ts. */
  readonly managedBy: string | null;
  /** The `enabled` the managing file said at its last import, or null when no file manages the conduit. */
  readonly managedEnabled: boolean | null;
  /** How many paths the latest generations did not land (`pending_path`); a conduit with any is `pending`, not `current`. */
  readonly pendingPaths: number;
  /** Generations refused in a row because a remote root's host could not be reached (0: it answered last; issue 10). */
  readonly attemptCount: number;
  /** When automatic triggers may try the unreachable host again (ISO-8601 UTC), or null. */
  readonly nextAttemptAt: string | null;
  /** How many paths the local watcher reported changed while the host was unreachable (`offline_hint`). */
  readonly offlineHints: number;
}

/** A path the local watcher reported changed while the conduit's host was unreachable. */
export interface OfflineHintRecord {
  readonly path: string;
  /** When it was first reported (ISO-8601 UTC). */
  readonly seenAt: string;
}

/**
 * Whether a generation reached its roots' host (issue 10), for the
 * conduit's backoff: `unreachable` counts one more attempt and sets the next
 * one at `nextAttemptAt(attempt)` (attempt: the new count, from 1); `reached`
 * resets both. The count is read inside the commit's transaction.
 */
export type HostReach =
  | { readonly reached: true }
  | { readonly reached: false; readonly nextAttemptAt: (attempt: number) => string };

/** A path the conduit's latest generations did not land: a skip or an error the next generation retries. */
export interface PendingPathInput {
  readonly path: string;
  readonly side: Side | null;
  readonly reason: string;
}

export interface PendingPathRecord extends PendingPathInput {
  /** The first of the generations in a row that did not land it. */
  readonly sinceGeneration: number;
  readonly lastGeneration: number;
  /** How many generations in a row did not land it. */
  readonly generations: number;
}

export interface GenerationCounters {
  readonly filesCopied: number;
  readonly filesDeleted: number;
  readonly dirsCreated: number;
  readonly dirsDeleted: number;
  readonly conflicts: number;
  readonly conflictsResolved: number;
  readonly bytesTransferred: number;
  readonly errorsEncountered: number;
}

/** One error of a generation, as `run --json` prints it. */
export interface GenerationError {
  readonly path: string;
  readonly op: string;
  readonly message: string;
}

export interface GenerationRecord extends GenerationCounters {
  readonly id: number;
  readonly conduitId: number;
  readonly conduit: string;
  readonly generation: number;
  readonly trigger: Trigger;
  readonly status: GenerationStatus;
  readonly dryRun: boolean;
  readonly startedAt: string;
  readonly completedAt: string | null;
  readonly errorMessage: string | null;
  /** The errors, from the generation's `error` events (at most the first 1000). */
  readonly errors: readonly GenerationError[];
  readonly verifiedAt: string | null;
  readonly verificationStatus: VerificationStatus;
  /** A refusal repeated word for word is counted here, not recorded anew: how many times it happened (1: once). */
  readonly repeatCount: number;
  /** When the latest repeat was counted; null when none. */
  readonly lastRepeatedAt: string | null;
}

export interface GenerationEventInput {
  readonly side: Side | null;
  readonly path: string;
  readonly action: EventAction;
  readonly bytes: number;
  readonly message: string | null;
}

export interface GenerationEventRecord extends GenerationEventInput {
  readonly id: number;
  readonly generationId: number;
}

/** Which events of a generation `searchEvents` returns: an action, a literal fragment of the path, a page. */
export interface EventSearch {
  readonly action?: EventAction;
  readonly pathContains?: string;
  readonly limit: number;
  readonly offset: number;
}

export interface EventSearchPage {
  /** How many events match, over all pages. */
  readonly total: number;
  readonly events: GenerationEventRecord[];
}

/** What a conflict record says of one side's version. */
export interface EntrySummary {
  readonly kind: 'file' | 'dir' | 'symlink' | 'problem';
  readonly size: number;
  /** ISO-8601 UTC. */
  readonly mtime: string;
}

export interface ConflictInput {
  readonly path: string;
  readonly kind: ConflictKind;
  readonly severity: Severity;
  readonly resolution: Resolution;
  readonly source: EntrySummary | null;
  readonly target: EntrySummary | null;
  readonly conflictCopy: string | null;
}

/** The shape `conduit conflicts --json` prints (SPEC §11). */
export interface ConflictRecord {
  readonly id: number;
  readonly conduit: string;
  readonly path: string;
  readonly kind: ConflictKind;
  readonly severity: Severity;
  readonly resolution: Resolution;
  readonly generation: number;
  readonly detectedAt: string;
  readonly resolvedAt: string | null;
  readonly source: EntrySummary | null;
  readonly target: EntrySummary | null;
  readonly conflictCopy: string | null;
}

/** Everything a finished generation writes, applied in one transaction. */
export interface GenerationCommit {
  readonly conduitId: number;
  readonly generationId: number;
  readonly status: GenerationStatus;
  readonly completedAt: string;
  readonly counters: GenerationCounters;
  readonly errorMessage: string | null;
  readonly verificationStatus: VerificationStatus;
  readonly events: readonly GenerationEventInput[];
  /**
   * Conflicts detected. An `unresolved` one updates the open record for its
   * path if there is one (and is then not new); any other resolution closes
   * the open record for its path or inserts a resolved one.
   */
  readonly conflicts: readonly ConflictInput[];
  /** Baseline rows to write (insert or replace) and paths to forget. Empty for a dry run. */
  readonly baselineUpserts: ReadonlyMap<string, BaselineEntry>;
  readonly baselineDeletes: readonly string[];
  /** The conduit's state after the generation, and its last error (null clears it). */
  readonly conduitState: ConduitState;
  readonly lastSyncError: string | null;
  /**
   * The generation lease the generation runs under (src/db/lease.ts). The
   * commit is refused with StoreError('lease_lost'), and nothing of it is
   * written, unless this is still the lease's current token and holder.
   */
  readonly fence?: LeaseFence;
  /** Whether this generation counts into total_syncs / files_synced / bytes_transferred and last_sync_completed_at (not for dry runs or refusals). */
  readonly countsTowardTotals: boolean;
  /**
   * The paths this generation did not land (skips and errors the next one
   * retries), and what it looked at: the whole tree (null) or only these
   * paths (the watcher fast path). A pending path it looked at and did not
   * list has landed and is forgotten; so is one the baseline changes name.
   * Absent (a dry run, a refusal, a failure as a whole): the pending paths stay as they are.
   * A `current` state becomes `pending` while any path is pending.
   */
  readonly pending?: { readonly paths: readonly PendingPathInput[]; readonly within: readonly string[] | null };
  /** Absent (a dry run): the attempt count and next attempt stay as they are. */
  readonly reach?: HostReach;
  /** A full generation that reached the host synced what the offline hints name: they are cleared. */
  readonly clearOfflineHints?: boolean;
}

export interface Store {
  readonly path: string;
  close(): void;
  /**
   * SQLite's `PRAGMA data_version`: a number that changes when another
   * connection (another process: the CLI, another serve) commits to the
   * database, and not on this connection's own commits. Cheap: no table is read.
   */
  dataVersion(): number;

  // conduits
  listConduits(): ConduitRow[];
  getConduit(name: string): ConduitRow | undefined;
  getConduitById(id: number): ConduitRow | undefined;
  /** Throws StoreError('duplicate_name') when taken. */
  createConduit(spec: ConduitSpec): ConduitRow;
  /** Replaces the spec fields of an existing conduit (name may change). */
  updateConduit(name: string, spec: ConduitSpec): ConduitRow;
  /**
   * Insert or update each by name, all in one transaction. With `managedBy`
   * (a config file's absolute path): these conduits are managed by that file
   * from now on (their `enabled` as given is recorded as the file's), and the
   * ones it managed that it no longer names are not. `keepEnabled`: conduits
   * whose stored `enabled` stays (a pause the file did not overrule).
   */
  upsertConduits(specs: readonly ConduitSpec[], options?: { readonly managedBy?: string; readonly keepEnabled?: ReadonlySet<string> }): ConduitRow[];
  /** Removes the conduit and everything of its own (generations, events, baseline, conflicts). */
  removeConduit(name: string): boolean;
  setConduitState(id: number, state: ConduitState, lastSyncError?: string | null): void;

  // generations
  /**
   * Allocates the next generation number and inserts a `running` row. With a
   * fence: only while it holds the conduit's generation lease (else
   * StoreError('lease_lost')), and the lease records the generation, so that
   * a takeover can mark it `interrupted`.
   */
  beginGeneration(conduitId: number, trigger: Trigger, dryRun: boolean, startedAt: string, fence?: LeaseFence): { id: number; generation: number };
  /**
   * Records a finished generation; returns the id of the record that holds
   * it: its own, or — for a refusal that repeats the conduit's latest one word
   * for word — that latest record's, whose repeat count goes up while the new
   * row is dropped (a missing root must not add a record every few seconds).
   */
  commitGeneration(commit: GenerationCommit): number;
  /** The conduit's pending paths, longest pending first (at most `limit`, default all). */
  listPendingPaths(conduitId: number, limit?: number): PendingPathRecord[];
  /** Keep paths the local watcher reported while the conduit's host is unreachable (a path already kept keeps its first time). */
  addOfflineHints(conduitId: number, paths: readonly string[], seenAt: string): void;
  listOfflineHints(conduitId: number): OfflineHintRecord[];
  listGenerations(conduitId: number, options?: { limit?: number; before?: number }): GenerationRecord[];
  getGeneration(conduitId: number, generation: number): GenerationRecord | undefined;
  getGenerationById(id: number): GenerationRecord | undefined;
  listEvents(generationId: number, options?: { action?: EventAction; limit?: number; offset?: number }): GenerationEventRecord[];
  /** A page of a generation's events matching `search`, and how many match in all. */
  searchEvents(generationId: number, search: EventSearch): EventSearchPage;
  setVerification(generationId: number, status: VerificationStatus, verifiedAt: string | null): void;
  /**
   * Marks `interrupted` every `running` generation whose runner is gone (its
   * lease released, expired, or its process dead), and its conduit out of
   * `syncing`; returns how many.
   */
  markInterrupted(): number;

  // leases (src/db/lease.ts)
  /**
   * Takes the conduit's lease of `kind` for `holder` until `ttlMs` from now,
   * unless someone (this holder included) holds it live. A lease whose holder
   * is gone is taken over, and the generation it ran is marked `interrupted`.
   * The token grows by one on every acquire. Throws StoreError('not_found')
   * for an unknown conduit.
   */
  acquireLease(conduitId: number, kind: LeaseKind, holder: LeaseHolder, ttlMs: number): LeaseAcquisition;
  /** `acquireLease` for many conduits in one transaction (a serve's service leases); unknown conduits are left out. */
  acquireLeases(conduitIds: readonly number[], kind: LeaseKind, holder: LeaseHolder, ttlMs: number): Map<number, LeaseAcquisition>;
  /** Moves the expiry to `ttlMs` from now; null when the fence no longer holds the lease (taken over). */
  renewLease(fence: LeaseFence, ttlMs: number): string | null;
  /** `renewLease` for many leases in one transaction; `lost`: the fences that no longer hold theirs. */
  renewLeases(fences: readonly LeaseFence[], ttlMs: number): { expiresAt: string; lost: LeaseFence[] };
  /** Lets the lease go (its row and token stay); false when the fence no longer held it. */
  releaseLease(fence: LeaseFence): boolean;
  /** `releaseLease` for many leases in one transaction; returns how many were still held. */
  releaseLeases(fences: readonly LeaseFence[]): number;
  /** Who holds the conduit's lease of `kind` live, as `asker` judges it; null when it is free. */
  leaseHolder(conduitId: number, kind: LeaseKind, asker: LeaseHolder): LeaseHolderView | null;

  // baseline
  loadBaseline(conduitId: number): Baseline;
  /**
   * Both sides' baseline as columns, in the store's path order (issue 9,
   * core/change-set.ts): what each side's scan compares with, with no
   * per-path objects; `count` rows.
   */
  loadBaselineColumns(conduitId: number): BaselineColumns;
  /** The baseline rows of these paths (those that have one): a generation's affected paths only. */
  loadBaselineRows(conduitId: number, paths: readonly string[]): Baseline;
  /**
   * Forgets the whole baseline: the next generation is a first sync again.
   * Used when a conduit's source or target changes, so that a different
   * folder is never read as "everything was deleted here".
   */
  clearBaseline(conduitId: number): void;
  /** Writes or forgets one baseline path outside a generation, unfenced (a primitive for tests and repairs; `resolve` uses commitResolution). */
  setBaselineEntry(conduitId: number, path: string, entry: BaselineEntry | null): void;

  // conflicts
  listConflicts(options?: { conduit?: string; all?: boolean }): ConflictRecord[];
  getConflict(id: number): ConflictRecord | undefined;
  resolveConflict(id: number, resolution: Resolution, resolvedAt: string): void;
  /**
   * `resolve`'s writes, in one transaction fenced like a generation's commit:
   * the baseline rows it changed and the conflict's resolution land only while
   * `fence` is still the conduit's current generation lease (StoreError
   * 'lease_lost' otherwise, and nothing is written).
   */
  commitResolution(resolution: ResolutionCommit): void;

  // statistics (src/db/generation-statistics.ts)
  /** The history in sum, for `/metrics`: every generation whoever ran it; durations counted into `durationBounds` (seconds). */
  generationStatistics(durationBounds: readonly number[]): GenerationStatistics;
}

/** What a `resolve` that wrote files records (Store.commitResolution). */
export interface ResolutionCommit {
  readonly conduitId: number;
  readonly conflictId: number;
  readonly resolution: Resolution;
  readonly resolvedAt: string;
  readonly baselineUpserts: ReadonlyMap<string, BaselineEntry>;
  readonly baselineDeletes: readonly string[];
  readonly fence: LeaseFence;
}

/** `lease_lost`: a fenced write of a holder whose lease was taken over (nothing of it was written). */
export type StoreErrorCode = 'duplicate_name' | 'not_found' | 'schema' | 'busy' | 'lease_lost';

export class StoreError extends Error {
  constructor(readonly code: StoreErrorCode, message: string) {
    super(message);
    this.name = 'StoreError';
  }
}
