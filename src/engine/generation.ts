import { conflictStamp } from '../core/conflict-name.js';
import { nextBaseline } from '../core/next-baseline.js';
import { reconcile } from '../core/reconcile.js';
import { holdLease } from '../db/lease-keeper.js';
import type { LeaseFence } from '../db/lease.js';
import { StoreError, type Store } from '../db/store.js';
import type { FileSystem } from '../fs/file-system.js';
import { RootDirectories } from './confine.js';
import { hashWhereContentDecides } from './content-hashes.js';
import { affectedInput, scanAgainstBaseline } from './generation/affected.js';
import { finishDirectoryAttributes, pruneOldVersions } from './generation/after-transfer.js';
import { commitFinished } from './generation/commit.js';
import { connectRoots } from './generation/connect.js';
import { generationEvents } from './generation/events.js';
import { guardDeletes, guardRoots, guardRootsApart, Refusal } from './generation/guards.js';
import { removeStaleTemps, withDeselectedBaselinePaths } from './generation/prepare.js';
import { dryRunFinished, ranFinished, stopped, tallyConflicts, type Finished } from './generation/record.js';
import type { GenerationRequest, GenerationResult, ReportProgress } from './generation/request.js';
import { leaveOutOfRun, withRunFilters } from './generation/run-filters.js';
import { scanOptionsFor } from './generation/scan-options.js';
import { transferPlan } from './generation/transfer-step.js';

/**
 * One generation of one conduit, end to end (DESIGN's pipeline): guards,
 * scan both roots, hash where content must decide, reconcile, guard the plan,
 * transfer, and record everything — counters, events, conflicts, baseline,
 * conduit state — in one transaction. Only a broken precondition stops it;
 * a single path's trouble becomes an event and the generation goes on.
 *
 * Here: the lease, the generation's beginning and end, and the pipeline read
 * top-down. Under generation/: the request and its answer (request.ts), the
 * scan options (scan-options.ts), the guards (guards.ts), the roots made
 * ready before hashing (prepare.ts), the transfer (transfer-step.ts) and what
 * follows it (after-transfer.ts), the events (events.ts), what a generation
 * came to (record.ts), and its commit (commit.ts).
 */

export type { GenerationProgress, GenerationRequest, GenerationResult } from './generation/request.js';
// The scan options of a generation, for the callers that scan as one does (resolve, the verifier); they stay importable from here.
export { scanOptionsFor } from './generation/scan-options.js';

export async function runGeneration(store: Store, fs: FileSystem, given: GenerationRequest): Promise<GenerationResult> {
  const lease = given.lease ?? holdLease(store, given.conduit.id, 'generation');
  try {
    // A lease taken over under us (this process stalled) stops the generation like a stop request.
    const signal = given.signal ? AbortSignal.any([given.signal, lease.lost]) : lease.lost;
    return await runUnderLease(store, fs, { ...given, signal }, lease.fence);
  } finally {
    if (!given.lease) lease.release();
  }
}

/** One generation, its beginning and its commit fenced by the lease's token (sqlite-store.ts `requireFence`). */
async function runUnderLease(store: Store, fs: FileSystem, request: GenerationRequest, fence: LeaseFence): Promise<GenerationResult> {
  const now = request.now ?? (() => new Date());
  const conduit = request.conduit;
  const dryRun = request.dryRun === true;
  const startedAt = now();
  const previousState = conduit.state;
  const { id: generationId, generation } = store.beginGeneration(conduit.id, request.trigger, dryRun, startedAt.toISOString(), fence);
  if (!dryRun) store.setConduitState(conduit.id, 'syncing');
  const progress: ReportProgress = (p) =>
    request.onProgress?.({ conduit: conduit.name, generation, ...p });

  const begun = { request, generationId, previousState, fence, now };
  const finish = (outcome: Finished): GenerationResult => commitFinished(store, begun, outcome);

  let link: AbortSignal | null = null;
  try {
    // A remote root's link first (issue 10): an unreachable host refuses the generation before anything is read or written.
    const connected = await connectRoots(fs, request);
    link = connected.link;
    return finish(await generate(store, fs, connected.request, startedAt, progress));
  } catch (error) {
    // Taken over: the successor marked this generation interrupted; nothing more of it may be recorded.
    if (error instanceof StoreError && error.code === 'lease_lost') throw error;
    if (error instanceof Refusal) return finish(stopped('refused', error.state, error.state === 'unreachable' ? 'connect' : 'guard', error.message));
    // The link dropped before the transfer could record what landed (a scan, a hash): interrupted, nothing landed.
    if (link?.aborted === true) return finish(ranFinished([], [], tallyConflicts([], new Set()), link, { upserts: new Map(), deletes: [] }, 0));
    return finish(stopped('failed', 'failed', 'sync', error instanceof Error ? error.message : String(error)));
  }
}

/**
 * The pipeline: guards → scan both roots → hash → reconcile → guard the plan
 * → transfer → what the generation came to. A guard that says no throws a
 * Refusal; anything else thrown fails the generation as a whole.
 */
async function generate(
  store: Store,
  fs: FileSystem,
  request: GenerationRequest,
  startedAt: Date,
  progress: ReportProgress,
): Promise<Finished> {
  const conduit = request.conduit;
  const dryRun = request.dryRun === true;
  const roots = { source: conduit.source, target: conduit.target };
  guardRootsApart(roots);
  progress({ phase: 'scanning', actionsDone: 0, actionsTotal: 0, bytesDone: 0, bytesTotal: 0 });
  const options = await scanOptionsFor(fs, withRunFilters(conduit, request.runFilters), request.onlyPaths, store.path);
  // Each root scanned against its side of the baseline: only what the baseline cannot tell comes back (issue 9).
  // The whole index judges deletions (the guards, by its counts); a partial scan speaks only for the
  // rows at, under and above its paths, and only those can be affected.
  const scans = leaveOutOfRun(store, conduit, request.runFilters, await scanAgainstBaseline(store, fs, conduit.id, roots, options, conduit.checksum));
  const source = scans.source;
  let target = scans.target;
  const scanned = source.visited + target.visited;

  target = await guardRoots(fs, request, source, target, scans.baseline);

  // Each root's directories as scanned: every write checks the ones above it against these (confine.ts).
  const directories = { source: new RootDirectories(roots.source, source.entries), target: new RootDirectories(roots.target, target.entries) };
  const tempEvents = dryRun ? [] : await removeStaleTemps(fs, conduit.mode, directories, source, target);
  // The affected paths only: their rows point-loaded, both sides' entries over them (core/change-set/restrict.ts).
  const affected = affectedInput(store, conduit.id, source, target);
  const baseline = affected.baseline;
  let targetEntries = affected.target;
  if (conduit.mode === 'selective') targetEntries = await withDeselectedBaselinePaths(fs, roots.target, baseline, affected.source, targetEntries);

  const hashed = await hashWhereContentDecides(fs, conduit, baseline, roots, affected.source, targetEntries, request.signal);
  const plan = reconcile({
    mode: conduit.mode, policy: conduit.conflict, baseline, source: hashed.source, target: hashed.target,
    stamp: conflictStamp(startedAt), checksum: conduit.checksum,
  });

  guardDeletes(request, plan, hashed, scans.baseline);

  const openConflictPaths = new Set(store.listConflicts({ conduit: conduit.name }).map((c) => c.path));
  const tally = tallyConflicts(plan.conflicts, openConflictPaths);
  if (dryRun) return dryRunFinished(plan, tally, conduit.state, scanned);

  const transferred = await transferPlan(fs, request, plan, { roots, directories, target: target.entries, rules: options.rules }, startedAt, progress);
  progress({ phase: 'recording', ...transferred.totals });
  if (conduit.versioning) await pruneOldVersions(fs, conduit.versioning, conduit.mode, roots, (request.now ?? (() => new Date()))());
  const directoryProblems = await finishDirectoryAttributes(fs, request, directories.target, hashed, target.staleTemps, transferred);
  const outcomes = transferred.outcomes;

  const changes = nextBaseline(baseline, hashed.source, hashed.target, plan, outcomes);
  const events = generationEvents({
    source, target, tempEvents, hashProblems: hashed.problems, skips: plan.skips, outcomes, directoryProblems,
  });
  return ranFinished(outcomes, events, tally, request.signal, changes, scanned);
}
