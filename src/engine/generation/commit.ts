import type { ConduitState, VerificationStatus } from '../../core/vocabulary.js';
import type { LeaseFence } from '../../db/lease.js';
import type { Store } from '../../db/store.js';
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
  });
  if (verification === 'verified') store.setVerification(generationId, 'verified', now().toISOString());
  return { record: store.getGenerationById(recordedId)!, written: outcome.written, scanned: outcome.scanned };
}
