import { availableParallelism } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { conflictStamp } from '../core/conflict-name.js';
import type { Baseline, Entry, Side, Snapshot } from '../core/entry.js';
import { nextBaseline, type BaselineChanges } from '../core/next-baseline.js';
import { baselineWithin } from '../core/scope.js';
import { actionSide, type Action, type Conflict, type Landed, type Outcome, type Plan } from '../core/plan.js';
import { reconcile } from '../core/reconcile.js';
import { rootEmptied, rootsOverlap, rootUnavailable, tooManyDeletes } from '../core/safety.js';
import type { ConduitState, GenerationStatus, Trigger, VerificationStatus } from '../core/vocabulary.js';
import { errorEventMessage } from '../db/error-event.js';
import type {
  ConduitRow, ConflictInput, EntrySummary, GenerationCommit, GenerationCounters, GenerationEventInput, GenerationRecord, Store,
} from '../db/store.js';
import { holdLease, type HeldLease } from '../db/lease-keeper.js';
import type { LeaseFence } from '../db/lease.js';
import { StoreError } from '../db/store.js';
import { isFsError, type CopyBatches, type FileSystem } from '../fs/file-system.js';
import { hashWhereContentDecides } from './content-hashes.js';
import { buildRules, pathPattern } from './filters.js';
import { scanRoot, type ScanOptions, type ScanResult } from './scan.js';
import { openDirectoriesForWriting, replicateDirectoryAttributes, replicatedDirectories } from './directory-times.js';
import { checkAncestors, isConfinementError, RootDirectories } from './confine.js';
import { tempTokenFor } from './temp-name.js';
import { createThrottle } from './throttle.js';
import { executePlan, POOLED_COPY_MAX_BYTES, type TransferProgress } from './transfer.js';
import { pruneVersions, versionStamp, versionsAnchorFor, versionsDirFor } from './versioning.js';
import type { GenerationProgress, GenerationRequest, GenerationResult, ReportProgress } from './generation/request.js';
import { scanOptionsFor } from './generation/scan-options.js';
import { guardDeletes, guardRoots, guardRootsApart, Refusal } from './generation/guards.js';
import { removeStaleTemps, withDeselectedBaselinePaths } from './generation/prepare.js';
import { transferPlan } from './generation/transfer-step.js';
import { finishDirectoryAttributes, pruneOldVersions } from './generation/after-transfer.js';

/**
 * One generation of one conduit, end to end (DESIGN's pipeline): guards,
 * scan both roots, hash where content must decide, reconcile, guard the plan,
 * transfer, and record everything — counters, events, conflicts, baseline,
 * conduit state — in one transaction. Only a broken precondition stops it;
 * a single path's trouble becomes an event and the generation goes on.
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

  const finish = (outcome: Finished): GenerationResult => {
    const verification: VerificationStatus = outcome.status === 'refused' || dryRun
      ? 'unverified'
      : outcome.written.length === 0 && request.verification === 'waiting_watcher' ? 'verified' : (request.verification ?? 'unverified');
    store.commitGeneration({
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
    });
    if (verification === 'verified') store.setVerification(generationId, 'verified', now().toISOString());
    return { record: store.getGenerationById(generationId)!, written: outcome.written, scanned: outcome.scanned };
  };

  // Only a broken precondition ends here: a guard's refusal, or a failure of the generation as a whole.
  const stopped = (status: 'refused' | 'failed', state: ConduitState, op: string, message: string): GenerationResult => finish({
    status, state, errorMessage: message, counters: { ...ZERO, errorsEncountered: status === 'failed' ? 1 : 0 },
    events: [{ side: null, path: '', action: 'error', bytes: 0, message: errorEventMessage(op, message) }],
    conflicts: [], baseline: NO_CHANGE, written: [], scanned: 0,
  });
  try {
    return finish(await generate(store, fs, request, startedAt, progress));
  } catch (error) {
    // Taken over: the successor marked this generation interrupted; nothing more of it may be recorded.
    if (error instanceof StoreError && error.code === 'lease_lost') throw error;
    if (error instanceof Refusal) return stopped('refused', error.state, 'guard', error.message);
    return stopped('failed', 'failed', 'sync', error instanceof Error ? error.message : String(error));
  }
}

/** What a generation came to, before it is committed. */
interface Finished extends Pick<GenerationCommit, 'status' | 'errorMessage' | 'counters' | 'events' | 'conflicts'> {
  readonly state: ConduitState;
  readonly baseline: BaselineChanges;
  readonly written: readonly Landed[];
  readonly scanned: number;
}

const ZERO: GenerationCounters = {
  filesCopied: 0, filesDeleted: 0, dirsCreated: 0, dirsDeleted: 0, conflicts: 0, conflictsResolved: 0, bytesTransferred: 0, errorsEncountered: 0,
};
const NO_CHANGE: BaselineChanges = { upserts: new Map(), deletes: [] };

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
  const options = await scanOptionsFor(fs, conduit, request.onlyPaths, store.path);
  // The scans run in workers: start them first, and load the baseline on this thread meanwhile.
  const scans = Promise.all([scanRoot(fs, roots.source, options), scanRoot(fs, roots.target, options)]);
  scans.catch(() => undefined); // awaited below; a load failure must not leave it unhandled
  // The whole index judges deletions (the guard); a partial scan is reconciled only against
  // the part of the index it can speak for, or every unscanned path would look deleted.
  const fullBaseline = store.loadBaseline(conduit.id);
  const baseline = request.onlyPaths ? baselineWithin(fullBaseline, request.onlyPaths) : fullBaseline;
  let [source, target] = await scans;
  const scanned = source.visited + target.visited;

  target = await guardRoots(fs, request, source, target, fullBaseline);

  // Each root's directories as scanned: every write checks the ones above it against these (confine.ts).
  const directories = { source: new RootDirectories(roots.source, source.entries), target: new RootDirectories(roots.target, target.entries) };
  const tempEvents = dryRun ? [] : await removeStaleTemps(fs, conduit.mode, directories, source, target);
  let targetEntries = target.entries;
  if (conduit.mode === 'selective') targetEntries = await withDeselectedBaselinePaths(fs, roots.target, baseline, source.entries, targetEntries);

  const hashed = await hashWhereContentDecides(fs, conduit, baseline, roots, source.entries, targetEntries, request.signal);
  const plan = reconcile({
    mode: conduit.mode, policy: conduit.conflict, baseline, source: hashed.source, target: hashed.target,
    stamp: conflictStamp(startedAt), checksum: conduit.checksum,
  });

  guardDeletes(request, plan, hashed, fullBaseline);

  const conflicts = conflictInputs(plan.conflicts);
  const openConflictPaths = new Set(store.listConflicts({ conduit: conduit.name }).map((c) => c.path));
  const newConflicts = plan.conflicts.filter((c) => !(c.resolution === 'unresolved' && openConflictPaths.has(c.path))).length;
  const resolvedConflicts = plan.conflicts.filter((c) => c.resolution !== 'unresolved').length;

  if (dryRun) {
    return {
      status: 'completed', state: conduit.state, errorMessage: null,
      counters: { ...plannedCounters(plan), conflicts: newConflicts, conflictsResolved: resolvedConflicts },
      events: plan.actions.map((a) => eventOf(a, 0, null)), conflicts: [], baseline: NO_CHANGE, written: [], scanned,
    };
  }

  const transferred = await transferPlan(fs, request, plan, { roots, directories, target: target.entries, rules: options.rules }, startedAt, progress);
  progress({ phase: 'recording', ...transferred.totals });
  if (conduit.versioning) await pruneOldVersions(fs, conduit.versioning, conduit.mode, roots, (request.now ?? (() => new Date()))());
  const directoryProblems = await finishDirectoryAttributes(fs, request, directories.target, hashed, target.staleTemps, transferred);
  const outcomes = transferred.outcomes;

  const changes = nextBaseline(baseline, hashed.source, hashed.target, plan, outcomes);
  const events = [...scanEvents(source, 'source'), ...scanEvents(target, 'target'), ...tempEvents, ...hashed.problems, ...plan.skips.map((s) => ({
    side: s.side, path: s.path, action: 'skip' as const, bytes: 0, message: s.reason,
  })), ...outcomes.map(eventOfOutcome), ...directoryProblems.map((p) => ({
    side: 'target' as const, path: p.path, action: 'error' as const, bytes: 0, message: errorEventMessage(p.op, p.message),
  }))];
  const counters = countOutcomes(outcomes, newConflicts, resolvedConflicts, events);
  const interrupted = request.signal?.aborted === true;
  const firstError = events.find((e) => e.action === 'error');
  const status: GenerationStatus = interrupted ? 'interrupted' : counters.errorsEncountered > 0 ? 'completed_with_errors' : 'completed';
  const errorMessage = interrupted
    ? (typeof request.signal?.reason === 'string' ? request.signal.reason : 'interrupted: the service stopped before the generation finished')
    : firstError ? `${counters.errorsEncountered} error(s); first: ${firstError.path}: ${firstError.message}` : null;
  const written = outcomes.flatMap((o) => (o.status === 'applied' ? o.landed : []));
  return {
    status, state: status === 'completed' ? 'current' : 'failed', errorMessage, counters, events, conflicts,
    baseline: changes, written, scanned,
  };
}

function summary(entry: Entry | null): EntrySummary | null {
  if (!entry) return null;
  if (entry.kind === 'problem') return { kind: 'problem', size: 0, mtime: new Date(0).toISOString() };
  return {
    kind: entry.kind,
    size: entry.kind === 'file' ? entry.size : 0,
    mtime: new Date(Number(entry.mtimeNs / 1_000_000n)).toISOString(),
  };
}

function conflictInputs(conflicts: readonly Conflict[]): ConflictInput[] {
  return conflicts.map((c) => ({
    path: c.path, kind: c.kind, severity: c.severity, resolution: c.resolution,
    source: summary(c.source), target: summary(c.target), conflictCopy: c.copyPath,
  }));
}

/** Problems found while scanning: unreadable paths are errors, sockets/FIFOs/devices are skipped. */
function scanEvents(scan: ScanResult, side: Side): GenerationEventInput[] {
  const events: GenerationEventInput[] = [];
  for (const [path, entry] of scan.entries) {
    if (entry.kind !== 'problem') continue;
    events.push(entry.code === 'unsupported'
      ? { side, path, action: 'skip', bytes: 0, message: `unsupported file type: ${entry.message}` }
      : { side, path, action: 'error', bytes: 0, message: errorEventMessage('scan', `${entry.code}: ${entry.message}`) });
  }
  return events;
}

function eventOf(action: Action, bytes: number, message: string | null): GenerationEventInput {
  const text = action.op === 'conflict_copy' ? `saved as ${action.copyPath}${message ? `; ${message}` : ''}` : message;
  return { side: actionSide(action), path: action.path, action: action.op, bytes, message: text };
}

function eventOfOutcome(outcome: Outcome): GenerationEventInput {
  const a = outcome.action;
  switch (outcome.status) {
    case 'applied':
      return eventOf(a, outcome.bytes, null);
    case 'skipped':
      return { side: actionSide(a), path: a.path, action: 'skip', bytes: 0, message: `${a.op}: ${outcome.reason}` };
    case 'failed':
      return { side: actionSide(a), path: a.path, action: 'error', bytes: 0, message: errorEventMessage(a.op.replace('_', '-'), outcome.problem.message) };
  }
}

function plannedCounters(plan: Plan): GenerationCounters {
  let filesCopied = 0, filesDeleted = 0, dirsCreated = 0, dirsDeleted = 0, bytes = 0;
  for (const a of plan.actions) {
    if (a.op === 'copy') { filesCopied++; bytes += a.entry.size; }
    else if (a.op === 'symlink') filesCopied++;
    else if (a.op === 'delete') filesDeleted++;
    else if (a.op === 'mkdir') dirsCreated++;
    else if (a.op === 'rmdir') dirsDeleted++;
  }
  return { ...ZERO, filesCopied, filesDeleted, dirsCreated, dirsDeleted, bytesTransferred: bytes };
}

function countOutcomes(
  outcomes: readonly Outcome[], conflicts: number, conflictsResolved: number, events: readonly GenerationEventInput[],
): GenerationCounters {
  let filesCopied = 0, filesDeleted = 0, dirsCreated = 0, dirsDeleted = 0, bytesTransferred = 0;
  for (const o of outcomes) {
    if (o.status !== 'applied') continue;
    bytesTransferred += o.bytes;
    switch (o.action.op) {
      case 'copy': case 'symlink': filesCopied++; break;
      case 'delete': filesDeleted++; break;
      case 'mkdir': dirsCreated++; break;
      case 'rmdir': dirsDeleted++; break;
      case 'conflict_copy': break; // conflict copies are events of their own, not copies (SPEC §11)
    }
  }
  const errorsEncountered = events.filter((e) => e.action === 'error').length;
  return { filesCopied, filesDeleted, dirsCreated, dirsDeleted, conflicts, conflictsResolved, bytesTransferred, errorsEncountered };
}
