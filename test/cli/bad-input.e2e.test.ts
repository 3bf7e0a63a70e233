import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { conduit, ensureBuilt } from './cli-harness.js';

/**
 * The bad-input matrix of issue 2: each case gets exactly one line on stderr
 * naming the field and the value, exit code 2, no stack trace, and an
 * unchanged database (its full export is compared before and after).
 */

let dir: string;
let run: (...args: string[]) => ReturnType<typeof conduit>;
let snapshot: string;

const p = (path: string) => join(dir, path);

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'conduit-bad-input-'));
  for (const sub of ['photos', 'notes', 'share', 'existing-src', 'existing-dst', 'photos/inner']) mkdirSync(p(sub), { recursive: true });
  writeFileSync(p('a-file.txt'), 'not a directory');
  run = (...args) => conduit(args, { cwd: dir, env: { CONDUIT_DB: p('conduit.db') } });
  const seeded = run('add', '--name', 'existing', '--source', 'existing-src', '--target', 'existing-dst', '--mode', 'mirror');
  if (seeded.code !== 0) throw new Error(seeded.stderr);
  snapshot = run('export').stdout;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A valid `add` with some flags replaced. */
function add(overrides: Record<string, string | string[]> = {}): string[] {
  const flags: Record<string, string | string[]> = { '--name': 'photos', '--source': 'photos', '--target': 'photos-backup', '--mode': 'mirror', ...overrides };
  return ['add', ...Object.entries(flags).flatMap(([flag, value]) => (Array.isArray(value) ? value.flatMap((v) => [flag, v]) : value === '' ? [flag] : [flag, value]))];
}

function expectRejected(args: string[], message: string | RegExp): void {
  const result = run(...args);
  const lines = result.stderr.split('\n').filter((line) => line !== '');
  expect(lines, result.stderr).toHaveLength(1);
  if (typeof message === 'string') expect(lines[0]).toBe(`conduit: ${message}`);
  else expect(lines[0]).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(run('export').stdout).toBe(snapshot);
}

describe('bad input to add / edit: one line, exit 2, nothing changed', () => {
  test.each<[string, string[], string]>([
    ['unknown mode', add({ '--mode': 'mirorr' }), '--mode: expected mirror | bidirectional | selective, got "mirorr"'],
    ['a name with spaces', add({ '--name': 'my photos' }), '--name: expected a name of letters, digits, ".", "_", "-" only, got "my photos"'],
    ['a name with slashes', add({ '--name': 'photos/2025' }), '--name: expected a name of letters, digits, ".", "_", "-" only, got "photos/2025"'],
    ['a duplicate name', add({ '--name': 'existing' }), '--name: expected a name not yet taken, got "existing" (a conduit with that name exists)'],
    ['parallelTransfers 0', add({ '--parallel': '0' }), '--parallel: expected a whole number from 1 to 64, got 0'],
    ['parallelTransfers 65', add({ '--parallel': '65' }), '--parallel: expected a whole number from 1 to 64, got 65'],
    ['a negative bandwidth limit', add({ '--bandwidth-limit': '-1' }), '--bandwidth-limit: expected null or a number > 0 (megabits per second), got -1'],
    ['a non-numeric bandwidth limit', add({ '--bandwidth-limit': 'abc' }), '--bandwidth-limit: expected null or a number > 0 (megabits per second), got "abc"'],
    ['interval:5x', add({ '--schedule': 'interval:5x' }), '--schedule: expected interval:<n><s|m|h> with a whole number n >= 1 (e.g. interval:5m), got "interval:5x"'],
    ['cron:not a cron', add({ '--schedule': 'cron:not a cron' }),
      '--schedule: expected cron:<minute hour day-of-month month day-of-week> (5 fields, e.g. cron:0 3 * * *), got "cron:not a cron" (3 fields)'],
    ['--conflict for a one-way mode', add({ '--conflict': 'newer' }),
      '--conflict: expected no conflict policy for a mirror conduit (only bidirectional conduits have one), got "newer"'],
    ['selective without include', add({ '--mode': 'selective' }), '--include: expected at least one pattern for a selective conduit, got []'],
    ['a missing required flag', ['add', '--name', 'x', '--source', 'photos', '--target', 'y'], '--mode: missing; expected mirror | bidirectional | selective'],
    ['edit with a bad value', ['edit', 'existing', '--parallel', '0'], '--parallel: expected a whole number from 1 to 64, got 0'],
    ['edit giving a policy to a mirror', ['edit', 'existing', '--conflict', 'manual'],
      '--conflict: expected no conflict policy for a mirror conduit (only bidirectional conduits have one), got "manual"'],
    ['edit of an unknown conduit', ['edit', 'nope', '--parallel', '2'], 'no conduit named "nope"'],
  ])('%s', (_label, args, message) => {
    expectRejected(args, message);
  });

  test('a source that does not exist / is a file', () => {
    expectRejected(add({ '--source': 'missing' }), `--source: expected an existing directory, got "${p('missing')}" (it does not exist)`);
    expectRejected(add({ '--source': 'a-file.txt' }), `--source: expected a directory, got "${p('a-file.txt')}" (a file)`);
  });

  test('source equal to target, target inside source, source inside target', () => {
    expectRejected(add({ '--target': 'photos' }), `--target: expected a directory other than the source, got "${p('photos')}"`);
    expectRejected(add({ '--target': 'photos/inner/backup' }), `--target: expected a directory outside the source (${p('photos')}), got "${p('photos/inner/backup')}"`);
    expectRejected(add({ '--source': 'photos/inner', '--target': 'photos' }), `--source: expected a directory outside the target (${p('photos')}), got "${p('photos/inner')}"`);
  });

  test('two conduits whose targets overlap (equal or nested)', () => {
    expectRejected(add({ '--target': 'existing-dst' }),
      `--target: expected a target apart from the target of conduit "existing" (${p('existing-dst')}), got "${p('existing-dst')}"`);
    expectRejected(add({ '--target': 'existing-dst/photos' }),
      `--target: expected a target apart from the target of conduit "existing" (${p('existing-dst')}), got "${p('existing-dst/photos')}"`);
  });
});

describe('bad config files: nothing imported', () => {
  const good = (name: string, source: string) => ({ name, source: `./${source}`, target: `./${name}-copy`, mode: 'mirror' });

  test('a file that is not JSON names the line and column', () => {
    writeFileSync(p('broken.json'), '{\n  "conduits": [\n    { "name": "a" "source": "./photos" }\n  ]\n}\n');
    expectRejected(['import', 'broken.json'], /^conduit: broken\.json: not valid JSON at line 3, column 19: \S/);
  });

  test('one bad conduit of three: none is imported', () => {
    writeFileSync(p('one-bad.json'), JSON.stringify({
      conduits: [good('photos', 'photos'), { ...good('notes', 'notes'), mode: 'mirorr' }, good('share', 'share')],
    }, null, 2));
    expectRejected(['import', 'one-bad.json'], 'one-bad.json: conduits[1].mode: expected mirror | bidirectional | selective, got "mirorr"');
  });

  test('the last of three is bad: still none is imported', () => {
    writeFileSync(p('last-bad.json'), JSON.stringify({
      conduits: [good('photos', 'photos'), good('notes', 'notes'), { ...good('share', 'share'), parallelTransfers: 65 }],
    }));
    expectRejected(['import', 'last-bad.json'], 'last-bad.json: conduits[2].parallelTransfers: expected a whole number from 1 to 64, got 65');
  });

  test('targets overlapping within the file, or with a stored conduit', () => {
    mkdirSync(p('photos-copy'));
    writeFileSync(p('overlap.json'), JSON.stringify({ conduits: [good('photos', 'photos'), { ...good('notes', 'notes'), target: './photos-copy/notes' }] }));
    expectRejected(['import', 'overlap.json'],
      `overlap.json: conduits[1].target: expected a target apart from the target of conduits[0] ("photos") (${p('photos-copy')}), got "${p('photos-copy/notes')}"`);
    writeFileSync(p('overlap-stored.json'), JSON.stringify({ conduits: [{ ...good('photos', 'photos'), target: './existing-dst' }] }));
    expectRejected(['import', 'overlap-stored.json'],
      `overlap-stored.json: conduits[0].target: expected a target apart from the target of conduit "existing" (${p('existing-dst')}), got "${p('existing-dst')}"`);
  });

  test('an unknown key (a typo) is an error, not ignored', () => {
    writeFileSync(p('typo.json'), JSON.stringify({ conduits: [{ ...good('photos', 'photos'), shedule: 'instant' }] }));
    expectRejected(['import', 'typo.json'], 'typo.json: conduits[0].shedule: unknown field; did you mean "schedule"?');
  });

  test('a file that does not exist', () => {
    expectRejected(['import', 'nowhere.json'], 'nowhere.json: expected a readable config file, got "nowhere.json" (no such file)');
  });
});
