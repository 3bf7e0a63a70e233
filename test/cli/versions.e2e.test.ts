import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { conduit, ensureBuilt, json, type CliResult } from './cli-harness.js';
import { put, readTree, tempArea, writeTree, type TempArea } from '../support/tree.js';

/**
 * Issue 11 §3: `conduit versions <conduit> [path]` and `conduit restore
 * <conduit> <path> [--at <time>]` for what `versioning` kept, through the
 * real CLI on real folders.
 */

interface VersionJson { path: string; side: string; versionPath: string; keptAt: string; size: number }
interface RestoreJson { restored: VersionJson; replacedVersionPath: string | null; generation: { generation: number; trigger: string; status: string; filesCopied: number } }

let area: TempArea;
let cli: (...args: string[]) => CliResult;

beforeAll(() => ensureBuilt());
afterEach(() => area?.cleanup());

/** A conduit with versioning in `.v` of each written root, made through a config file (the only way to set versioning). */
function setup(mode = 'mirror', versioning: Record<string, unknown> = { dir: '.v', keepDays: 3650 }): void {
  area = tempArea('conduit-versions-e2e-');
  cli = (...args) => conduit(args, { cwd: area.base, env: { CONDUIT_DB: area.db } });
  fs.writeFileSync(join(area.base, 'c.json'), JSON.stringify({
    conduits: [{ name: 'm', source: './source', target: './target', mode, versioning }],
  }));
  const r = cli('import', 'c.json');
  expect(r.code, r.stderr).toBe(0);
}

function run(): void {
  const r = cli('run', 'm');
  expect(r.code, r.stderr).toBe(0);
}

describe('conduit versions', () => {
  it('lists what a mirror kept on the target, newest first, with path, side, size and time; a path narrows it', () => {
    setup();
    writeTree(area.source, { 'docs/a.txt': 'first', 'b.txt': 'bee' });
    run();
    put(area.source, 'docs/a.txt', 'second version');
    fs.rmSync(join(area.source, 'b.txt'));
    run();

    const all = json<VersionJson[]>(cli('--json', 'versions', 'm'));
    expect(all.map((v) => [v.path, v.side, v.size]).sort()).toEqual([['b.txt', 'target', 3], ['docs/a.txt', 'target', 5]]);
    for (const v of all) {
      expect(fs.readFileSync(v.versionPath, 'utf8')).toBe(v.path === 'b.txt' ? 'bee' : 'first');
      expect(v.versionPath.startsWith(join(area.target, '.v') + '/')).toBe(true);
      expect(Number.isNaN(Date.parse(v.keptAt))).toBe(false);
    }
    expect(json<VersionJson[]>(cli('--json', 'versions', 'm', 'docs')).map((v) => v.path)).toEqual(['docs/a.txt']);
    expect(json<VersionJson[]>(cli('--json', 'versions', 'm', 'docs/')).map((v) => v.path)).toEqual(['docs/a.txt']);
    expect(json<VersionJson[]>(cli('--json', 'versions', 'm', 'doc'))).toEqual([]);

    const text = cli('versions', 'm');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/KEPT AT\s+SIDE\s+SIZE\s+PATH/);
    expect(text.stdout).toContain('docs/a.txt');
  });

  it('orders by the stamp in the names, and a link inside the versions folder is never followed', () => {
    setup();
    fs.mkdirSync(area.target);
    const outside = join(area.base, 'outside');
    writeTree(outside, { 'n.20260301T000000Z.txt': 'outside' });
    writeTree(join(area.target, '.v'), {
      'n.20260101T000000Z.txt': 'jan', 'n.20260201T000000Z.txt': 'feb', 'n.20260201T000000Z-2.txt': 'feb, later', 'README': 'not a version',
    });
    fs.symlinkSync(outside, join(area.target, '.v', 'linked'));

    const listed = json<VersionJson[]>(cli('--json', 'versions', 'm'));
    expect(listed.map((v) => [v.path, v.keptAt, v.size])).toEqual([
      ['n.txt', '2026-02-01T00:00:00.000Z', 10], ['n.txt', '2026-02-01T00:00:00.000Z', 3], ['n.txt', '2026-01-01T00:00:00.000Z', 3],
    ]);
  });

  it('a conduit without versioning keeps none; an unknown conduit is exit 2', () => {
    setup('mirror', { dir: '.v' });
    fs.writeFileSync(join(area.base, 'off.json'), JSON.stringify({ conduits: [{ name: 'off', source: './source', target: './t2', mode: 'mirror' }] }));
    expect(cli('import', 'off.json').code).toBe(0);
    expect(json(cli('--json', 'versions', 'off'))).toEqual([]);
    expect(cli('versions', 'off').stdout).toMatch(/keeps no versions/);
    const unknown = cli('versions', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('conduit: no conduit named "nope"\n');
  });
});

describe('conduit restore', () => {
  it('puts the newest version back, keeps the file it replaces as a version, and records a manual generation', () => {
    setup('bidirectional');
    writeTree(area.source, { 'docs/a.txt': 'one' });
    run();
    put(area.source, 'docs/a.txt', 'two two');
    run(); // the target's "one" is kept in target/.v

    const r = cli('--json', 'restore', 'm', 'docs/a.txt');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as RestoreJson;
    expect(out.restored).toMatchObject({ path: 'docs/a.txt', side: 'target', size: 3 });
    expect(fs.readFileSync(join(area.target, 'docs/a.txt'), 'utf8')).toBe('one');
    expect(out.replacedVersionPath).not.toBeNull();
    expect(fs.readFileSync(out.replacedVersionPath!, 'utf8')).toBe('two two');
    expect(out.generation).toMatchObject({ trigger: 'manual', status: 'completed', filesCopied: 1 });

    const events = json<{ events: Array<{ action: string; path: string; side: string; message: string }> }>(
      cli('--json', 'show-generation', 'm', String(out.generation.generation)),
    ).events;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ action: 'copy', path: 'docs/a.txt', side: 'target' });
    expect(events[0]!.message).toContain('restored from');
    // The baseline was left alone: the next generation carries the restored file to the other side.
    run();
    expect(fs.readFileSync(join(area.source, 'docs/a.txt'), 'utf8')).toBe('one');
  });

  it('--at picks the version kept nearest at or before that time; a missing parent directory is made', () => {
    setup();
    fs.mkdirSync(area.target);
    writeTree(join(area.target, '.v'), { 'deep/n.20260101T000000Z.txt': 'jan', 'deep/n.20260201T000000Z.txt': 'feb' });

    const r = cli('restore', 'm', 'deep/n.txt', '--at', '2026-01-15T00:00:00Z');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Restored deep\/n\.txt on the target from the version kept at 2026-01-01 00:00:00Z/);
    expect(fs.readFileSync(join(area.target, 'deep/n.txt'), 'utf8')).toBe('jan');

    expect(cli('restore', 'm', 'deep/n.txt', '--at', '20260201T000000Z').code).toBe(0);
    expect(fs.readFileSync(join(area.target, 'deep/n.txt'), 'utf8')).toBe('feb');

    const tooEarly = cli('restore', 'm', 'deep/n.txt', '--at', '2025-12-31');
    expect(tooEarly.code).toBe(2);
    expect(tooEarly.stderr).toBe('conduit: conduit "m" keeps no version of "deep/n.txt" at or before 2025-12-31T00:00:00.000Z (the oldest is from 2026-01-01T00:00:00.000Z)\n');
  });

  it('never writes outside the root: a parent directory swapped for a link is refused (exit 3), recorded failed, nothing written there', () => {
    setup();
    fs.mkdirSync(area.target);
    const outside = join(area.base, 'outside');
    fs.mkdirSync(outside);
    writeTree(join(area.target, '.v'), { 'docs/n.20260101T000000Z.txt': 'jan' });
    fs.symlinkSync(outside, join(area.target, 'docs'));

    const r = cli('restore', 'm', 'docs/n.txt');
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^conduit: could not restore m: docs\/n\.txt: parent is not the directory scanned: .*docs' is now a symbolic link .*\(recorded as generation 1\)\n$/);
    expect(fs.readdirSync(outside)).toEqual([]);
    const history = json<Array<{ status: string }>>(cli('--json', 'history', 'm'));
    expect(history.map((g) => g.status)).toEqual(['failed']);
  });

  it('bad input is one line, exit 2, nothing changed', () => {
    setup();
    fs.mkdirSync(area.target);
    writeTree(join(area.target, '.v'), { 'n.20260101T000000Z.txt': 'jan' });
    const before = readTree(area.target);
    const cases: Array<[string[], string]> = [
      [['restore', 'm', 'n.txt', '--at', 'yesterday'], 'conduit: --at: expected a time such as 2026-11-23T05:15:00Z or 20261123T051500Z, got "yesterday"\n'],
      [['restore', 'm', 'other.txt'], 'conduit: conduit "m" keeps no version of "other.txt" (see conduit versions m)\n'],
      [['restore', 'm', '../n.txt'], 'conduit: path: expected a path inside the conduit, got "../n.txt"\n'],
      [['restore', 'nope', 'n.txt'], 'conduit: no conduit named "nope"\n'],
    ];
    for (const [args, stderr] of cases) {
      const r = cli(...args);
      expect([r.code, r.stderr], args.join(' ')).toEqual([2, stderr]);
    }
    expect(readTree(area.target)).toEqual(before);
    expect(json(cli('--json', 'history', 'm'))).toEqual([]);
  });
});
