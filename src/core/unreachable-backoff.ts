/**
 * How long automatic triggers wait before trying an unreachable host again
 * after `attempt` refusals in a row (issue 10): 2 s, 4 s, 8 s, … at most
 * 5 min, each ±20 % so that conduits refused together (one host down) do not
 * come back in lockstep. `random` is a number in [0, 1) (Math.random's
 * range); 0.5 gives the base exactly.
 */
export function unreachableBackoffMs(attempt: number, random: number): number {
  if (attempt <= 0) return 0;
  const base = Math.min(UNREACHABLE_BACKOFF_FIRST_MS * 2 ** Math.min(attempt - 1, 16), UNREACHABLE_BACKOFF_MAX_MS);
  const jitter = 1 + UNREACHABLE_JITTER * (2 * Math.min(Math.max(random, 0), 1) - 1);
  return Math.round(base * jitter);
}

export const UNREACHABLE_BACKOFF_FIRST_MS = 2_000;
export const UNREACHABLE_BACKOFF_MAX_MS = 5 * 60_000;
/** ±20 %. */
export const UNREACHABLE_JITTER = 0.2;
