import { UsageError } from './usage-error.js';

/**
 * A point in time the user typed (`restore --at`): ISO-8601 as conduit
 * prints it (`2026-11-23T05:15:00Z`, `2026-11-23 05:15:00Z`, a date alone
 * `2026-11-23` meaning its midnight UTC), or a version's own stamp
 * (`20261123T051500Z`, as in its file name). A time without a zone is read as
 * UTC, as every time conduit prints is. Anything else is a UsageError naming
 * the flag (exit 2, nothing changed).
 */
export function timeArgument(flag: string, text: unknown): Date {
  const given = typeof text === 'string' ? text.trim() : '';
  const stamp = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(given);
  const iso = stamp
    ? `${stamp[1]}-${stamp[2]}-${stamp[3]}T${stamp[4]}:${stamp[5]}:${stamp[6]}Z`
    : /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(given)
      ? withZone(given.replace(' ', 'T'))
      : '';
  const time = iso === '' ? Number.NaN : Date.parse(iso);
  if (Number.isNaN(time)) {
    throw new UsageError(`${flag}: expected a time such as 2026-11-23T05:15:00Z or 20261123T051500Z, got ${JSON.stringify(String(text))}`);
  }
  return new Date(time);
}

function withZone(iso: string): string {
  if (/(Z|[+-]\d{2}:?\d{2})$/.test(iso) && iso.includes('T')) return iso;
  return iso.includes('T') ? `${iso}Z` : `${iso}T00:00:00Z`;
}
