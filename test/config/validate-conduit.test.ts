import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { checkTargetsApart, mergeConduitPatch, specToInput, validateConduit } from '../../src/config/validate-conduit.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'conduit-validate-'));
  mkdirSync(join(root, 'src/inner'), { recursive: true });
  mkdirSync(join(root, 'dst/inner'), { recursive: true });
  mkdirSync(join(root, 'other'));
  writeFileSync(join(root, 'file.txt'), 'x');
  symlinkSync(join(root, 'src'), join(root, 'src-link'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const base = () => ({ name: 'photos', source: join(root, 'src'), target: join(root, 'dst'), mode: 'mirror' });

/** The one-line message validation throws for `input`. */
function messageOf(input: unknown): string {
  try {
    validateConduit(input, { baseDir: root });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected a ConfigError');
}

describe('validateConduit', () => {
  test('fills every default and resolves relative roots against baseDir', () => {
    const spec = validateConduit({ name: 'photos', source: 'src', target: './new-target', mode: 'mirror' }, { baseDir: root });
    expect(spec).toEqual({
      name: 'photos', source: join(root, 'src'), target: join(root, 'new-target'), mode: 'mirror', schedule: 'manual', enabled: true,
      include: [], exclude: [], useIndexRules: true, conflict: 'keep-both', parallelTransfers: 4, bandwidthLimitMbps: null,
      maxDeletePercent: 50, checksum: false, versioning: null, verifyTimeoutSeconds: 30, sshCommand: null, remoteCommand: null,
    });
  });

  test('keeps every field given, and defaults versioning.keepDays to 30', () => {
    const spec = validateConduit({
      ...base(), mode: 'bidirectional', schedule: 'cron:0 3 * * *', enabled: false, include: ['docs/'], exclude: ['*.tmp'],
      useIndexRules: false, conflict: 'manual', parallelTransfers: 64, bandwidthLimitMbps: 2.5, maxDeletePercent: 0,
      checksum: true, versioning: { dir: '.versions' }, verifyTimeoutSeconds: 5,
    }, { baseDir: root });
    expect(spec).toMatchObject({ conflict: 'manual', parallelTransfers: 64, bandwidthLimitMbps: 2.5, maxDeletePercent: 0, versioning: { dir: '.versions', keepDays: 30 } });
  });

  test.each([
    [{ mode: 'mirorr' }, 'mode: expected mirror | bidirectional | selective, got "mirorr"'],
    [{ name: 'my photos' }, 'name: expected a name of letters, digits, ".", "_", "-" only, got "my photos"'],
    [{ name: 'a/b' }, 'name: expected a name of letters, digits, ".", "_", "-" only, got "a/b"'],
    [{ name: '..' }, 'name: expected a name that is not only dots, got ".."'],
    [{ parallelTransfers: 0 }, 'parallelTransfers: expected a whole number from 1 to 64, got 0'],
    [{ parallelTransfers: 65 }, 'parallelTransfers: expected a whole number from 1 to 64, got 65'],
    [{ parallelTransfers: 2.5 }, 'parallelTransfers: expected a whole number from 1 to 64, got 2.5'],
    [{ bandwidthLimitMbps: -1 }, 'bandwidthLimitMbps: expected null or a number > 0 (megabits per second), got -1'],
    [{ bandwidthLimitMbps: 0 }, 'bandwidthLimitMbps: expected null or a number > 0 (megabits per second), got 0'],
    [{ bandwidthLimitMbps: 'abc' }, 'bandwidthLimitMbps: expected null or a number > 0 (megabits per second), got "abc"'],
    [{ maxDeletePercent: 101 }, 'maxDeletePercent: expected a number from 0 to 100, got 101'],
    [{ schedule: 'interval:5x' }, 'schedule: expected interval:<n><s|m|h> with a whole number n >= 1 (e.g. interval:5m), got "interval:5x"'],
    [{ schedule: 'cron:not a cron' }, 'schedule: expected cron:<minute hour day-of-month month day-of-week> (5 fields, e.g. cron:0 3 * * *), got "cron:not a cron" (3 fields)'],
    [{ schedule: 'weekly' }, 'schedule: expected manual | instant | interval:<n><s|m|h> | cron:<5-field expression>, got "weekly"'],
    [{ conflict: 'newer' }, 'conflict: expected no conflict policy for a mirror conduit (only bidirectional conduits have one), got "newer"'],
    [{ mode: 'selective' }, 'include: expected at least one pattern for a selective conduit, got []'],
    [{ mode: 'bidirectional', conflict: 'theirs' }, 'conflict: expected keep-both | newer | source | target | manual, got "theirs"'],
    [{ include: ['docs/', 7] }, 'include[1]: expected a pattern (a string), got 7'],
    [{ versioning: { dir: '../outside' } }, 'versioning.dir: expected a directory without ".." segments, got "../outside"'],
    [{ versioning: { dir: 'v', keep: 3 } }, 'versioning.keep: unknown field; did you mean "keepDays"?'],
    [{ paralel: 3 }, 'paralel: unknown field; did you mean "parallelTransfers"?'],
    [{ enabled: 'yes' }, 'enabled: expected true or false, got "yes"'],
  ])('%j → %s', (change, message) => {
    expect(messageOf({ ...base(), ...change })).toBe(message);
  });

  test('a missing required field says so', () => {
    const { mode: _mode, ...withoutMode } = base();
    expect(messageOf(withoutMode)).toBe('mode: missing; expected mirror | bidirectional | selective');
  });

  test('not an object', () => {
    expect(messageOf('photos')).toBe('expected an object describing a conduit, got "photos"');
  });

  test('the source must exist and be a directory', () => {
    expect(messageOf({ ...base(), source: join(root, 'nope') })).toBe(`source: expected an existing directory, got "${join(root, 'nope')}" (it does not exist)`);
    expect(messageOf({ ...base(), source: join(root, 'file.txt') })).toBe(`source: expected a directory, got "${join(root, 'file.txt')}" (a file)`);
  });

  test('the target may be missing when its parent exists, not otherwise', () => {
    expect(validateConduit({ ...base(), target: join(root, 'fresh') }, { baseDir: root }).target).toBe(join(root, 'fresh'));
    expect(messageOf({ ...base(), target: join(root, 'no/such') })).toBe(
      `target: expected a directory, or a new one inside an existing directory, got "${join(root, 'no/such')}" (${join(root, 'no')} does not exist)`);
    expect(messageOf({ ...base(), target: join(root, 'file.txt') })).toBe(`target: expected a directory, got "${join(root, 'file.txt')}" (a file)`);
  });

  test('source and target must be apart, compared as real paths', () => {
    expect(messageOf({ ...base(), target: join(root, 'src') })).toBe(`target: expected a directory other than the source, got "${join(root, 'src')}"`);
    expect(messageOf({ ...base(), target: join(root, 'src-link') })).toMatch(/^target: expected a directory other than the source/);
    expect(messageOf({ ...base(), target: join(root, 'src/inner/new') })).toBe(
      `target: expected a directory outside the source (${join(root, 'src')}), got "${join(root, 'src/inner/new')}"`);
    expect(messageOf({ ...base(), target: join(root, 'src-link/new') })).toMatch(/^target: expected a directory outside the source/);
    expect(messageOf({ ...base(), source: join(root, 'dst/inner') })).toBe(
      `source: expected a directory outside the target (${join(root, 'dst')}), got "${join(root, 'dst/inner')}"`);
  });
});

describe('mergeConduitPatch', () => {
  const existing = () => validateConduit(base(), { baseDir: root });

  test('changes only the patched fields; null clears a nullable one', () => {
    const limited = mergeConduitPatch(existing(), { bandwidthLimitMbps: 10, exclude: ['*.tmp'] }, { baseDir: root });
    expect(limited).toEqual({ ...existing(), bandwidthLimitMbps: 10, exclude: ['*.tmp'] });
    expect(mergeConduitPatch(limited, { bandwidthLimitMbps: null }, { baseDir: root }).bandwidthLimitMbps).toBeNull();
  });

  test('the stored default policy of a one-way conduit is not "given"; an explicit one is an error', () => {
    expect(mergeConduitPatch(existing(), { schedule: 'instant' }, { baseDir: root }).schedule).toBe('instant');
    expect(() => mergeConduitPatch(existing(), { conflict: 'newer' }, { baseDir: root })).toThrow(/^conflict: expected no conflict policy/);
  });

  test('switching to a one-way mode drops a bidirectional policy', () => {
    const bidirectional = mergeConduitPatch(existing(), { mode: 'bidirectional', conflict: 'newer' }, { baseDir: root });
    expect(bidirectional.conflict).toBe('newer');
    expect(mergeConduitPatch(bidirectional, { mode: 'mirror' }, { baseDir: root })).toMatchObject({ mode: 'mirror', conflict: 'keep-both' });
  });

  test('the merged whole is validated', () => {
    expect(() => mergeConduitPatch(existing(), { mode: 'selective' }, { baseDir: root })).toThrow(/^include: expected at least one pattern/);
    expect(() => mergeConduitPatch(existing(), { target: join(root, 'src/x') }, { baseDir: root })).toThrow(/^target: expected a directory outside the source/);
    expect(() => mergeConduitPatch(existing(), 'nope', { baseDir: root })).toThrow(ConfigError);
  });

  test('an unchanged root need not exist right now (an unmounted drive must not block an edit)', () => {
    const gone = { ...existing(), source: join(root, 'unmounted') };
    expect(mergeConduitPatch(gone, { schedule: 'interval:1h' }, { baseDir: root }).schedule).toBe('interval:1h');
  });
});

describe('checkTargetsApart and specToInput', () => {
  test('equal or nested targets clash, with others and among candidates', () => {
    const a = validateConduit(base(), { baseDir: root });
    const b = validateConduit({ ...base(), name: 'b', source: join(root, 'other'), target: join(root, 'dst/inner') }, { baseDir: root });
    expect(() => checkTargetsApart([b], [a], () => '')).toThrow(`target: expected a target apart from the target of conduit "photos" (${join(root, 'dst')}), got "${join(root, 'dst/inner')}"`);
    expect(() => checkTargetsApart([a, b], [], (i) => `conduits[${i}]`)).toThrow(/^conduits\[1\]\.target: expected a target apart from the target of conduits\[0\] \("photos"\)/);
    expect(() => checkTargetsApart([a], [b].filter((o) => o.name !== 'b'), () => '')).not.toThrow();
  });

  test('specToInput round-trips through validation and omits a one-way policy', () => {
    const spec = validateConduit({ ...base(), mode: 'selective', include: ['*.pdf'] }, { baseDir: root });
    const input = specToInput(spec);
    expect(input).not.toHaveProperty('conflict');
    expect(validateConduit(input, { baseDir: '/' })).toEqual(spec);
  });
});

describe('issue 8 §7: an edit names the root it moved', () => {
  const existing = () => validateConduit(base(), { baseDir: root });

  test('--source onto the target is a mistake in source, not target', () => {
    expect(() => mergeConduitPatch(existing(), { source: join(root, 'dst') }, { baseDir: root }))
      .toThrow(new ConfigError('source', `expected a directory other than the target, got "${join(root, 'dst')}"`));
  });

  test('a source moved to a folder holding the target, and a target moved to a folder holding the source', () => {
    expect(() => mergeConduitPatch(existing(), { source: root }, { baseDir: root }))
      .toThrow(new ConfigError('source', `expected a directory that does not contain the target (${join(root, 'dst')}), got "${root}"`));
    expect(() => mergeConduitPatch(existing(), { target: root }, { baseDir: root }))
      .toThrow(new ConfigError('target', `expected a directory that does not contain the source (${join(root, 'src')}), got "${root}"`));
  });

  test('moving both roots at once keeps the add-time wording', () => {
    expect(() => mergeConduitPatch(existing(), { source: join(root, 'other'), target: join(root, 'other') }, { baseDir: root }))
      .toThrow(/^target: expected a directory other than the source/);
  });
});

describe('issue 8 §7: an absolute versioning dir', () => {
  const withVersions = (dir: string, extra: Record<string, unknown> = {}) => ({ ...base(), versioning: { dir, keepDays: 7 }, ...extra });
  const refused = (dir: string) => `versioning.dir: expected a directory outside the source (${join(root, 'src')}) and not holding either root, got "${dir}"`;

  test('inside the source is refused, for every mode (a mirror would move the target\'s old versions into the source)', () => {
    expect(messageOf(withVersions(join(root, 'src/.versions')))).toBe(refused(join(root, 'src/.versions')));
    expect(messageOf(withVersions(join(root, 'src/.versions'), { mode: 'bidirectional' }))).toBe(refused(join(root, 'src/.versions')));
    expect(messageOf(withVersions(join(root, 'src')))).toBe(refused(join(root, 'src')));
  });

  test('inside the source through a symlink is refused too', () => {
    expect(messageOf(withVersions(join(root, 'src-link/inner/.v')))).toBe(refused(join(root, 'src-link/inner/.v')));
  });

  test('holding either root is refused (versions would land inside the root under other names)', () => {
    expect(messageOf(withVersions(root))).toBe(refused(root));
    expect(messageOf(withVersions(join(root, 'dst')))).toBe(refused(join(root, 'dst')));
  });

  test('inside the target (excluded from the scan) or elsewhere is accepted; relative dirs are unchanged', () => {
    expect(validateConduit(withVersions(join(root, 'dst/.versions')), { baseDir: root }).versioning?.dir).toBe(join(root, 'dst/.versions'));
    expect(validateConduit(withVersions(join(root, 'other/versions')), { baseDir: root }).versioning?.dir).toBe(join(root, 'other/versions'));
    expect(validateConduit(withVersions('.versions'), { baseDir: root }).versioning?.dir).toBe('.versions');
  });

  test('an edit that moves the source around an existing versioning dir is refused the same way', () => {
    const stored = validateConduit(withVersions(join(root, 'other/versions')), { baseDir: root });
    expect(() => mergeConduitPatch(stored, { source: join(root, 'other') }, { baseDir: root })).toThrow(/^versioning\.dir: expected a directory outside the source/);
  });
});

describe('checkTargetsApart on many conduits', () => {
  test('finds the earliest clash, whatever the order of the paths', () => {
    const spec = (name: string, target: string) => ({ ...validateConduit(base(), { baseDir: root }), name, target });
    const others = [spec('z', '/data/b'), spec('y', '/data/a/deep/er')];
    // Holding an earlier one, inside an earlier one, equal to an earlier one: the first stored wins the message.
    expect(() => checkTargetsApart([spec('n', '/data/a')], others, () => '')).toThrow(/target of conduit "y" \(\/data\/a\/deep\/er\)/);
    expect(() => checkTargetsApart([spec('n', '/data/b/c')], others, () => '')).toThrow(/target of conduit "z"/);
    expect(() => checkTargetsApart([spec('n', '/data')], others, () => '')).toThrow(/target of conduit "z"/);
    expect(() => checkTargetsApart([spec('n', '/data/a/deep')], others, () => '')).toThrow(/target of conduit "y"/);
    // Siblings sharing a name prefix do not overlap.
    expect(() => checkTargetsApart([spec('n', '/data/a/dee'), spec('m', '/data/bb'), spec('o', '/data/a/deep/erx')], others, (i) => `conduits[${i}]`)).not.toThrow();
    expect(() => checkTargetsApart([spec('n', '/x/1'), spec('m', '/x/2'), spec('o', '/x')], [], (i) => `conduits[${i}]`))
      .toThrow(/^conduits\[2\]\.target: expected a target apart from the target of conduits\[0\] \("n"\)/);
  });
});
