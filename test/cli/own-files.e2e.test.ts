import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { conduit, ensureBuilt, json, repoRoot, type CliResult } from './cli-harness.js';

/**
 * Issue 8 §3: conduit's own files (the database, its -wal/-shm/-journal, the
 * API token file beside it) are never part of a synced tree. A root that
 * contains one is refused by add, edit, import and serve --config — one line
 * naming the flag (or field) and the file, exit 2, nothing written — and the
 * scan never lists them, should a database end up inside a root anyway.
 */

let dir: string;
const p = (...parts: string[]) => join(dir, ...parts);
const cli = (args: readonly string[], cwd = dir, env: Record<string, string | undefined> = {}): CliResult => conduit(args, { cwd, env });

beforeAll(() => ensureBuilt(), 180_000);
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'conduit-own-files-'));
  mkdirSync(p('src/photos'), { recursive: true });
  writeFileSync(p('src/photos/a.jpg'), 'photo bytes');
  mkdirSync(p('bk'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Exactly one line on stderr (matching `line`), exit 2, nothing on stdout. */
function expectRefused(result: CliResult, line: RegExp): void {
  const lines = result.stderr.split('\n').filter((l) => l !== '');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(line);
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
}

/** A database in bk/ that already holds a conduit (and so the user's history). */
function seededDatabase(): { db: string; exportBefore: string } {
  mkdirSync(p('other-src'));
  const db = p('bk/conduit.db');
  const seeded = cli(['--db', db, 'add', '--name', 'seed', '--source', 'other-src', '--target', 'other-dst', '--mode', 'mirror']);
  expect(seeded.code, seeded.stderr).toBe(0);
  return { db, exportBefore: cli(['--db', db, 'export']).stdout };
}

describe('a root holding the database is refused', () => {
  test('add --target <the database folder> (the first run of the mirror would delete the database): exit 2, no database created', () => {
    const result = cli(['--db', 'bk/conduit.db', 'add', '--name', 'x', '--source', 'src', '--target', 'bk', '--mode', 'mirror']);
    expectRefused(result, new RegExp(`^conduit: --target: .*conduit's own files.*got "${p('bk')}".*${p('bk/conduit.db')}`));
    expect(readdirSync(p('bk'))).toEqual([]);
  });

  test('add --target <the database folder> with a database that has history: exit 2, database unchanged', () => {
    const { db, exportBefore } = seededDatabase();
    expectRefused(cli(['--db', db, 'add', '--name', 'x', '--source', 'src', '--target', 'bk', '--mode', 'mirror']), /^conduit: --target: .*conduit\.db/);
    expect(cli(['--db', db, 'export']).stdout).toBe(exportBefore);
  });

  test('add --target . run inside the folder holding the database (CONDUIT_DB relative)', () => {
    const { exportBefore } = seededDatabase();
    const result = cli(['add', '--name', 'x', '--source', '../src', '--target', '.', '--mode', 'mirror'], p('bk'), { CONDUIT_DB: 'conduit.db' });
    expectRefused(result, new RegExp(`^conduit: --target: .*got "${p('bk')}"`));
    expect(cli(['--db', p('bk/conduit.db'), 'export']).stdout).toBe(exportBefore);
  });

  test('add --source <a folder above the database> (bidirectional would write into it too)', () => {
    mkdirSync(p('data/db'), { recursive: true });
    const result = cli(['--db', 'data/db/conduit.db', 'add', '--name', 'x', '--source', 'data', '--target', 'copy', '--mode', 'bidirectional']);
    expectRefused(result, new RegExp(`^conduit: --source: .*got "${p('data')}".*${p('data/db/conduit.db')}`));
  });

  test('add through a symlinked parent: the real paths are compared', () => {
    symlinkSync(p('bk'), p('bk-link'));
    const { exportBefore } = seededDatabase();
    expectRefused(cli(['--db', 'bk/conduit.db', 'add', '--name', 'x', '--source', 'src', '--target', 'bk-link', '--mode', 'mirror']), /^conduit: --target: /);
    expect(cli(['--db', 'bk/conduit.db', 'export']).stdout).toBe(exportBefore);
  });

  test('add --target <a folder that does not exist yet> for a database that would be created inside it', () => {
    const result = cli(['--db', 'new-bk/conduit.db', 'add', '--name', 'x', '--source', 'src', '--target', 'new-bk', '--mode', 'mirror']);
    expectRefused(result, /^conduit: --target: .*new-bk\/conduit\.db/);
    expect(existsSync(p('new-bk'))).toBe(false);
  });

  test('a root inside the database\'s folder is fine', () => {
    const result = cli(['--db', 'bk/conduit.db', 'add', '--name', 'x', '--source', 'src', '--target', 'bk/photos-copy', '--mode', 'mirror']);
    expect(result.code, result.stderr).toBe(0);
    const run = cli(['--db', 'bk/conduit.db', 'run', 'x']);
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(p('bk/photos-copy/photos/a.jpg'))).toBe(true);
  });

  test('edit moving a root onto the database folder: exit 2 naming the flag that changed, conduit unchanged', () => {
    const { db, exportBefore } = seededDatabase();
    expectRefused(cli(['--db', db, 'edit', 'seed', '--target', 'bk']), /^conduit: --target: .*conduit's own files.*conduit\.db/);
    expectRefused(cli(['--db', db, 'edit', 'seed', '--source', 'bk']), /^conduit: --source: .*conduit's own files.*conduit\.db/);
    expect(cli(['--db', db, 'export']).stdout).toBe(exportBefore);
  });

  test('import of a config with such a conduit: exit 2 naming the field path, nothing imported', () => {
    const { db, exportBefore } = seededDatabase();
    writeFileSync(p('conduits.json'), JSON.stringify({
      database: './bk/conduit.db',
      conduits: [
        { name: 'fine', source: './src', target: './copy', mode: 'mirror' },
        { name: 'x', source: './src', target: './bk', mode: 'mirror' },
      ],
    }));
    expectRefused(cli(['import', 'conduits.json']), /^conduit: conduits\.json: conduits\[1\]\.target: .*conduit's own files.*bk\/conduit\.db/);
    expect(cli(['--db', db, 'export']).stdout).toBe(exportBefore);
  });

  test('import with --db overriding the config\'s database: the database actually used is protected', () => {
    writeFileSync(p('conduits.json'), JSON.stringify({ conduits: [{ name: 'x', source: './src', target: './bk', mode: 'mirror' }] }));
    expectRefused(cli(['--db', 'bk/conduit.db', 'import', 'conduits.json']), /^conduit: conduits\.json: conduits\[0\]\.target: .*bk\/conduit\.db/);
    expect(existsSync(p('bk/conduit.db'))).toBe(false);
  });

  test('serve --config with such a conduit: exit 2, one line, nothing imported', () => {
    const { db, exportBefore } = seededDatabase();
    writeFileSync(p('conduits.json'), JSON.stringify({ database: './bk/conduit.db', conduits: [{ name: 'x', source: './src', target: './bk', mode: 'mirror' }] }));
    // Bounded: before the fix serve accepted the file and ran until killed.
    const result = spawnSync(process.execPath, [join(repoRoot, 'bin/conduit.js'), 'serve', '--config', 'conduits.json', '--port', '0'], {
      cwd: dir, encoding: 'utf8', timeout: 30_000, env: { ...process.env, CONDUIT_DB: '', CONDUIT_LOG_LEVEL: 'error', CONDUIT_API_TOKEN: 'serve-token-0123456789abcdef' },
    });
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/conduits\.json: conduits\[0\]\.target: .*conduit's own files/);
    expect(cli(['--db', db, 'export']).stdout).toBe(exportBefore);
  });
});

describe('the scan never lists conduit\'s own files', () => {
  test('a database moved into a mirror\'s target after the conduit was added survives the run, with its history', () => {
    mkdirSync(p('state'));
    const added = cli(['--db', 'state/conduit.db', 'add', '--name', 'x', '--source', 'src', '--target', 'bk', '--mode', 'mirror', '--max-delete', '100']);
    expect(added.code, added.stderr).toBe(0);
    writeFileSync(p('bk/stale.txt'), 'not in the source: the mirror deletes it');
    // The admin moves the data directory into the backup folder and points conduit at it.
    renameSync(p('state/conduit.db'), p('bk/conduit.db'));
    for (const suffix of ['-wal', '-shm']) if (existsSync(p(`state/conduit.db${suffix}`))) renameSync(p(`state/conduit.db${suffix}`), p(`bk/conduit.db${suffix}`));
    writeFileSync(p('bk/conduit-api-token'), 'secret-token-0123456789\n');
    const run = cli(['--db', 'bk/conduit.db', '--json', 'run', 'x']);
    expect(run.code, run.stderr).toBe(0);
    expect(json<{ status: string }>(run).status).toBe('completed');
    expect(existsSync(p('bk/stale.txt'))).toBe(false);
    expect(existsSync(p('bk/photos/a.jpg'))).toBe(true);
    expect(existsSync(p('bk/conduit.db'))).toBe(true);
    expect(existsSync(p('bk/conduit-api-token'))).toBe(true);
    const history = json<unknown[]>(cli(['--db', 'bk/conduit.db', '--json', 'history', 'x']));
    expect(history).toHaveLength(1);
    expect(existsSync(p('src/conduit.db'))).toBe(false);
  });
});
