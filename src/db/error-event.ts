import type { GenerationError } from './store.js';

/**
 * How an `error` event carries the operation that failed.
 *
 * `GenerationEventInput` has no `op` field, yet `GenerationRecord.errors`
 * reports `{ path, op, message }` (SPEC §11). The event's message therefore
 * starts with the operation: `"copy: EACCES: permission denied"`. Writers
 * build it with `errorEventMessage`; the store splits it back with
 * `parseErrorEvent`. The message column keeps the whole text, so
 * `show-generation` prints it verbatim.
 */

/** An op is a lowercase word (`copy`, `delete`, `scan`, `guard`, `rename-temp`…). */
const OP_PREFIX = /^([a-z][a-z0-9_-]*): ([\s\S]*)$/;

/** The op used for an error event whose message names none. */
export const UNKNOWN_OP = 'sync';

/** The message to store for an `error` event of operation `op`. */
export function errorEventMessage(op: string, message: string): string {
  if (!/^[a-z][a-z0-9_-]*$/.test(op)) throw new Error(`errorEventMessage: op must be a lowercase word, got ${JSON.stringify(op)}`);
  return `${op}: ${message}`;
}

/** Splits a stored `error` event back into its op and message. */
export function parseErrorEvent(path: string, stored: string | null): GenerationError {
  const match = stored === null ? null : OP_PREFIX.exec(stored);
  if (match) return { path, op: match[1]!, message: match[2]! };
  return { path, op: UNKNOWN_OP, message: stored ?? '' };
}
