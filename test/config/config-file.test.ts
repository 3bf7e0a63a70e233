import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { configDatabase, configFileFor, loadConfigFile, parseConfigText, readConfigJson } from '../../src/config/config-file.js';
import { repoRoot } from '../cli/cli-harness.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'conduit-config-'));
  for (const dir of ['photos', 'notes', 'share', 'a-copy']) mkdirSync(join(root, dir));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const conduit = (name: string, extra: Record<string, unknown> = {}) => ({
  name, source: `./${name === 'b' ? 'notes' : name === 'c' ? 'share' : 'photos'}`, target: `./${name}-copy`, mode: 'mirror', ...extra,
});
const text = (config: unknown) => JSON.stringify(config, null, 2);

function errorOf(configText: string): string {
  try {
    parseConfigText(configText, { place: 'conduits.json', baseDir: root });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).not.toContain('\n');
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('config file', () => {
  test('the example of SPEC §10 loads from disk, relative paths against the file\'s folder, defaults filled', () => {
    const file = join(root, 'conduits.json');
    writeFileSync(file, text({
      database: './conduit.db',
      api: { host: '127.0.0.1', port: 7420 },
      maxConcurrentConduits: 2,
      conduits: [
        { name: 'photos-backup', source: './photos', target: './photos-backup', mode: 'mirror', schedule: 'interval:5m', parallelTransfers: 4 },
        { name: 'notes', source: './notes', target: './notes-desktop', mode: 'bidirectional', schedule: 'instant', conflict: 'keep-both' },
        { name: 'reports', source: './share', target: './reports', mode: 'selective', schedule: 'manual', include: ['reports/**', '*.pdf'] },
      ],
    }));
    const config = loadConfigFile(file);
    expect(config.database).toBe(join(root, 'conduit.db'));
    expect(config.api).toEqual({ host: '127.0.0.1', port: 7420 });
    expect(config.conduits.map((c) => [c.name, c.source, c.target, c.schedule])).toEqual([
      ['photos-backup', join(root, 'photos'), join(root, 'photos-backup'), 'interval:5m'],
      ['notes', join(root, 'notes'), join(root, 'notes-desktop'), 'instant'],
      ['reports', join(root, 'share'), join(root, 'reports'), 'manual'],
    ]);
    expect(config.conduits[2]).toMatchObject({ include: ['reports/**', '*.pdf'], conflict: 'keep-both', parallelTransfers: 4 });
  });

  test('the file-level defaults', () => {
    const config = parseConfigText('{ "conduits": [] }', { place: 'c.json', baseDir: root });
    expect(config).toEqual({ database: null, api: { host: '127.0.0.1', port: 7420 }, maxConcurrentConduits: 2, conduits: [] });
  });

  test('not JSON: the message names the line and column', () => {
    expect(errorOf('{\n  "conduits": [\n    { "name": "a", }\n  ]\n}')).toMatch(/^conduits\.json: not valid JSON at line 3, column 20: \S/);
    expect(errorOf('')).toBe('conduits.json: not valid JSON at line 1, column 1: Unexpected end of JSON input');
  });

  test('errors name the file, the field path and the value', () => {
    expect(errorOf(text({ conduits: [conduit('a'), conduit('b', { mode: 'mirorr' })] })))
      .toBe('conduits.json: conduits[1].mode: expected mirror | bidirectional | selective, got "mirorr"');
    expect(errorOf(text({ conduits: [conduit('a', { include: ['x', ''] })] })))
      .toBe('conduits.json: conduits[0].include[1]: expected a non-empty pattern, got ""');
    expect(errorOf(text({ api: { port: 70000 }, conduits: [] }))).toBe('conduits.json: api.port: expected a port from 0 to 65535, got 70000');
    expect(errorOf(text({ maxConcurrentConduits: 0, conduits: [] }))).toBe('conduits.json: maxConcurrentConduits: expected a whole number from 1 to 64, got 0');
    expect(errorOf('[]')).toMatch(/^conduits\.json: expected a JSON object with "conduits".*, got \[\]$/);
  });

  test('unknown keys are errors, at every level', () => {
    expect(errorOf(text({ conduit: [] }))).toBe('conduits.json: conduit: unknown field; did you mean "conduits"?');
    expect(errorOf(text({ api: { hots: 'x' }, conduits: [] }))).toBe('conduits.json: api.hots: unknown field; did you mean "host"?');
    expect(errorOf(text({ conduits: [conduit('a', { sheduleX: 'manual' })] }))).toMatch(/^conduits\.json: conduits\[0\]\.sheduleX: unknown field/);
  });

  test('names are unique and targets apart within the file', () => {
    expect(errorOf(text({ conduits: [conduit('a'), conduit('a', { target: './other' })] })))
      .toBe('conduits.json: conduits[1].name: expected a unique name, got "a" (also conduits[0].name)');
    expect(errorOf(text({ conduits: [conduit('a'), conduit('b', { target: './a-copy/inner' })] })))
      .toBe(`conduits.json: conduits[1].target: expected a target apart from the target of conduits[0] ("a") (${join(root, 'a-copy')}), got "${join(root, 'a-copy/inner')}"`);
  });

  test('targets must be apart from stored conduits the file does not replace', () => {
    const stored = parseConfigText(text({ conduits: [conduit('a')] }), { place: 'x', baseDir: root }).conduits;
    const clash = text({ conduits: [conduit('b', { target: './a-copy' })] });
    expect(() => parseConfigText(clash, { place: 'c.json', baseDir: root, existing: stored }))
      .toThrow(`c.json: conduits[0].target: expected a target apart from the target of conduit "a" (${join(root, 'a-copy')}), got "${join(root, 'a-copy')}"`);
    // Replacing "a" itself (same name) may keep or move its target.
    expect(parseConfigText(text({ conduits: [conduit('a', { schedule: 'instant' })] }), { place: 'c.json', baseDir: root, existing: stored }).conduits).toHaveLength(1);
  });

  test('an unreadable file is named', () => {
    expect(() => loadConfigFile(join(root, 'missing.json'))).toThrow(`${join(root, 'missing.json')}: expected a readable config file, got "${join(root, 'missing.json')}" (no such file)`);
  });

  test('configFileFor writes what parseConfigText reads back; configDatabase peeks leniently', () => {
    const config = parseConfigText(text({ conduits: [conduit('a'), conduit('b', { mode: 'bidirectional', conflict: 'newer' })] }), { place: 'c', baseDir: root });
    const written = configFileFor(config.conduits, join(root, 'x.db'));
    const reread = parseConfigText(JSON.stringify(written), { place: 'c', baseDir: '/' });
    expect(reread.conduits).toEqual(config.conduits);
    expect(reread.database).toBe(join(root, 'x.db'));
    expect(configDatabase({ database: 'db/c.db' }, root)).toBe(join(root, 'db/c.db'));
    expect(configDatabase({ database: 7 }, root)).toBeNull();
    expect(configDatabase([], root)).toBeNull();
  });
});

describe('issue 8 §7: strict JSON in config files', () => {
  const entry = '"name": "a", "source": "./photos", "target": "./a-copy", "mode": "mirror"';

  test('a key given twice anywhere is refused, naming its path and lines (JSON.parse would keep the last silently)', () => {
    expect(errorOf(`{ "conduits": [\n  { ${entry},\n    "name": "b" }\n] }`)).toBe('conduits.json: conduits[0].name: expected each field once, got it twice (lines 2 and 3)');
    expect(errorOf(`{ "conduits": [{ ${entry}, "versioning": { "dir": ".v", "dir": ".w" } }] }`))
      .toBe('conduits.json: conduits[0].versioning.dir: expected each field once, got it twice (both on line 1)');
    expect(errorOf('{ "api": { "port": 1 }, "conduits": [], "api": { "port": 2 } }')).toBe('conduits.json: api: expected each field once, got it twice (both on line 1)');
    // Written with an escape, it is still the same key.
    expect(errorOf(`{ "conduits": [{ ${entry}, "n\\u0061me": "b" }] }`)).toBe('conduits.json: conduits[0].name: expected each field once, got it twice (both on line 1)');
  });

  test('the same key in different objects, and keys that only look alike, are fine', () => {
    const config = parseConfigText(`{ "conduits": [{ ${entry} }, { ${entry.replace('"a"', '"b"').replace('a-copy', 'b-copy')}, "versioning": { "dir": ".v" } }] }`, { place: 'c', baseDir: root });
    expect(config.conduits.map((c) => c.name)).toEqual(['a', 'b']);
    expect(errorOf(`{ "conduits": [{ ${entry}, "Name": "x" }] }`)).toMatch(/^conduits\.json: conduits\[0\]\.Name: unknown field/);
  });

  test('whole-number fields must be written in digits; other numbers are any JSON number', () => {
    for (const [field, written] of [['parallelTransfers', '4e0'], ['parallelTransfers', '4.0'], ['verifyTimeoutSeconds', '3E1'], ['parallelTransfers', '-0.0']] as const) {
      expect(errorOf(`{ "conduits": [{ ${entry}, "${field}": ${written} }] }`)).toBe(`conduits.json: conduits[0].${field}: expected a whole number written in digits, got ${written}`);
    }
    expect(errorOf(`{ "conduits": [{ ${entry}, "versioning": { "dir": ".v", "keepDays": 1e1 } }] }`))
      .toBe('conduits.json: conduits[0].versioning.keepDays: expected a whole number written in digits, got 1e1');
    expect(errorOf('{ "api": { "port": 7.42e3 }, "conduits": [] }')).toBe('conduits.json: api.port: expected a whole number written in digits, got 7.42e3');
    expect(errorOf('{ "maxConcurrentConduits": 2.0, "conduits": [] }')).toBe('conduits.json: maxConcurrentConduits: expected a whole number written in digits, got 2.0');
    const config = parseConfigText(`{ "conduits": [{ ${entry}, "bandwidthLimitMbps": 1.25e1, "maxDeletePercent": 12.5, "parallelTransfers": 8 }] }`, { place: 'c', baseDir: root });
    expect(config.conduits[0]).toMatchObject({ bandwidthLimitMbps: 12.5, maxDeletePercent: 12.5, parallelTransfers: 8 });
  });

  test('a number inside a string stays a string (and is refused as one)', () => {
    expect(errorOf(`{ "conduits": [{ ${entry}, "parallelTransfers": " 4" }] }`)).toBe('conduits.json: conduits[0].parallelTransfers: expected a whole number from 1 to 64, got " 4"');
    expect(errorOf(`{ "conduits": [{ ${entry}, "exclude": ["4e0", "a\\"b,c"], "parallelTransfers": 4e0 }] }`)).toMatch(/parallelTransfers: expected a whole number written in digits, got 4e0$/);
  });
});

describe('issue 8 §3: the database a config file is imported into', () => {
  test('no root may contain it (databasePath: the one actually opened)', () => {
    mkdirSync(join(root, 'data'), { recursive: true });
    const config = text({ conduits: [conduit('a', { target: './data' })] });
    expect(() => parseConfigText(config, { place: 'c.json', baseDir: root, databasePath: join(root, 'data/conduit.db') }))
      .toThrow(`c.json: conduits[0].target: expected a directory that does not contain conduit's own files, got "${join(root, 'data')}" (it contains the database, ${join(root, 'data/conduit.db')})`);
    // A root inside the database's folder holds none of its files.
    const inside = text({ conduits: [conduit('a', { target: './data/copy' })] });
    expect(parseConfigText(inside, { place: 'c.json', baseDir: root, databasePath: join(root, 'data/conduit.db') }).conduits).toHaveLength(1);
  });

  test('the shipped conduits.example.json passes the rule with its own database', () => {
    const example = join(repoRoot, 'conduits.example.json');
    const raw = readConfigJson(example);
    const config = loadConfigFile(example, [], configDatabase(raw, repoRoot) ?? undefined);
    expect(config.database).toBe(join(repoRoot, 'conduit.db'));
    expect(config.conduits.map((c) => c.name)).toEqual(['photos-backup', 'notes', 'reports']);
  });
});
