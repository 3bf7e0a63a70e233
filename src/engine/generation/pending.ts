import { SKIP_REASON } from '../copy-protocol.js';
import type { GenerationCommit, GenerationEventInput, PendingPathInput } from '../../db/store.js';
import type { Finished } from './record.js';
import type { GenerationRequest } from './request.js';

/**
 * The paths a generation did not land, for `pending_path` (issue 11 §1: a
 * conduit with such paths is not `current`): what the next generation will
 * try again. Read from the generation's events:
 * - every `error` of a path (a copy, delete or scan that failed);
 * - every `skip` of an action that did not happen (`copy: changed_during_transfer`,
 *   `delete: modified since scan`, `…: interrupted`), and a path whose parent
 *   is not a directory on one side;
 * and not what is left alone on purpose: a directory kept because it holds
 * files outside the sync, a socket or device (`unsupported file type`).
 * Nothing for a dry run, a refusal or a failure as a whole: those tried
 * nothing, and the paths pending before stay pending.
 */
export function pendingOf(request: GenerationRequest, outcome: Finished): GenerationCommit['pending'] {
  if (request.dryRun === true || outcome.status === 'refused' || outcome.status === 'failed') return undefined;
  return { paths: pendingPaths(outcome.events), within: request.onlyPaths ?? null };
}

/** The prefix eventOfOutcome (events.ts) gives the skip of an action that did not happen. */
const ACTION_SKIP = /^(copy|delete|mkdir|rmdir|symlink|conflict_copy): /;
const PARENT_NOT_A_DIRECTORY = 'a parent of this path is not a directory';

export function pendingPaths(events: readonly GenerationEventInput[]): PendingPathInput[] {
  const out: PendingPathInput[] = [];
  for (const event of events) {
    if (event.path === '') continue; // the generation's own error, not a path's
    const message = event.message ?? '';
    const retried = event.action === 'error'
      || (event.action === 'skip' && ACTION_SKIP.test(message) && !message.endsWith(SKIP_REASON.directoryNotEmpty))
      || (event.action === 'skip' && message.startsWith(PARENT_NOT_A_DIRECTORY));
    if (retried) out.push({ path: event.path, side: event.side, reason: message || event.action });
  }
  return out;
}
