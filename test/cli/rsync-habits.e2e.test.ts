import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { conduit, ensureBuilt, json, repoRoot, type CliResult } from './cli-harness.js';
import { startConduit, waitFor } from '../support/processes.js';
import { put, readTree, tempArea, writeTree, type TempArea } from '../support/tree.js';

/**
 * Issue 11 §3, "CLI habits of rsync and rclone users", through the real CLI
 * in a child process on real folders: each `describe` is one bullet.
 */

interface GenerationJson {
  conduit: string; generation: number; status: string; dryRun: boolean; filesCopied: number; filesDeleted: number;
  errors: Array<{ path: string; op: string; message: string }>;
}
interface ConduitJson { name: string; source: string; target: string; mode: string; exclude: string[]; include: string[]; maxDeletePercent: number; bandwidthLimitMbps: number | null }

let area: TempArea;
let cli: (...args: string[]) => CliResult;

beforeAll(() => ensureBuilt());
afterEach(() => area?.cleanup());

function setup(): void {
  area = tempArea('conduit-rsync-habits-');
  cli = (...args) => conduit(args, { cwd: area.base, env: { CONDUIT_DB: area.db } });
}
function ok(...args: string[]): CliResult {
  const r = cli(...args);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}
function add(name: string, ...flags: string[]): void {
  ok('add', '--name', name, '--source', area.source, '--target', area.target, ...flags);
}
function runJson(...args: string[]): { code: number; out: GenerationJson; stderr: string } {
  const r = cli('--json', 'run', ...args);
  return { code: r.code, out: JSON.parse(r.stdout) as GenerationJson, stderr: r.stderr };
}
function generations(name: string): GenerationJson[] {
  return json<GenerationJson[]>(cli('--json', 'history', name));
}
function show(name: string): ConduitJson {
  return json<ConduitJson>(cli('--json', 'show', name));
}
/** Bad input: exactly one line naming what was wrong, exit 2. */
function expectBadInput(args: string[], line: string | RegExp): void {
  const r = cli(...args);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
  expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  if (typeof line === 'string') expect(r.stderr).toBe(`${line}\n`);
  else expect(r.stderr).toMatch(line);
  expect(r.stdout).toBe('');
}

describe('conduit --version', () => {
  it('prints the package version and exits 0 (was: exit 2, unknown option)', () => {
    setup();
    const version = (JSON.parse(fs.readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
    const r = cli('--version');
    expect([r.code, r.stdout, r.stderr]).toEqual([0, `${version}\n`, '']);
    expect(fs.existsSync(area.db)).toBe(false);
  });
});

describe('-n, -v, --progress', () => {
  it('-n is --dry-run: planned, recorded as a dry run, nothing written', () => {
    setup();
    writeTree(area.source, { 'a.txt': 'a' });
    add('m', '--mode', 'mirror');
    const { code, out } = runJson('m', '-n');
    expect(code).toBe(0);
    expect(out.dryRun).toBe(true);
    expect(fs.existsSync(join(area.target, 'a.txt'))).toBe(false);
  });

  it('-v prints one line per action (action, side, path), for a run and for a dry run', () => {
    setup();
    writeTree(area.source, { 'a.txt': 'aaa', 'd/b.txt': 'bb' });
    fs.mkdirSync(area.target);
    writeTree(area.target, { 'old.txt': 'x', 'keep.txt': 'k' });
    add('m', '--mode', 'mirror', '--max-delete', '100');

    const planned = ok('run', 'm', '-n', '-v').stdout;
    expect(planned).toMatch(/^copy +target +a\.txt\b/m);
    expect(planned).toMatch(/^mkdir +target +d$/m);
    expect(planned).toMatch(/^delete +target +old\.txt$/m);
    expect(fs.existsSync(join(area.target, 'old.txt'))).toBe(true);

    const ran = ok('run', 'm', '-v').stdout;
    const actionLines = ran.split('\n').filter((line) => /^(copy|mkdir|delete|skip|error) /.test(line));
    expect(actionLines.map((line) => line.split(/ +/).slice(0, 3).join(' ')).sort()).toEqual([
      'copy target a.txt', 'copy target d/b.txt', 'delete target keep.txt', 'delete target old.txt', 'mkdir target d',
    ]);
    expect(ran).toMatch(/^copy +target +a\.txt +3 B$/m);
    // Without -v, no per-action lines.
    put(area.source, 'a.txt', 'changed');
    expect(ok('run', 'm').stdout).not.toMatch(/^copy /m);
  });

  it('--progress shows %, actions, bytes, a current rate and an ETA (on stderr, even when it is not a terminal)', () => {
    setup();
    writeTree(area.source, { 'a.bin': Buffer.alloc(300_000, 1), 'b.bin': Buffer.alloc(200_000, 2) });
    add('m', '--mode', 'mirror');
    const r = ok('run', 'm', '--progress');
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[lines.length - 1]).toMatch(/^m #1 +100% +2\/2 actions +488\.3 KiB\/488\.3 KiB +[0-9.]+ [KMG]?i?B\/s +ETA 0:00$/);
    // Without --progress and not on a terminal: silent.
    put(area.source, 'a.bin', 'x');
    expect(ok('run', 'm').stderr).toBe('');
  });
});

describe('--max-delete takes a count or a percentage; --bwlimit takes rsync/rclone units', () => {
  function tenFilesMirrored(): void {
    setup();
    writeTree(area.source, Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`f${i}.txt`, `file ${i}`])));
    add('m', '--mode', 'mirror');
    ok('run', 'm');
    for (const i of [0, 1, 2]) fs.rmSync(join(area.source, `f${i}.txt`));
  }

  it('run --max-delete 2 refuses a run deleting 3 files (exit 3); --max-delete 3 lets it through', () => {
    tenFilesMirrored();
    const refused = runJson('m', '--max-delete', '2');
    expect(refused.code).toBe(3);
    expect(refused.out.status).toBe('refused');
    expect(refused.out.errors[0]!.message).toMatch(/would delete 3 files .*--max-delete 2/);
    expect(fs.readdirSync(area.target)).toHaveLength(10);
    const allowed = runJson('m', '--max-delete', '3');
    expect([allowed.code, allowed.out.filesDeleted]).toEqual([0, 3]);
    expect(show('m').maxDeletePercent).toBe(50);
  });

  it('run --max-delete 20% refuses 30% for this run only; the stored guard stays', () => {
    tenFilesMirrored();
    const refused = runJson('m', '--max-delete', '20%');
    expect(refused.code).toBe(3);
    expect(refused.out.errors[0]!.message).toMatch(/would delete 3 of 10 files on the target \(30% > maxDeletePercent 20\)/);
    expect(show('m').maxDeletePercent).toBe(50);
    expect(runJson('m').code).toBe(0);
  });

  it('add/edit --max-delete 30% stores the percentage', () => {
    setup();
    add('m', '--mode', 'mirror', '--max-delete', '30%');
    expect(show('m').maxDeletePercent).toBe(30);
    ok('edit', 'm', '--max-delete', '12.5%');
    expect(show('m').maxDeletePercent).toBe(12.5);
  });

  it('--bwlimit: a plain number is KiB/s, K/M/G suffixes are powers of 1024; 0 removes the limit', () => {
    setup();
    add('m', '--mode', 'mirror', '--bwlimit', '10M');
    expect(show('m').bandwidthLimitMbps).toBeCloseTo(10 * 1024 * 1024 * 8 / 1e6, 9);
    ok('edit', 'm', '--bwlimit', '500');
    expect(show('m').bandwidthLimitMbps).toBeCloseTo(500 * 1024 * 8 / 1e6, 9);
    ok('edit', 'm', '--bwlimit', '1.5g');
    expect(show('m').bandwidthLimitMbps).toBeCloseTo(1.5 * 1024 ** 3 * 8 / 1e6, 6);
    ok('edit', 'm', '--bwlimit', '0');
    expect(show('m').bandwidthLimitMbps).toBeNull();
    expect(ok('show', 'm').stdout).toMatch(/bandwidth limit +none/);
    writeTree(area.source, { 'a.txt': 'a' });
    expect(runJson('m', '--bwlimit', '64K').code).toBe(0);
    expect(show('m').bandwidthLimitMbps).toBeNull();
  });

  it('bad values: one line, exit 2, nothing created, run, or changed', () => {
    tenFilesMirrored();
    const before = readTree(area.target);
    const runsBefore = generations('m').length;
    expectBadInput(['run', 'm', '--max-delete', '50%%'], 'conduit: --max-delete: expected a count of files (500) or a percentage (50%), got "50%%"');
    expectBadInput(['run', 'm', '--max-delete', '1.5'], 'conduit: --max-delete: expected a count of files (500) or a percentage (50%), got "1.5"');
    expectBadInput(['run', 'm', '--max-delete', '-1'], 'conduit: --max-delete: expected a count of files (500) or a percentage (50%), got "-1"');
    expectBadInput(['run', 'm', '--max-delete', '101%'], 'conduit: --max-delete: expected a percentage from 0% to 100%, got "101%"');
    expectBadInput(['run', 'm', '--bwlimit', '10Q'], 'conduit: --bwlimit: expected a rate in KiB/s, or with a K, M or G suffix (500, 10M, 1.5G), got "10Q"');
    expectBadInput(['edit', 'm', '--bwlimit', '10Q'], 'conduit: --bwlimit: expected a rate in KiB/s, or with a K, M or G suffix (500, 10M, 1.5G), got "10Q"');
    expectBadInput(['edit', 'm', '--bwlimit', '1M', '--bandwidth-limit', '8'], 'conduit: --bwlimit: expected either --bwlimit or --bandwidth-limit, got both');
    expectBadInput(['edit', 'm', '--max-delete', '50%%'], 'conduit: --max-delete: expected a number from 0 to 100, got "50%%"');
    expectBadInput(['add', '--name', 'n', '--source', area.source, '--target', join(area.base, 't2'), '--mode', 'mirror', '--bwlimit', 'fast'],
      'conduit: --bwlimit: expected a rate in KiB/s, or with a K, M or G suffix (500, 10M, 1.5G), got "fast"');
    expect(readTree(area.target)).toEqual(before);
    expect(generations('m')).toHaveLength(runsBefore);
    expect(show('m')).toMatchObject({ maxDeletePercent: 50, bandwidthLimitMbps: null });
    expect(json<unknown[]>(cli('--json', 'list'))).toHaveLength(1);
  });
});

describe('per-run --exclude / --include on run', () => {
  it('--exclude leaves the matching paths alone for this run only: not copied, not deleted; the conduit keeps its own lists', () => {
    setup();
    writeTree(area.source, { 'a.txt': 'a', 'b.log': 'log', 'docs/c.txt': 'c' });
    fs.mkdirSync(area.target);
    writeTree(area.target, { 'extra.log': 'the target\'s own' });
    add('m', '--mode', 'mirror', '--max-delete', '100');

    const first = runJson('m', '--exclude', '*.log', '--exclude', 'docs/');
    expect(first.code, first.stderr).toBe(0);
    expect(readTree(area.target)).toEqual({ 'a.txt': 'a', 'extra.log': 'the target\'s own' });
    expect(show('m')).toMatchObject({ exclude: [], include: [] });

    expect(runJson('m').code).toBe(0);
    expect(readTree(area.target)).toEqual({ 'a.txt': 'a', 'b.log': 'log', 'docs/': true, 'docs/c.txt': 'c' });
  });

  it('--include narrows a run to the matching paths; the rest is neither refused as "emptied" nor forgotten', () => {
    setup();
    writeTree(area.source, { 'a.txt': 'a', 'docs/c.txt': 'c' });
    add('m', '--mode', 'mirror');
    expect(runJson('m').code).toBe(0);
    put(area.source, 'a.txt', 'a2');
    put(area.source, 'docs/c.txt', 'c2');

    const narrowed = runJson('m', '--include', 'docs/**');
    expect(narrowed.code, JSON.stringify(narrowed.out.errors)).toBe(0);
    expect(narrowed.out.filesCopied).toBe(1);
    expect(readTree(area.target)).toEqual({ 'a.txt': 'a', 'docs/': true, 'docs/c.txt': 'c2' });
    const rest = runJson('m');
    expect([rest.code, rest.out.filesCopied, rest.out.filesDeleted]).toEqual([0, 1, 0]);
    expect(readTree(area.target)).toEqual({ 'a.txt': 'a2', 'docs/': true, 'docs/c.txt': 'c2' });
  });

  it('selective: a per-run --exclude never deletes what the selection synced before, and the next plain run has nothing to do', () => {
    setup();
    writeTree(area.source, { 'docs/a.txt': 'a', 'docs/b.txt': 'b' });
    add('m', '--mode', 'selective', '--include', 'docs/**');
    expect(runJson('m').code).toBe(0);
    const excluded = runJson('m', '--exclude', 'docs/b.txt');
    expect([excluded.code, excluded.out.filesDeleted]).toEqual([0, 0]);
    expect(readTree(area.target)).toEqual({ 'docs/': true, 'docs/a.txt': 'a', 'docs/b.txt': 'b' });
    const plain = runJson('m');
    expect([plain.code, plain.out.filesCopied, plain.out.filesDeleted]).toEqual([0, 0, 0]);
  });
});

describe('conduit sync SRC DST', () => {
  it('a one-off mirror without add: recorded under a name derived from the two paths, which a second sync of the same pair reuses', () => {
    setup();
    writeTree(area.source, { 'a.txt': 'a', 'd/b.txt': 'b' });
    const first = cli('--json', 'sync', 'source', 'target');
    expect(first.code, first.stderr).toBe(0);
    const gen = JSON.parse(first.stdout) as GenerationJson;
    expect(gen).toMatchObject({ generation: 1, status: 'completed', filesCopied: 2 });
    expect(gen.conduit).toMatch(/^sync-source-target-[0-9a-f]{8}$/);
    expect(readTree(area.target)).toEqual({ 'a.txt': 'a', 'd/': true, 'd/b.txt': 'b' });

    put(area.source, 'a.txt', 'a2');
    const second = json<GenerationJson>(cli('--json', 'sync', area.source, `${area.target}/`));
    expect(second).toMatchObject({ conduit: gen.conduit, generation: 2, filesCopied: 1 });
    const listed = json<ConduitJson[]>(cli('--json', 'list'));
    expect(listed.map((c) => [c.name, c.mode, c.source, c.target])).toEqual([[gen.conduit, 'mirror', fs.realpathSync(area.source), join(fs.realpathSync(area.base), 'target')]]);
  });

  it('takes the conduit flags (--mode, --exclude) and run flags (-n, -v); a different pair or mode is its own conduit', () => {
    setup();
    writeTree(area.source, { 'a.txt': 'a', 'b.log': 'b' });
    const dry = ok('sync', 'source', 'target', '-n', '-v', '--exclude', '*.log');
    expect(dry.stdout).toMatch(/^copy +target +a\.txt/m);
    expect(dry.stdout).not.toMatch(/b\.log/);
    expect(fs.existsSync(area.target)).toBe(false);
    const both = json<GenerationJson>(cli('--json', 'sync', 'source', 'other', '--mode', 'bidirectional'));
    expect(both.status).toBe('completed');
    expect(json<ConduitJson[]>(cli('--json', 'list')).map((c) => c.mode).sort()).toEqual(['bidirectional', 'mirror']);
  });

  it('bad input: one line, exit 2, no conduit created', () => {
    setup();
    expectBadInput(['sync', 'source'], /^conduit: missing required argument 'dst'\n$/);
    expectBadInput(['sync', 'nowhere', 'target'], /^conduit: --source: expected an existing directory, got ".*nowhere"/);
    expectBadInput(['sync', 'source', 'target', '--mode', 'mirorr'], 'conduit: --mode: expected mirror | bidirectional | selective, got "mirorr"');
    expectBadInput(['sync', 'source', 'source/inner'], /^conduit: --target: /);
    expect(fs.existsSync(area.db) ? json<unknown[]>(cli('--json', 'list')) : []).toEqual([]);
  });
});

describe('a refused run says why on stderr exactly once', () => {
  function refusedSetup(): void {
    setup();
    writeTree(area.source, { 'a.txt': 'a', 'b.txt': 'b' });
    add('m', '--mode', 'mirror');
    ok('run', 'm');
    fs.rmSync(join(area.source, 'a.txt'));
    fs.rmSync(join(area.source, 'b.txt'));
    writeTree(area.source, { 'c.txt': 'c' });
  }
  const reason = /would delete 2 of 2 files on the target/g;

  it.each([[['run', 'm']], [['run', 'm', '--dry-run']], [['--json', 'run', 'm']], [['--json', 'run', 'm', '-n']]])('%j: exit 3, one stderr line with the reason, not repeated on stdout', (args) => {
    refusedSetup();
    const r = cli(...args);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^conduit: m generation \d+ refused: would delete 2 of 2 files on the target \(100% > maxDeletePercent 50\); run with --force to allow it once\n$/);
    if (!args.includes('--json')) expect(r.stdout.match(reason) ?? []).toHaveLength(0);
    else expect((JSON.parse(r.stdout) as GenerationJson).status).toBe('refused');
  });
});

describe('run interrupted by Ctrl-C', () => {
  it('says that the run received SIGINT, never that "the service stopped"; exit 130', async () => {
    setup();
    // 4 MiB through a 512 KiB/s limit: the copy is under way when the signal comes.
    writeTree(area.source, { 'big.bin': Buffer.alloc(4 * 1024 * 1024, 7) });
    add('m', '--mode', 'mirror', '--bwlimit', '512');
    const run = startConduit(['run', 'm', '--progress'], { cwd: area.base, env: { CONDUIT_DB: area.db } });
    // --progress moves while a large file copies (it used to wait for the action to finish): a line part way through.
    const during = await waitFor('a progress line part way through the copy', run.stderr, (text) => /^m #1 +\d{1,2}% +0\/1 actions +[0-9.]+ [KM]iB\/4\.0 MiB /m.test(text));
    expect(during).toMatch(/ETA \d+:\d\d$/m);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
    const said = run.stdout() + run.stderr();
    expect(said).not.toMatch(/service/);
    expect(said).toMatch(/interrupted: conduit run received SIGINT before the generation finished/);
    expect(run.stderr()).toMatch(/^conduit: m generation 1 interrupted by SIGINT: /m);
  });
});

describe('help texts', () => {
  const commands = ['add', 'list', 'show', 'edit', 'enable', 'disable', 'remove', 'import', 'export', 'run', 'sync', 'verify', 'serve', 'history', 'show-generation', 'conflicts', 'versions', 'restore', 'resolve'];

  it('no help names "SPEC §…" (no spec ships with conduit)', () => {
    setup();
    for (const command of ['', ...commands]) {
      const r = cli(...(command === '' ? [] : [command]), '--help');
      expect(r.code, command).toBe(0);
      expect(r.stdout, command).not.toMatch(/SPEC/);
    }
  });

  it('edit --help shows no defaults (edit changes only what is given)', () => {
    setup();
    const r = ok('edit', '--help');
    expect(r.stdout).not.toMatch(/default/i);
    expect(ok('add', '--help').stdout).toMatch(/\(default: 50%\)/);
  });

  it('--help lists the exit codes', () => {
    setup();
    const text = ok('--help').stdout;
    for (const line of [/^ +0 +/m, /^ +1 +/m, /^ +2 +bad input/m, /^ +3 +refused/m, /^ +4 +busy/m, /^ +130, 143 +/m]) expect(text).toMatch(line);
  });
});
