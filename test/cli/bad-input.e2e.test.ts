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

describe('issue 8 §7: numbers are plain decimal text, or refused naming the flag', () => {
  const withValue = (flag: string, value: string) => [...add(), flag, value];
  test.each<[string, string, string]>([
    ['--parallel', '0x10', '--parallel: expected a whole number from 1 to 64, got "0x10"'],
    ['--parallel', '4e0', '--parallel: expected a whole number from 1 to 64, got "4e0"'],
    ['--parallel', ' 4', '--parallel: expected a whole number from 1 to 64, got " 4"'],
    ['--parallel', '4.0', '--parallel: expected a whole number from 1 to 64, got "4.0"'],
    ['--parallel', '', '--parallel: expected a whole number from 1 to 64, got ""'],
    ['--parallel', '+4', '--parallel: expected a whole number from 1 to 64, got "+4"'],
    ['--verify-timeout', '3e1', '--verify-timeout: expected a whole number from 1 to 3600, got "3e1"'],
    ['--max-delete', '1e1', '--max-delete: expected a number from 0 to 100, got "1e1"'],
    ['--max-delete', '0x10', '--max-delete: expected a number from 0 to 100, got "0x10"'],
    ['--max-delete', '50 ', '--max-delete: expected a number from 0 to 100, got "50 "'],
    ['--bandwidth-limit', '0x10', '--bandwidth-limit: expected null or a number > 0 (megabits per second), got "0x10"'],
    ['--bandwidth-limit', '1e3', '--bandwidth-limit: expected null or a number > 0 (megabits per second), got "1e3"'],
    ['--bandwidth-limit', 'Infinity', '--bandwidth-limit: expected null or a number > 0 (megabits per second), got "Infinity"'],
  ])('%s %j', (flag, value, message) => {
    expectRejected(withValue(flag, value), message);
  });

  test('edit takes the same rule', () => {
    expectRejected(['edit', 'existing', '--parallel', '0x10'], '--parallel: expected a whole number from 1 to 64, got "0x10"');
  });

  test('plain decimals are still accepted: --parallel 08, --bandwidth-limit 12.5 and .5, --max-delete 12.5', () => {
    const result = run(...add({ '--name': 'plain', '--target': 'plain-copy' }), '--parallel', '08', '--bandwidth-limit', '.5', '--max-delete', '12.5', '--json');
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ parallelTransfers: 8, bandwidthLimitMbps: 0.5, maxDeletePercent: 12.5 });
    expect(run('remove', 'plain').code).toBe(0);
  });

  test('serve --port 4e0 is refused before anything starts', () => {
    expectRejected(['serve', '--port', '4e0'], '--port: expected a port from 0 to 65535, got "4e0"');
  });
});

describe('issue 8 §7: edit reports an error under the flag that changed', () => {
  test('edit existing --source <its target>: under --source, not --target', () => {
    expectRejected(['edit', 'existing', '--source', 'existing-dst'],
      `--source: expected a directory other than the target, got "${p('existing-dst')}"`);
  });

  test('edit existing --target <its source>: under --target', () => {
    expectRejected(['edit', 'existing', '--target', 'existing-src'],
      `--target: expected a directory other than the source, got "${p('existing-src')}"`);
  });
});

describe('issue 8 §7: config files are strict JSON', () => {
  test('a duplicate key ("name" twice) is refused naming the field path and both lines', () => {
    writeFileSync(p('dup.json'), '{\n  "conduits": [\n    { "name": "photos",\n      "name": "notes",\n      "source": "./photos", "target": "./photos-copy", "mode": "mirror" }\n  ]\n}\n');
    expectRejected(['import', 'dup.json'], 'dup.json: conduits[0].name: expected each field once, got it twice (lines 3 and 4)');
  });

  test('a duplicate key at the top level ("conduits" twice: the first list would be silently dropped)', () => {
    writeFileSync(p('dup-top.json'), '{ "conduits": [{ "name": "photos", "source": "./photos", "target": "./photos-copy", "mode": "mirror" }],\n  "conduits": [] }');
    expectRejected(['import', 'dup-top.json'], 'dup-top.json: conduits: expected each field once, got it twice (lines 1 and 2)');
  });

  test('a whole-number field written as 4e0 or 4.0 is refused; other numbers are JSON numbers', () => {
    const conduitText = (extra: string) => `{ "conduits": [{ "name": "photos", "source": "./photos", "target": "./photos-copy", "mode": "mirror", ${extra} }] }`;
    writeFileSync(p('exp.json'), conduitText('"parallelTransfers": 4e0'));
    expectRejected(['import', 'exp.json'], 'exp.json: conduits[0].parallelTransfers: expected a whole number written in digits, got 4e0');
    writeFileSync(p('frac.json'), conduitText('"versioning": { "dir": ".v", "keepDays": 30.0 }'));
    expectRejected(['import', 'frac.json'], 'frac.json: conduits[0].versioning.keepDays: expected a whole number written in digits, got 30.0');
    writeFileSync(p('str.json'), conduitText('"parallelTransfers": " 4"'));
    expectRejected(['import', 'str.json'], 'str.json: conduits[0].parallelTransfers: expected a whole number from 1 to 64, got " 4"');
    writeFileSync(p('port.json'), `{ "api": { "port": 7.42e3 }, ${conduitText('"parallelTransfers": 4').slice(1)}`);
    expectRejected(['import', 'port.json'], 'port.json: api.port: expected a whole number written in digits, got 7.42e3');
  });
});

describe('issue 8 §7: an absolute versioning dir inside the source is refused', () => {
  test('import of a mirror whose versioning.dir lies in the source (the mirror would move the target\'s old versions into the source)', () => {
    writeFileSync(p('vers.json'), JSON.stringify({
      conduits: [{ name: 'photos', source: './photos', target: './photos-copy', mode: 'mirror', versioning: { dir: p('photos/.old'), keepDays: 7 } }],
    }));
    expectRejected(['import', 'vers.json'],
      `vers.json: conduits[0].versioning.dir: expected a directory outside the source (${p('photos')}) and not holding either root, got "${p('photos/.old')}"`);
  });
});
