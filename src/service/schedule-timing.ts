import { Cron } from 'croner';
import type { Schedule } from '../config/schedule.js';

/**
 * When a scheduled conduit runs next (SPEC §9), as pure functions of the
 * schedule and the clock's current value, so the scheduler's timers and the
 * tests agree on one computation.
 */

/**
 * The next time (ms since the epoch) a `schedule` wants a generation, or null
 * for schedules that are not clock-driven (`manual`, `instant`).
 * `lastStartedAt` is when the conduit's last generation started (null: never);
 * an interval that is already overdue is due `now`.
 */
export function nextRunAt(schedule: Schedule, now: number, lastStartedAt: number | null): number | null {
  switch (schedule.kind) {
    case 'manual':
    case 'instant':
      return null;
    case 'interval':
      return lastStartedAt === null ? now : Math.max(now, lastStartedAt + schedule.everyMs);
    case 'cron':
      return nextCronRun(schedule.expression, now);
  }
}

/** The first time strictly after `now` that the 5-field cron expression matches (local time, like cron), or null if never. */
export function nextCronRun(expression: string, now: number): number | null {
  const job = new Cron(expression, { paused: true, mode: '5-part' });
  try {
    return job.nextRun(new Date(now))?.getTime() ?? null;
  } finally {
    job.stop();
  }
}

/** Exponential backoff after consecutive failures (SPEC §9): 30 s, 60 s, 120 s, … at most 30 min. */
export function backoffMs(consecutiveFailures: number): number {
  if (consecutiveFailures <= 0) return 0;
  return Math.min(BACKOFF_FIRST_MS * 2 ** Math.min(consecutiveFailures - 1, 16), BACKOFF_MAX_MS);
}

/**
 * How long automatic triggers wait after the same refusal came `inARow` times
 * in a row (issue 11 §1): 3 s, 6 s, 12 s, … at most 5 min. A person's request never waits.
 */
export function refusalBackoffMs(inARow: number): number {
  if (inARow <= 0) return 0;
  return Math.min(REFUSAL_BACKOFF_FIRST_MS * 2 ** Math.min(inARow - 1, 16), REFUSAL_BACKOFF_MAX_MS);
}

export const REFUSAL_BACKOFF_FIRST_MS = 3_000;
export const REFUSAL_BACKOFF_MAX_MS = 5 * 60_000;

export const BACKOFF_FIRST_MS = 30_000;
export const BACKOFF_MAX_MS = 30 * 60_000;

// The unreachable-host backoff is pure and used by the engine's commit too: it lives in core.
export { UNREACHABLE_BACKOFF_FIRST_MS, UNREACHABLE_BACKOFF_MAX_MS, UNREACHABLE_JITTER, unreachableBackoffMs } from '../core/unreachable-backoff.js';
