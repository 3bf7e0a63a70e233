import type { GenerationStatus, Trigger, VerificationStatus } from '../core/vocabulary.js';
import type { OpenedConduit, RootsConduit } from '../remote/conduit-roots.js';
import type { ConflictRecord, GenerationRecord, Store } from '../db/store.js';
import type { ResolveChoice } from './resolve-conflict.js';
import type { GenerationView } from './views.js';

/**
 * What the running service offers its front ends (the HTTP API and the admin
 * page): the one entry point through which every trigger — schedule, watcher,
 * API, CLI — requests a generation, and a stream of live events. Implemented
 * in this folder by the scheduler-backed service (`conduit serve`).
 */
export interface ConduitService {
  readonly store: Store;
  /**
   * Request a generation now. One generation per conduit at a time: a request
   * while one runs coalesces into exactly one follow-up; a request while
   * another process runs the conduit rejects with ConduitBusyError (its
   * automatic triggers are retried when the lease is free). Resolves with the
   * generation that satisfied the request once it has finished (its record,
   * whatever its status: a refusal is a record too).
   */
  requestSync(name: string, options: SyncRequestOptions): Promise<GenerationRecord>;
  /** Settle an open conflict now (same rules as `conduit resolve`). */
  resolveConflict(id: number, choice: ResolveChoice): Promise<ConflictRecord>;
  /** A conduit was added, edited, enabled, disabled or removed through the API: reload its schedule and watchers. */
  conduitChanged(name: string): void;
  /** Live events; returns the unsubscribe function. */
  subscribe(listener: (event: LiveEvent) => void): () => void;
  /** Generations running right now with their latest progress. */
  running(): readonly RunningGeneration[];
  /**
   * When another process holds the conduit's generation lease (a CLI run,
   * another serve): the line naming it ("conduit m1 is running in pid 4242 on
   * host h1 since 06:57:19Z"); null when the conduit is free or runs here.
   */
  heldElsewhere(name: string): string | null;
  /**
   * When the service will start the conduit's next generation by itself
   * (ISO-8601 UTC) and why; null when nothing is armed. Optional: a service
   * without a scheduler has no plan.
   */
  plannedRun?(name: string): PlannedRun | null;
  /**
   * The filesystem and engine paths of a conduit's roots (remote/conduit-roots.ts,
   * issue 10), for a look at them (versions, a conflict's detail). Optional:
   * without it, the roots are local paths on the local disk.
   */
  openRoots?<C extends RootsConduit>(conduit: C): OpenedConduit<C>;
}

export interface PlannedRun {
  readonly at: string;
  /** `schedule`: its interval or cron; `retry`: the backoff after a failed generation. */
  readonly why: 'schedule' | 'retry';
}

export interface SyncRequestOptions {
  readonly trigger: Trigger;
  readonly dryRun?: boolean;
  readonly force?: boolean;
  /** The watcher fast path: only these relative paths changed. */
  readonly paths?: readonly string[];
}

export interface RunningGeneration {
  readonly conduit: string;
  readonly generation: number;
  readonly trigger: Trigger;
  readonly startedAt: string;
  readonly actionsDone: number;
  readonly actionsTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** Bytes per second since the transfer began. */
  readonly rate: number;
}

/** What `GET /api/events` (server-sent events) and the admin page's live view carry. */
export type LiveEvent =
  | { readonly type: 'generation_started'; readonly conduit: string; readonly generation: number; readonly trigger: Trigger; readonly startedAt: string }
  | ({ readonly type: 'generation_progress' } & RunningGeneration)
  | { readonly type: 'generation_finished'; readonly conduit: string; readonly generation: number; readonly status: GenerationStatus; readonly record: GenerationView }
  | { readonly type: 'generation_verified'; readonly conduit: string; readonly generation: number; readonly verificationStatus: VerificationStatus; readonly verifiedAt: string | null }
  | { readonly type: 'conduit_changed'; readonly conduit: string };
