import type { Side } from '../../core/entry.js';
import { actionSide, type Action, type Outcome, type Plan, type Problem } from '../../core/plan.js';
import { errorEventMessage } from '../../db/error-event.js';
import type { GenerationEventInput } from '../../db/store.js';
import type { ScanResult } from '../scan.js';

/** What a generation that ran has to tell, step by step. */
export interface EventSources {
  readonly source: ScanResult;
  readonly target: ScanResult;
  /** Stale temporaries that could not be removed (prepare.ts). */
  readonly tempEvents: readonly GenerationEventInput[];
  /** Files that could not be read for their hash (content-hashes.ts). */
  readonly hashProblems: readonly GenerationEventInput[];
  readonly skips: Plan['skips'];
  readonly outcomes: readonly Outcome[];
  /** Directory attributes refused (after-transfer.ts). */
  readonly directoryProblems: readonly Problem[];
}

/** The events of a generation that ran, in the order the history lists them: scans, temporaries, hashing, reconcile's skips, actions, directories. */
export function generationEvents(from: EventSources): GenerationEventInput[] {
  return [...scanEvents(from.source, 'source'), ...scanEvents(from.target, 'target'), ...from.tempEvents, ...from.hashProblems, ...from.skips.map((s) => ({
    side: s.side, path: s.path, action: 'skip' as const, bytes: 0, message: s.reason,
  })), ...from.outcomes.map(eventOfOutcome), ...from.directoryProblems.map((p) => ({
    side: 'target' as const, path: p.path, action: 'error' as const, bytes: 0, message: errorEventMessage(p.op, p.message),
  }))];
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

export function eventOf(action: Action, bytes: number, message: string | null): GenerationEventInput {
  const text = action.op === 'conflict_copy' ? `saved as ${action.copyPath}${message ? `; ${message}` : ''}` : message;
  return { side: actionSide(action), path: action.path, action: action.op, bytes, message: text };
}

export function eventOfOutcome(outcome: Outcome): GenerationEventInput {
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
