import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { stopScanWorkers } from '../../src/engine/scan.js';
import { engineHarness, type EngineHarness } from '../support/engine.js';

/**
 * Issue 8 §3, defence in depth: whatever add/edit/import let through (a
 * database moved into a root later, another --db at run time), a generation
 * never lists conduit's own files, nor the versioning folder, under any root.
 * The conduits here are written to the store directly, past validation.
 */

let dir: string;
let h: EngineHarness | undefined;
const p = (...parts: string[]) => join(dir, ...parts);

afterEach(() => {
  h?.close();
  h = undefined;
  rmSync(dir, { recursive: true, force: true });
});
afterAll(async () => {
  await stopScanWorkers();
});

function area(): void {
  dir = mkdtempSync(join(tmpdir(), 'conduit-own-excluded-'));
  mkdirSync(p('src/docs'), { recursive: true });
  writeFileSync(p('src/docs/a.txt'), 'alpha');
  mkdirSync(p('bk'));
}

describe('a database inside a root', () => {
  it('a mirror neither deletes it (and its -wal/-shm, the token file) nor copies a source file of the same name over it', async () => {
    area();
    // A user's own file at the same relative path in the source: were it visible, the mirror would copy it over the database.
    writeFileSync(p('src/conduit.db'), 'a user file that happens to share the name');
    writeFileSync(p('bk/conduit-api-token'), 'secret-token-0123456789\n');
    writeFileSync(p('bk/stale.txt'), 'the mirror deletes this');
    h = await engineHarness(p('bk/conduit.db'), { source: p('src'), target: p('bk'), mode: 'mirror', maxDeletePercent: 100 });
    const result = await h.run();
    expect(result.record.status).toBe('completed');
    expect(readdirSync(p('bk')).filter((name) => !name.startsWith('conduit')).sort()).toEqual(['docs']);
    expect(existsSync(p('bk/conduit.db-wal'))).toBe(true);
    expect(readFileSync(p('bk/conduit-api-token'), 'utf8')).toBe('secret-token-0123456789\n');
    // The database is the real one still: its history has the generation just run.
    expect(h.store.listGenerations(h.store.getConduit('c')!.id, { limit: 5 })).toHaveLength(1);
    expect(readFileSync(p('src/conduit.db'), 'utf8')).toBe('a user file that happens to share the name');
  });

  it('bidirectional: the database in the source is not copied to the target', async () => {
    area();
    h = await engineHarness(p('src/conduit.db'), { source: p('src'), target: p('bk'), mode: 'bidirectional', maxDeletePercent: 100 });
    const result = await h.run();
    expect(result.record.status).toBe('completed');
    expect(readdirSync(p('bk')).sort()).toEqual(['docs']);
  });

  it('a database reached through a symlinked folder is recognised by its real path', async () => {
    area();
    symlinkSync(p('bk'), p('bk-link'));
    writeFileSync(p('bk/stale.txt'), 'the mirror deletes this');
    h = await engineHarness(p('bk-link/conduit.db'), { source: p('src'), target: p('bk'), mode: 'mirror', maxDeletePercent: 100 });
    expect((await h.run()).record.status).toBe('completed');
    expect(existsSync(p('bk/conduit.db'))).toBe(true);
    expect(existsSync(p('bk/stale.txt'))).toBe(false);
  });
});

describe('the versioning folder', () => {
  it('an absolute versioning dir given through a symlink to the target is excluded there: old versions survive the next mirror run', async () => {
    area();
    mkdirSync(p('state'));
    symlinkSync(p('bk'), p('bk-link'));
    h = await engineHarness(p('state/conduit.db'), {
      source: p('src'), target: p('bk'), mode: 'mirror', maxDeletePercent: 100, versioning: { dir: p('bk-link/.old'), keepDays: 30 },
    });
    expect((await h.run()).record.status).toBe('completed');
    unlinkSync(p('src/docs/a.txt'));
    expect((await h.run()).record.status).toBe('completed');
    const versions = () => readdirSync(p('bk/.old/docs'));
    expect(versions()).toHaveLength(1);
    const third = await h.run();
    expect(third.record).toMatchObject({ status: 'completed', filesDeleted: 0 });
    expect(versions()).toHaveLength(1);
  });
});
