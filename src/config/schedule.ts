import { Cron } from 'croner';

/**
 * When a conduit runs under `conduit serve` (SPEC §9), parsed from the
 * `schedule` string of a `ConduitSpec`.
 */
export type Schedule =
  | { readonly kind: 'manual' }
  | { readonly kind: 'instant' }
  | { readonly kind: 'interval'; readonly everyMs: number }
  | { readonly kind: 'cron'; readonly expression: string };

export const SCHEDULE_SYNTAX = 'manual | instant | interval:<n><s|m|h> | cron:<5-field expression>';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000 } as const;
// Beyond this a timer is meaningless (and setTimeout overflows at ~24.8 days anyway, so the scheduler must chain).
const MAX_INTERVAL_MS = 366 * 24 * 3_600_000;

export type ScheduleParse =
  | { readonly ok: true; readonly schedule: Schedule }
  | { readonly ok: false; readonly expected: string; readonly note?: string };

/** Parses a schedule string without throwing; `expected`/`note` feed a `expected …, got …` message. */
export function tryParseSchedule(text: string): ScheduleParse {
  if (text === 'manual' || text === 'instant') return { ok: true, schedule: { kind: text } };
  if (text.startsWith('interval:')) return parseInterval(text.slice('interval:'.length));
  if (text.startsWith('cron:')) return parseCron(text.slice('cron:'.length));
  return { ok: false, expected: SCHEDULE_SYNTAX };
}

/** Parses a schedule already validated by the config schemas; throws on anything else. */
export function parseSchedule(text: string): Schedule {
  const parsed = tryParseSchedule(text);
  if (!parsed.ok) throw new Error(`invalid schedule ${JSON.stringify(text)}: expected ${parsed.expected}`);
  return parsed.schedule;
}

function parseInterval(spec: string): ScheduleParse {
  const expected = 'interval:<n><s|m|h> with a whole number n >= 1 (e.g. interval:5m)';
  const match = /^([0-9]+)([smh])$/.exec(spec);
  if (!match) return { ok: false, expected };
  const n = Number(match[1]);
  const everyMs = n * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (n < 1) return { ok: false, expected };
  if (everyMs > MAX_INTERVAL_MS) return { ok: false, expected: `${expected}, at most 366 days` };
  return { ok: true, schedule: { kind: 'interval', everyMs } };
}

function parseCron(expression: string): ScheduleParse {
  const expected = 'cron:<minute hour day-of-month month day-of-week> (5 fields, e.g. cron:0 3 * * *)';
  const fields = expression.trim().split(/\s+/).filter((f) => f !== '');
  // croner also takes 6/7-field patterns and @nicknames; SPEC §9 promises 5-field cron only.
  if (fields.length !== 5) return { ok: false, expected, note: `${fields.length} field${fields.length === 1 ? '' : 's'}` };
  let job: Cron | undefined;
  try {
    job = new Cron(fields.join(' '), { paused: true, mode: '5-part' });
    if (job.nextRun() === null) return { ok: false, expected, note: 'it never fires' };
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^CronPattern:\s*/, '') : String(error);
    return { ok: false, expected, note: reason };
  } finally {
    job?.stop();
  }
  return { ok: true, schedule: { kind: 'cron', expression: fields.join(' ') } };
}
