import { mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bearerToken, isLoopbackHost, loadOrCreateToken, tokenFilePath, tokenMatches } from '../../src/http/token.js';

describe('loadOrCreateToken', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'conduit-token-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a 0600 token file beside the database at first start and reads it back after', () => {
    const database = join(dir, 'data', 'conduit.db');
    const token = loadOrCreateToken(database, {});
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    const file = tokenFilePath(database);
    expect(file).toBe(join(dir, 'data', 'conduit-api-token'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toBe(token);
    expect(loadOrCreateToken(database, {})).toBe(token);
  });

  it('prefers CONDUIT_API_TOKEN and then writes no file', () => {
    const database = join(dir, 'conduit.db');
    expect(loadOrCreateToken(database, { CONDUIT_API_TOKEN: ' from-the-environment ' })).toBe('from-the-environment');
    expect(() => statSync(tokenFilePath(database))).toThrow();
  });

  it('refuses an empty token file, naming it, instead of silently replacing the token', () => {
    const database = join(dir, 'conduit.db');
    writeFileSync(tokenFilePath(database), '\n');
    expect(() => loadOrCreateToken(database, {})).toThrow(tokenFilePath(database));
  });
});

describe('token helpers', () => {
  it('knows loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect({ host, loopback: isLoopbackHost(host) }).toEqual({ host, loopback: true });
    for (const host of ['0.0.0.0', '::', '192.168.1.5', 'conduit.lan', '128.0.0.1']) expect({ host, loopback: isLoopbackHost(host) }).toEqual({ host, loopback: false });
  });

  it('reads bearer tokens and compares them exactly', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abc', 'abcd')).toBe(false);
  });
});
