import type { ConduitRow, GenerationError, GenerationRecord, PendingPathRecord } from '../db/store.js';
import type { ConduitState, ConflictPolicy, GenerationStatus, Mode, Trigger, VerificationStatus } from '../core/vocabulary.js';
import type { VersioningSpec } from '../config/conduit-spec.js';

/**
 * The JSON projections of conduit's records, shared by `--json` CLI output
 * and the HTTP API, so a script sees the same object from both. Plain data,
 * camelCase, no database ids (names and generation numbers identify things).
 */

export interface ConduitView {
  name: string;
  uuid: string;
  source: string;
  target: string;
  mode: Mode;
  schedule: string;
  enabled: boolean;
  include: string[];
  exclude: string[];
  useIndexRules: boolean;
  conflict: ConflictPolicy;
  parallelTransfers: number;
  bandwidthLimitMbps: number | null;
  maxDeletePercent: number;
  checksum: boolean;
  versioning: VersioningSpec | null;
  verifyTimeoutSeconds: number;
  /** How a remote root is reached (issue 10): the ssh command line and the far side's command; null = the default. */
  sshCommand: string | null;
  remoteCommand: string | null;
  state: ConduitState;
  lastSyncCompletedAt: string | null;
  syncGeneration: number;
  lastSyncError: string | null;
  totalSyncs: number;
  filesSynced: number;
  bytesTransferred: number;
  createdAt: string;
  updatedAt: string;
  /** The config file (absolute path) that manages the conduit (`serve --config`): edit it there; null when none. */
  managedBy: string | null;
  /** How many paths the latest generations did not land; the state is `pending` (not `current`) while any are. */
  pendingPaths: number;
  /** Generations refused in a row because a remote root's host could not be reached (0: it answered last; issue 10). */
  attemptCount: number;
  /** When automatic triggers try the unreachable host again (ISO-8601 UTC), or null. */
  nextAttemptAt: string | null;
  /** Paths changed here while the host was unreachable, kept until a generation reaches it. */
  offlineHints: number;
}

export function conduitView(row: ConduitRow): ConduitView {
  return {
    name: row.name,
    uuid: row.uuid,
    source: row.source,
    target: row.target,
    mode: row.mode,
    schedule: row.schedule,
    enabled: row.enabled,
    include: [...row.include],
    exclude: [...row.exclude],
    useIndexRules: row.useIndexRules,
    conflict: row.conflict,
    parallelTransfers: row.parallelTransfers,
    bandwidthLimitMbps: row.bandwidthLimitMbps,
    maxDeletePercent: row.maxDeletePercent,
    checksum: row.checksum,
    versioning: row.versioning === null ? null : { dir: row.versioning.dir, keepDays: row.versioning.keepDays },
    verifyTimeoutSeconds: row.verifyTimeoutSeconds,
    sshCommand: row.sshCommand,
    remoteCommand: row.remoteCommand,
    state: row.state,
    lastSyncCompletedAt: row.lastSyncCompletedAt,
    syncGeneration: row.syncGeneration,
    lastSyncError: row.lastSyncError,
    totalSyncs: row.totalSyncs,
    filesSynced: row.filesSynced,
    bytesTransferred: row.bytesTransferred,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    managedBy: row.managedBy,
    pendingPaths: row.pendingPaths,
    attemptCount: row.attemptCount,
    nextAttemptAt: row.nextAttemptAt,
    offlineHints: row.offlineHints,
  };
}

/** One pending path, as `show --json` and `GET /api/conduits/:name/pending` give it. */
export interface PendingPathView {
  path: string;
  side: string | null;
  reason: string;
  sinceGeneration: number;
  lastGeneration: number;
  /** Generations in a row that did not land it; a warning from PENDING_WARN_GENERATIONS on. */
  generations: number;
}

/** A path pending for this many generations in a row is warned about (log and `show`). */
export const PENDING_WARN_GENERATIONS = 3;

export function pendingPathView(record: PendingPathRecord): PendingPathView {
  return {
    path: record.path, side: record.side, reason: record.reason,
    sinceGeneration: record.sinceGeneration, lastGeneration: record.lastGeneration, generations: record.generations,
  };
}

/** Exactly the object of SPEC §11 (`conduit run --json`, one element of `history --json`). */
export interface GenerationView {
  conduit: string;
  generation: number;
  status: GenerationStatus;
  trigger: Trigger;
  dryRun: boolean;
  startedAt: string;
  completedAt: string | null;
  filesCopied: number;
  filesDeleted: number;
  dirsCreated: number;
  dirsDeleted: number;
  conflicts: number;
  conflictsResolved: number;
  bytesTransferred: number;
  errors: GenerationError[];
  verificationStatus: VerificationStatus;
  /** A refusal repeated word for word is counted on one record: how many times it happened (1: once). */
  repeatCount: number;
  /** When the latest repeat was counted; null when none. */
  lastRepeatedAt: string | null;
}

export function generationView(record: GenerationRecord): GenerationView {
  return {
    conduit: record.conduit,
    generation: record.generation,
    status: record.status,
    trigger: record.trigger,
    dryRun: record.dryRun,
    startedAt: record.startedAt,
    completedAt: record.completedAt,
    filesCopied: record.filesCopied,
    filesDeleted: record.filesDeleted,
    dirsCreated: record.dirsCreated,
    dirsDeleted: record.dirsDeleted,
    conflicts: record.conflicts,
    conflictsResolved: record.conflictsResolved,
    bytesTransferred: record.bytesTransferred,
    errors: generationErrors(record),
    verificationStatus: record.verificationStatus,
    repeatCount: record.repeatCount,
    lastRepeatedAt: record.lastRepeatedAt,
  };
}

/**
 * `errors` is always an array. A refused or failed generation may have no
 * per-path error events, only its reason (SPEC §11: "the reason in errors"),
 * which then becomes the one entry, with an empty path.
 */
function generationErrors(record: GenerationRecord): GenerationError[] {
  const errors = record.errors.map((error) => ({ path: error.path, op: error.op, message: error.message }));
  if (errors.length === 0 && record.errorMessage !== null && (record.status === 'refused' || record.status === 'failed')) {
    errors.push({ path: '', op: record.status === 'refused' ? 'refuse' : 'generation', message: record.errorMessage });
  }
  return errors;
}
