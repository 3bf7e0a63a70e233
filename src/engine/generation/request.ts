import type { Landed, Outcome } from '../../core/plan.js';
import type { Trigger, VerificationStatus } from '../../core/vocabulary.js';
import type { HeldLease } from '../../db/lease-keeper.js';
import type { ConduitRow, GenerationRecord } from '../../db/store.js';

/** What a generation is asked to do, what it reports while it runs, and what it answers. */
export interface GenerationRequest {
  readonly conduit: ConduitRow;
  readonly trigger: Trigger;
  readonly dryRun?: boolean;
  /** Accept a refused deletion or an emptied root, once (SPEC §4). */
  readonly force?: boolean;
  /** Stop starting new work (SIGINT/SIGTERM); the generation ends `interrupted` (a string `reason` becomes its error message). */
  readonly signal?: AbortSignal;
  /**
   * The conduit's generation lease, when the caller took it (`run --wait`,
   * the service). Without one, runGeneration takes it itself, and throws
   * ConduitBusyError before anything is recorded when another process holds
   * it (SPEC §4: one generation per conduit at a time, across processes).
   */
  readonly lease?: HeldLease;
  /** Also cut copies in flight. */
  readonly cutSignal?: AbortSignal;
  /** The watcher fast path: scan only these relative paths on both sides. */
  readonly onlyPaths?: readonly string[];
  /** `waiting_watcher` under the service (SPEC §8); `unverified` for a plain CLI run. */
  readonly verification?: VerificationStatus;
  readonly onProgress?: (progress: GenerationProgress) => void;
  /** Each action of the transfer as it finishes, whatever its outcome (`conduit run -v`). */
  readonly onOutcome?: (outcome: Outcome) => void;
  /** A per-run delete guard by count (`run --max-delete 500`): refuse a plan deleting more files than this; --force accepts it once. */
  readonly maxDeletes?: number;
  /** Per-run filters (`run --exclude/--include`), added to the conduit's own for this generation only (generation/run-filters.ts). */
  readonly runFilters?: RunFilters;
  readonly now?: () => Date;
}

export interface RunFilters {
  readonly include: readonly string[];
  readonly exclude: readonly string[];
}

export interface GenerationProgress {
  readonly conduit: string;
  readonly generation: number;
  readonly phase: 'scanning' | 'transferring' | 'recording';
  readonly actionsDone: number;
  readonly actionsTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

/** Progress as the pipeline reports it; runGeneration adds the conduit and the generation. */
export type ReportProgress = (progress: Omit<GenerationProgress, 'conduit' | 'generation'>) => void;

export interface GenerationResult {
  readonly record: GenerationRecord;
  /** What each written path holds now, for the watcher's verification. */
  readonly written: readonly Landed[];
  /** Directory entries the scans looked at (the fast path's proof). */
  readonly scanned: number;
}
