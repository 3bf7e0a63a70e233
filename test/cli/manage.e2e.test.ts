import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { conduit, ensureBuilt, json } from './cli-harness.js';

interface ConduitJson {
  name: string; uuid: string; source: string; target: string; mode: string; schedule: string; enabled: boolean;
  include: string[]; exclude: string[]; useIndexRules: boolean; conflict: string; parallelTransfers: number;
  bandwidthLimitMbps: number | null; maxDeletePercent: number; checksum: boolean; versioning: unknown;
  verifyTimeoutSeconds: number; sshCommand: string | null; remoteCommand: string | null; state: string; lastSyncCompletedAt: string | null; syncGeneration: number;
  lastSyncError: string | null; totalSyncs: number; filesSynced: number; bytesTransferred: number; createdAt: string; updatedAt: string;
}

let dir: string;
let run: (...args: string[]) => ReturnType<typeof conduit>;

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'conduit-manage-'));
  for (const sub of ['photos', 'notes', 'backups']) mkdirSync(join(dir, sub));
  writeFileSync(join(dir, 'photos/a.jpg'), 'jpeg');
  run = (...args) => conduit(args, { cwd: dir, env: { CONDUIT_DB: join(dir, 'conduit.db') } });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('managing conduits end to end', () => {
  test('add prints the conduit, in text and --json', () => {
    const text = run('add', '--name', 'photos', '--source', 'photos', '--target', 'backups/photos', '--mode', 'mirror', '--schedule', 'interval:5m', '--exclude', '*.tmp');
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Added conduit "photos".');
    expect(text.stdout).toMatch(new RegExp(`^source +${join(dir, 'photos')}$`, 'm'));
    expect(text.stdout).toMatch(new RegExp(`^target +${join(dir, 'backups/photos')}$`, 'm'));
    expect(text.stdout).toMatch(/^schedule +interval:5m$/m);

    const added = json<ConduitJson>(run('--json', 'add', '--name', 'notes', '--source', 'notes', '--target', 'notes-desktop', '--mode', 'bidirectional',
      '--conflict', 'newer', '--include', 'docs/', '--include', '*.md', '--parallel', '8', '--bandwidth-limit', '12.5', '--max-delete', '20', '--checksum'));
    expect(added).toEqual({
      name: 'notes', uuid: expect.stringMatching(/^[0-9a-f-]{36}$/), source: join(dir, 'notes'), target: join(dir, 'notes-desktop'),
      mode: 'bidirectional', schedule: 'manual', enabled: true, include: ['docs/', '*.md'], exclude: [], useIndexRules: true,
      conflict: 'newer', parallelTransfers: 8, bandwidthLimitMbps: 12.5, maxDeletePercent: 20, checksum: true, versioning: null,
      verifyTimeoutSeconds: 30, sshCommand: null, remoteCommand: null, state: 'never_synced', lastSyncCompletedAt: null, syncGeneration: 0, lastSyncError: null,
      totalSyncs: 0, filesSynced: 0, bytesTransferred: 0, createdAt: expect.any(String), updatedAt: expect.any(String),
      managedBy: null, pendingPaths: 0, attemptCount: 0, nextAttemptAt: null, offlineHints: 0,
    });
  });

  test('list shows an aligned table, and --json the conduit objects', () => {
    const text = run('list');
    expect(text.code).toBe(0);
    const [header = '', ...rows] = text.stdout.trimEnd().split('\n');
    expect(header.split(/ {2,}/)).toEqual(['NAME', 'MODE', 'SCHEDULE', 'STATE', 'LAST SYNC', 'GENERATIONS']);
    expect(rows.map((row) => row.split(/ {2,}/))).toEqual([
      ['notes', 'bidirectional', 'manual', 'never_synced', 'never', '0'],
      ['photos', 'mirror', 'interval:5m', 'never_synced', 'never', '0'],
    ]);
    for (const column of ['MODE', 'SCHEDULE', 'STATE', 'LAST SYNC', 'GENERATIONS']) {
      const at = header.indexOf(column);
      for (const row of rows) expect(row[at - 1]).toBe(' ');
    }
    const listed = json<ConduitJson[]>(run('list', '--json'));
    expect(listed.map((c) => [c.name, c.mode, c.state, c.exclude])).toEqual([['notes', 'bidirectional', 'never_synced', []], ['photos', 'mirror', 'never_synced', ['*.tmp']]]);
  });

  test('show prints one conduit; --json adds its last generation', () => {
    const text = run('show', 'notes');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^mode +bidirectional$/m);
    expect(text.stdout).toMatch(/^conflict +newer$/m);
    expect(text.stdout).toMatch(/^include +docs\/, \*\.md$/m);
    expect(text.stdout).toMatch(/^bandwidth limit +12\.5 Mbit\/s \(1\.5 MiB\/s\)$/m);
    expect(text.stdout).toMatch(/^totals +0 syncs, 0 files, 0 B$/m);
    const shown = json<ConduitJson & { lastGeneration: unknown }>(run('--json', 'show', 'photos'));
    expect(shown).toMatchObject({ name: 'photos', schedule: 'interval:5m', lastGeneration: null });
  });

  test('edit changes only the flags given and validates the whole', () => {
    const before = json<ConduitJson>(run('--json', 'show', 'notes'));
    const edited = json<ConduitJson>(run('--json', 'edit', 'notes', '--schedule', 'cron:0 3 * * *', '--exclude', 'cache/', '--no-bandwidth-limit', '--no-checksum'));
    expect(edited).toEqual({
      ...before, schedule: 'cron:0 3 * * *', exclude: ['cache/'], bandwidthLimitMbps: null, checksum: false,
      updatedAt: expect.any(String), lastGeneration: undefined, pending: undefined,
    });
    const text = run('edit', 'photos', '--name', 'pictures', '--no-index-rules');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Updated conduit "pictures".');
    expect(text.stdout).toMatch(/^index rules +no$/m);
    expect(json<ConduitJson>(run('--json', 'show', 'pictures')).useIndexRules).toBe(false);
    expect(run('show', 'photos')).toMatchObject({ code: 2, stderr: 'conduit: no conduit named "photos"\n' });
  });

  test('disable and enable move the state, and list shows it', () => {
    expect(run('disable', 'pictures')).toMatchObject({ code: 0, stdout: 'Disabled conduit "pictures".\n' });
    expect(run('list').stdout).toMatch(/^pictures +mirror +interval:5m +disabled +never +0$/m);
    expect(json<ConduitJson>(run('--json', 'show', 'pictures'))).toMatchObject({ enabled: false, state: 'disabled' });
    const enabled = json<ConduitJson>(run('--json', 'enable', 'pictures'));
    expect(enabled).toMatchObject({ enabled: true, state: 'never_synced' });
    expect(run('enable', 'pictures').stdout).toBe('Enabled conduit "pictures" (state: never_synced).\n');
  });

  test('export prints a config that import accepts: the round trip reproduces every conduit', () => {
    const exported = json<{ database: string; conduits: Record<string, unknown>[] }>(run('export'));
    expect(exported.database).toBe(join(dir, 'conduit.db'));
    expect(exported.conduits.map((c) => c['name'])).toEqual(['notes', 'pictures']);
    expect(exported.conduits[1]).not.toHaveProperty('conflict');
    writeFileSync(join(dir, 'exported.json'), JSON.stringify(exported));
    const other = join(dir, 'other.db');
    const imported = json<{ created: string[]; updated: string[] }>(conduit(['--db', other, '--json', 'import', 'exported.json'], { cwd: dir }));
    expect(imported).toMatchObject({ created: ['notes', 'pictures'], updated: [] });
    const reexported = json<{ conduits: unknown[] }>(conduit(['--db', other, 'export'], { cwd: dir }));
    expect(reexported.conduits).toEqual(exported.conduits);
    // Importing the same file again updates in place.
    expect(conduit(['--db', other, 'import', 'exported.json'], { cwd: dir }).stdout).toContain('0 created, 0 updated, 2 unchanged (notes, pictures)');
  });

  test('remove forgets the conduit and leaves its folders alone', () => {
    mkdirSync(join(dir, 'backups/photos'));
    writeFileSync(join(dir, 'backups/photos/a.jpg'), 'jpeg');
    const removed = run('remove', 'pictures');
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain('Removed conduit "pictures"');
    expect(readFileSync(join(dir, 'photos/a.jpg'), 'utf8')).toBe('jpeg');
    expect(readFileSync(join(dir, 'backups/photos/a.jpg'), 'utf8')).toBe('jpeg');
    expect(json<ConduitJson[]>(run('--json', 'list')).map((c) => c.name)).toEqual(['notes']);
    expect(json(run('--json', 'remove', 'notes'))).toEqual({ removed: 'notes', source: join(dir, 'notes'), target: join(dir, 'notes-desktop') });
    expect(run('list').stdout).toContain('No conduits yet.');
  });
});

describe('the database and the process edges', () => {
  test('--db beats CONDUIT_DB, which beats the config\'s database, which beats ./conduit.db', () => {
    const work = mkdtempSync(join(dir, 'db-choice-'));
    mkdirSync(join(work, 'src'));
    writeFileSync(join(work, 'config.json'), JSON.stringify({ database: 'from-config.db', conduits: [{ name: 'c', source: 'src', target: 'dst', mode: 'mirror' }] }));
    expect(conduit(['import', 'config.json'], { cwd: work }).code).toBe(0);
    expect(existsSync(join(work, 'from-config.db'))).toBe(true);
    expect(conduit(['import', 'config.json'], { cwd: work, env: { CONDUIT_DB: join(work, 'env.db') } }).code).toBe(0);
    expect(existsSync(join(work, 'env.db'))).toBe(true);
    expect(conduit(['--db', 'flag.db', 'import', 'config.json'], { cwd: work, env: { CONDUIT_DB: join(work, 'env.db') } }).code).toBe(0);
    expect(existsSync(join(work, 'flag.db'))).toBe(true);
    expect(conduit(['list'], { cwd: work }).stdout).toContain('No conduits yet.');
    expect(existsSync(join(work, 'conduit.db'))).toBe(true);
  });

  test('--json keeps stdout pure JSON even with debug logs (they go to stderr)', () => {
    const result = conduit(['--json', '--log-level', 'debug', 'list'], { cwd: dir, env: { CONDUIT_DB: join(dir, 'conduit.db') } });
    expect(JSON.parse(result.stdout)).toEqual([]);
    expect(result.stderr).toContain('opening store');
  });

  test('usage errors from the parser exit 2 with one line', () => {
    for (const [args, message] of [
      [['list', '--bogus'], "conduit: unknown option '--bogus'\n"],
      [['show'], "conduit: missing required argument 'name'\n"],
      [['frobnicate'], "conduit: unknown command 'frobnicate'\n"],
      [['edit', 'x'], 'conduit: edit x: nothing to change (give at least one flag, see conduit edit --help)\n'],
    ] as const) {
      expect(conduit(args, { cwd: dir, env: { CONDUIT_DB: join(dir, 'conduit.db') } })).toMatchObject({ code: 2, stderr: message });
    }
    expect(conduit(['--help'], { cwd: dir }).code).toBe(0);
  });

  test('an unexpected failure is one line and exit 1, no stack trace', () => {
    writeFileSync(join(dir, 'not-a-db'), 'this is not sqlite, just some text that is long enough to be read as a header..........');
    const result = conduit(['--db', 'not-a-db', 'list'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^conduit: .*not-a-db.*not a conduit database/);
  });
});
