import { describe, expect, test } from 'vitest';
import { parseSchedule, tryParseSchedule } from '../../src/config/schedule.js';

describe('parseSchedule', () => {
  test.each([
    ['manual', { kind: 'manual' }],
    ['instant', { kind: 'instant' }],
    ['interval:30s', { kind: 'interval', everyMs: 30_000 }],
    ['interval:5m', { kind: 'interval', everyMs: 300_000 }],
    ['interval:2h', { kind: 'interval', everyMs: 7_200_000 }],
    ['cron:0 3 * * *', { kind: 'cron', expression: '0 3 * * *' }],
    ['cron:*/15 9-17 * * mon-fri', { kind: 'cron', expression: '*/15 9-17 * * mon-fri' }],
  ])('%s parses', (text, expected) => {
    expect(parseSchedule(text)).toEqual(expected);
  });

  test.each([
    ['interval:5x', undefined],
    ['interval:0m', undefined],
    ['interval:-1m', undefined],
    ['interval:1.5h', undefined],
    ['interval:', undefined],
    ['interval:9000h', undefined],
    ['hourly', undefined],
    ['Manual', undefined],
    ['', undefined],
    ['cron:not a cron', '3 fields'],
    ['cron:0 0 3 * * *', '6 fields'],
    ['cron:@daily', '1 field'],
    ['cron:61 * * * *', 'Invalid value for minute: 61'],
    ['cron:0 0 30 2 *', 'it never fires'],
  ])('%s is rejected', (text, note) => {
    const parsed = tryParseSchedule(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.note).toBe(note);
    expect(() => parseSchedule(text)).toThrow(/invalid schedule/);
  });
});
