import type { GenerationStatus, VerificationStatus } from '../core/vocabulary.js';

/**
 * What the history says in sum, for `/metrics`: read from the database at
 * each scrape, so it counts every generation whoever ran it (`serve`, a
 * `conduit run` in another process, an earlier `serve`), not only what the
 * scraped process saw.
 */
export interface GenerationStatistics {
  /** One row per conduit, status and dry-run flag that has at least one generation. */
  readonly tallies: readonly GenerationTally[];
  /** Per conduit, its latest generation that is neither running nor a dry run. */
  readonly latest: readonly LatestGeneration[];
  /** Per conduit with finished real (not dry-run) generations: their wall-clock durations. */
  readonly durations: readonly DurationTally[];
}

export interface GenerationTally {
  readonly conduit: string;
  readonly status: GenerationStatus;
  readonly dryRun: boolean;
  readonly generations: number;
  readonly filesCopied: number;
  readonly filesDeleted: number;
  readonly bytesTransferred: number;
  /** How many of them have a `failed:<reason>` verification status. */
  readonly verificationFailures: number;
  /** The latest `completed_at` among them (null while all are running). */
  readonly lastCompletedAt: string | null;
}

export interface LatestGeneration {
  readonly conduit: string;
  readonly generation: number;
  readonly status: GenerationStatus;
  readonly completedAt: string | null;
  readonly verificationStatus: VerificationStatus;
}

export interface DurationTally {
  readonly conduit: string;
  readonly count: number;
  readonly sumSeconds: number;
  /** For each of the bounds asked for, in order: how many took at most that many seconds (cumulative, as Prometheus wants). */
  readonly atMost: readonly number[];
}
