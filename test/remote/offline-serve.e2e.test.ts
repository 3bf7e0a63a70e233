import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireSshdInCi, sshdAvailable, startSshd, type Sshd } from '../support/sshd.js';
import { conduitEntry, eventually, ServeArea, startServe, type Served } from '../service/serve-harness.js';

/**
 * Issue 10 "Offline" under `conduit serve`, with a real sshd on 127.0.0.1:
 * an instant conduit whose target is on ssh. The host goes down: the
 * watcher's changes are refused as `unreachable` (with the attempts counted
 * and the next attempt set), kept in the database as offline hints, and
 * survive a restart of serve; once the host answers, the first generation
 * syncs them and clears them. (The CLI side of offline — exit 3, show,
 * nothing deleted, a link killed mid-transfer — is test/remote/offline.e2e.test.ts.)
 */

requireSshdInCi();

interface ConduitDbRow { state: string; attempt_count: number; next_attempt_at: string | null; last_sync_error: string | null; hints: number }

function conduitRow(area: ServeArea, name: string): ConduitDbRow | undefined {
  const db = new Database(area.db, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return db.prepare(`SELECT state, attempt_count, next_attempt_at, last_sync_error,
      (SELECT COUNT(*) FROM offline_hint h WHERE h.conduit_id = c.id) AS hints FROM sync_conduit c WHERE name = ?`).get(name) as ConduitDbRow | undefined;
  } finally {
    db.close();
  }
}

/** Long enough for a few backoffs (2 s, 4 s, 8 s, 16 s with jitter) on a loaded two-core machine. */
const BACK_MS = 90_000;

describe.skipIf(!sshdAvailable())('serve with the far host down', () => {
  let sshdDir: string;
  let sshd: Sshd;
  let area: ServeArea;
  let served: Served | undefined;

  beforeAll(async () => {
    sshdDir = mkdtempSync(join(tmpdir(), 'conduit-sshd-'));
    sshd = await startSshd(sshdDir);
  }, 120_000);
  afterAll(async () => {
    await sshd?.stop();
    rmSync(sshdDir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await served?.stop();
    served = undefined;
    if (!sshd.running) await sshd.start();
    area?.cleanup();
  });

  it('keeps the watcher\'s changes while unreachable (attempts counted, across a restart of serve), and syncs them once the host answers', async () => {
    area = new ServeArea();
    const source = area.path('notes-source');
    const target = area.path('notes-target');
    mkdirSync(source);
    mkdirSync(target);
    writeFileSync(join(source, 'first.txt'), 'first');
    area.writeConfig([conduitEntry('notes', { source, target: sshd.url(target), schedule: 'instant' })]);
    served = await startServe(area, ['--config', area.config], { env: sshd.env() });
    await eventually('the catch-up generation', () => existsSync(join(target, 'first.txt')), Boolean, BACK_MS);

    await sshd.stop();
    // A change brings the refusal (the remote watcher's drop may already have), then one seen while unreachable is kept.
    writeFileSync(join(source, 'first.txt'), 'first, changed while the host was down');
    await eventually('an unreachable refusal', () => conduitRow(area, 'notes'), (row) => row?.state === 'unreachable', BACK_MS);
    writeFileSync(join(source, 'while-down.txt'), 'written while the host was down');
    const down = await eventually('the change kept', () => conduitRow(area, 'notes'),
      (row) => row?.state === 'unreachable' && row.hints >= 1 && row.attempt_count >= 1, BACK_MS);
    expect(down!.last_sync_error).toMatch(/cannot reach/);
    expect(Date.parse(down!.next_attempt_at!)).toBeGreaterThan(0);
    // The backoff grows: a later attempt is due later.
    const later = await eventually('a second attempt', () => conduitRow(area, 'notes'), (row) => (row?.attempt_count ?? 0) >= 2, BACK_MS);
    expect(Date.parse(later!.next_attempt_at!)).toBeGreaterThan(Date.parse(down!.next_attempt_at!));
    expect(existsSync(join(target, 'while-down.txt'))).toBe(false);
    // Nothing deleted or overwritten on either side.
    expect(readFileSync(join(target, 'first.txt'), 'utf8')).toBe('first');
    expect(readFileSync(join(source, 'first.txt'), 'utf8')).toBe('first, changed while the host was down');

    // A restart of serve keeps the hints and the backoff (they are in the database).
    await served.stop();
    expect(conduitRow(area, 'notes')).toMatchObject({ state: 'unreachable' });
    expect(conduitRow(area, 'notes')!.hints).toBeGreaterThanOrEqual(1);
    served = await startServe(area, ['--config', area.config], { env: sshd.env() });

    await sshd.start();
    await eventually('the change kept while offline to land', () => existsSync(join(target, 'while-down.txt')), Boolean, BACK_MS);
    expect(readFileSync(join(target, 'while-down.txt'), 'utf8')).toBe('written while the host was down');
    await eventually('the change to first.txt to land', () => readFileSync(join(target, 'first.txt'), 'utf8'), (t) => t.startsWith('first, changed'), BACK_MS);
    const back = await eventually('the conduit current with no hint left', () => conduitRow(area, 'notes'),
      (row) => row?.state === 'current' && row.hints === 0, BACK_MS);
    expect(back).toMatchObject({ attempt_count: 0, next_attempt_at: null });
  }, 400_000);
});
