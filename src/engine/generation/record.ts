import type { Entry } from '../../core/entry.js';
import type { BaselineChanges } from '../../core/next-baseline.js';
import type { Conflict, Landed, Outcome, Plan } from '../../core/plan.js';
import type { ConduitState, GenerationStatus } from '../../core/vocabulary.js';
import { errorEventMessage } from '../../db/error-event.js';
import type { ConflictInput, EntrySummary, GenerationCommit, GenerationCounters, GenerationEventInput } from '../../db/store.js';
import { eventOf } from './events.js';

/**
 * What a generation came to, as it will be recorded (commit.ts): its
 * status, state and error message, counters, conflicts, next baseline and
 * what it wrote — for a dry run, a run, or a stop before anything changed.
 */
export interface Finished extends Pick<GenerationCommit, 'status' | 'errorMessage' | 'counters' | 'events' | 'conflicts'> {
  readonly state: ConduitState;
  readonly baseline: BaselineChanges;
  readonly written: readonly Landed[];
  readonly scanned: number;
}

const ZERO: GenerationCounters = {
  filesCopied: 0, filesDeleted: 0, dirsCreated: 0, dirsDeleted: 0, conflicts: 0, conflictsResolved: 0, bytesTransferred: 0, errorsEncountered: 0,
};
const NO_CHANGE: BaselineChanges = { upserts: new Map(), deletes: [] };

/** The plan's conflicts as recorded, with the counts: new ones (an unresolved one already open is not new), and resolved ones. */
export interface ConflictTally {
  readonly conflicts: ConflictInput[];
  readonly newConflicts: number;
  readonly resolvedConflicts: number;
}

export function tallyConflicts(planned: readonly Conflict[], openConflictPaths: ReadonlySet<string>): ConflictTally {
  const conflicts = conflictInputs(planned);
  const newConflicts = planned.filter((c) => !(c.resolution === 'unresolved' && openConflictPaths.has(c.path))).length;
  const resolvedConflicts = planned.filter((c) => c.resolution !== 'unresolved').length;
  return { conflicts, newConflicts, resolvedConflicts };
}

/** A dry run records what it would do: the plan's actions and their counters; no conflict, no baseline change, the conduit's state kept. */
export function dryRunFinished(plan: Plan, tally: ConflictTally, state: ConduitState, scanned: number): Finished {
  return {
    status: 'completed', state, errorMessage: null,
    counters: { ...plannedCounters(plan), conflicts: tally.newConflicts, conflictsResolved: tally.resolvedConflicts },
    events: plan.actions.map((a) => eventOf(a, 0, null)), conflicts: [], baseline: NO_CHANGE, written: [], scanned,
  };
}

/** A generation that ran: interrupted by a stop request, or completed with or without errors (the first one named). */
export function ranFinished(
  outcomes: readonly Outcome[], events: GenerationEventInput[], tally: ConflictTally, signal: AbortSignal | undefined,
  changes: BaselineChanges, scanned: number,
): Finished {
  const counters = countOutcomes(outcomes, tally.newConflicts, tally.resolvedConflicts, events);
  const interrupted = signal?.aborted === true;
  const firstError = events.find((e) => e.action === 'error');
  const status: GenerationStatus = interrupted ? 'interrupted' : counters.errorsEncountered > 0 ? 'completed_with_errors' : 'completed';
  const errorMessage = interrupted
    ? (typeof signal?.reason === 'string' ? signal.reason : 'interrupted: the service stopped before the generation finished')
    : firstError ? `${counters.errorsEncountered} error(s); first: ${firstError.path}: ${firstError.message}` : null;
  const written = outcomes.flatMap((o) => (o.status === 'applied' ? o.landed : []));
  return {
    status, state: status === 'completed' ? 'current' : 'failed', errorMessage, counters, events, conflicts: tally.conflicts,
    baseline: changes, written, scanned,
  };
}

/** Only a broken precondition ends here: a guard's refusal, or a failure of the generation as a whole. */
export function stopped(status: 'refused' | 'failed', state: ConduitState, op: string, message: string): Finished {
  return {
    status, state, errorMessage: message, counters: { ...ZERO, errorsEncountered: status === 'failed' ? 1 : 0 },
    events: [{ side: null, path: '', action: 'error', bytes: 0, message: errorEventMessage(op, message) }],
    conflicts: [], baseline: NO_CHANGE, written: [], scanned: 0,
  };
}

/** What a conflict record keeps of one side's entry (also what `resolve` compares against, service/resolve-conflict.ts). */
export function summary(entry: Entry | null): EntrySummary | null {
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
