import type { ConduitState, VerificationStatus } from '../../core/vocabulary.js';
import type { LeaseFence } from '../../db/lease.js';
import type { HostReach, Store } from '../../db/store.js';
import { unreachableBackoffMs } from '../../core/unreachable-backoff.js';
import { pendingOf } from './pending.js';
import type { Finished } from './record.js';
import type { GenerationRequest, GenerationResult } from './request.js';

/** A generation the store has begun: what its commit needs. */
export interface Begun {
  readonly request: GenerationRequest;
  readonly generationId: number;
  /** The conduit's state before the generation; a dry run leaves it so. */
  readonly previousState: ConduitState;
  /** The lease's token (sqlite-store.ts `requireFence`): a generation taken over cannot commit. */
  readonly fence: LeaseFence;
  readonly now: () => Date;
}

/**
 * What the generation came to, recorded in one transaction — counters,
 * events, conflicts, baseline, conduit state — with its verification: a
 * refusal or a dry run stays unverified; a service generation that wrote
 * nothing has nothing for the watcher to confirm and is verified at once.
 */
export function commitFinished(store: Store, begun: Begun, outcome: Finished): GenerationResult {
  const { request, generationId, previousState, fence, now } = begun;
  const conduit = request.conduit;
  const dryRun = request.dryRun === true;
  const verification: VerificationStatus = outcome.status === 'refused' || dryRun
    ? 'unverified'
    : outcome.written.length === 0 && request.verification === 'waiting_watcher' ? 'verified' : (request.verification ?? 'unverified');
  // A refusal that repeats the latest one is counted on that record (sqlite-store.ts): read back the record that holds it.
  const recordedId = store.commitGeneration({
    conduitId: conduit.id,
    generationId,
    status: outcome.status,
    completedAt: now().toISOString(),
    counters: outcome.counters,
    errorMessage: outcome.errorMessage,
    verificationStatus: verification,
    events: outcome.events,
    conflicts: outcome.conflicts,
    baselineUpserts: outcome.baseline.upserts,
    baselineDeletes: outcome.baseline.deletes,
    conduitState: dryRun ? previousState : outcome.state,
    lastSyncError: dryRun ? conduit.lastSyncError : outcome.errorMessage,
    countsTowardTotals: !dryRun && (outcome.status === 'completed' || outcome.status === 'completed_with_errors'),
    fence,
    pending: pendingOf(request, outcome),
    ...(dryRun ? {} : { reach: reachOf(outcome, now) }),
    // The offline hints (issue 10) are synced by a full generation that ran: it scanned everything they name.
    clearOfflineHints: !dryRun && request.onlyPaths === undefined && (outcome.status === 'completed' || outcome.status === 'completed_with_errors'),
  });
  if (verification === 'verified') store.setVerification(generationId, 'verified', now().toISOString());
  return { record: store.getGenerationById(recordedId)!, written: outcome.written, scanned: outcome.scanned };
}

/**
 * The host's answer, for the backoff (issue 10): a refusal as `unreachable`
 * counts one more attempt, the next one 2 s · 2^(n-1) (at most 5 min) ±20 %
 * from now; any other outcome reached its roots and resets the count.
 */
function reachOf(outcome: Finished, now: () => Date): HostReach {
  if (outcome.state !== 'unreachable') return { reached: true };
  const at = now().getTime();
  return { reached: false, nextAttemptAt: (attempt) => new Date(at + unreachableBackoffMs(attempt, Math.random())).toISOString() };
}
