import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { createLogger, resolveLogLevel } from '../../src/log.js';

describe('log', () => {
  test('level: the flag, else CONDUIT_LOG_LEVEL, else the command default', () => {
    expect(resolveLogLevel('debug', { CONDUIT_LOG_LEVEL: 'error' }, 'warn')).toBe('debug');
    expect(resolveLogLevel(undefined, { CONDUIT_LOG_LEVEL: 'error' }, 'warn')).toBe('error');
    expect(resolveLogLevel(undefined, {}, 'warn')).toBe('warn');
    expect(resolveLogLevel(undefined, {}, 'info')).toBe('info');
  });

  test('an unknown level names where it came from', () => {
    expect(() => resolveLogLevel('loud', {}, 'warn')).toThrow('--log-level: expected fatal | error | warn | info | debug | trace | silent, got "loud"');
    expect(() => resolveLogLevel(undefined, { CONDUIT_LOG_LEVEL: 'loud' }, 'warn')).toThrow(/^CONDUIT_LOG_LEVEL: expected/);
  });

  test('JSON lines when not pretty, filtered by level', () => {
    const lines: string[] = [];
    const destination = new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done(); } });
    const logger = createLogger({ level: 'warn', pretty: false, destination });
    logger.info('hidden');
    logger.warn({ conduit: 'notes' }, 'shown');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ level: 40, conduit: 'notes', msg: 'shown' });
  });
});
