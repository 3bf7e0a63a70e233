import type { z } from 'zod';
import { ConfigError, describeValue, formatFieldPath, joinFieldPath } from './config-error.js';

/**
 * Turns the first zod issue into a one-line `ConfigError`: field path, what
 * was expected, and the value actually given (looked up in the raw input, so
 * the message shows what the user typed, not what zod coerced).
 */
export function issueToConfigError(error: z.ZodError, input: unknown, knownKeys: (path: readonly PropertyKey[]) => readonly string[]): ConfigError {
  const issue = error.issues[0];
  if (!issue) return new ConfigError('', 'invalid input');
  const field = formatFieldPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const suggestion = closest(key, knownKeys(issue.path));
    const hint = suggestion ? `; did you mean "${suggestion}"?` : `; expected one of ${knownKeys(issue.path).join(', ')}`;
    return new ConfigError(joinFieldPath(field, key), `unknown field${hint}`);
  }
  const value = valueAt(input, issue.path);
  if (value === undefined && issue.code !== 'custom') {
    return new ConfigError(field, `missing; ${issue.message}`);
  }
  const note = issue.code === 'custom' && typeof issue.params?.['note'] === 'string' ? ` (${issue.params['note']})` : '';
  return new ConfigError(field, `${issue.message}, got ${describeValue(value)}${note}`);
}

export function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** The known key nearest to a typo, if it is plausibly what was meant. */
function closest(key: string, candidates: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const candidate = name.toLowerCase();
    // A typo of a prefix counts too: "paralel" is close to "parallel…".
    const distance = Math.min(
      editDistance(lower, candidate),
      ...[lower.length - 1, lower.length, lower.length + 1].filter((n) => n > 2 && n < candidate.length).map((n) => editDistance(lower, candidate.slice(0, n)) + 1),
    );
    if (!best || distance < best.distance) best = { name, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(key.length / 3)) ? best.name : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length] ?? 0;
}
