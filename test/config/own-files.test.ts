import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { checkRootHoldsNoOwnFile, ownFilesInside, ownFilesOf } from '../../src/config/own-files.js';
import { validateConduit } from '../../src/config/validate-conduit.js';

/** SPEC §4: the one rule for conduit's own files, on real folders (symlinks, relative paths, missing targets). */
let root: string;
beforeAll(() => {
  // Real path: tmpdir may itself be a symlink (macOS), and messages show real paths.
  root = realpathSync(mkdtempSync(join(tmpdir(), 'conduit-own-files-')));
  mkdirSync(join(root, 'data/db'), { recursive: true });
  mkdirSync(join(root, 'src'));
  writeFileSync(join(root, 'data/db/conduit.db'), '');
  symlinkSync(join(root, 'data'), join(root, 'data-link'));
  mkdirSync(join(root, 'elsewhere'));
  writeFileSync(join(root, 'elsewhere/real.db'), '');
  symlinkSync(join(root, 'elsewhere/real.db'), join(root, 'data/db/linked.db'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const database = () => join(root, 'data/db/conduit.db');
const refusal = (field: string, dir: string) => {
  try {
    checkRootHoldsNoOwnFile(field, dir, ownFilesOf(database()));
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  return null;
};

describe('ownFilesOf', () => {
  test('the database, its -wal, -shm and -journal, and the API token file beside it', () => {
    expect(ownFilesOf(database()).map((file) => relative(root, file.path))).toEqual([
      'data/db/conduit.db', 'data/db/conduit.db-wal', 'data/db/conduit.db-shm', 'data/db/conduit.db-journal', 'data/db/conduit-api-token',
    ]);
  });

  test('a database given relatively, or through a symlinked folder, resolves to the same real files', () => {
    const cwd = process.cwd();
    try {
      process.chdir(join(root, 'data'));
      expect(ownFilesOf('db/conduit.db')).toEqual(ownFilesOf(database()));
    } finally {
      process.chdir(cwd);
    }
    expect(ownFilesOf(join(root, 'data-link/db/conduit.db'))).toEqual(ownFilesOf(database()));
  });

  test('a database that is a symlink: the link and the file it points to (SQLite keeps -wal beside the latter) are both conduit\'s', () => {
    const paths = ownFilesOf(join(root, 'data/db/linked.db')).map((file) => relative(root, file.path));
    expect(paths).toEqual(expect.arrayContaining(['data/db/linked.db', 'data/db/linked.db-wal', 'elsewhere/real.db', 'elsewhere/real.db-wal']));
  });
});

describe('checkRootHoldsNoOwnFile', () => {
  test('the database\'s folder and every folder above it are refused, naming the field and the file', () => {
    expect(refusal('target', join(root, 'data/db'))).toBe(
      `target: expected a directory that does not contain conduit's own files, got "${join(root, 'data/db')}" (it contains the database, ${database()})`);
    expect(refusal('source', join(root, 'data'))).toMatch(/^source: .*the database/);
    expect(refusal('source', root)).toMatch(/^source: /);
  });

  test('through a symlinked parent, the real paths are compared', () => {
    expect(refusal('target', join(root, 'data-link/db'))).toMatch(/^target: .*conduit\.db/);
    expect(refusal('target', join(root, 'data-link'))).toMatch(/^target: /);
  });

  test('a root inside the database\'s folder, or beside it, is fine', () => {
    expect(refusal('target', join(root, 'data/db/copy'))).toBeNull();
    expect(refusal('target', join(root, 'data/other'))).toBeNull();
    expect(refusal('target', join(root, 'src'))).toBeNull();
  });

  test('a target that does not exist yet, for a database not created yet inside it', () => {
    const future = join(root, 'new-backup');
    expect(() => checkRootHoldsNoOwnFile('target', future, ownFilesOf(join(future, 'conduit.db')))).toThrow(/^target: .*new-backup\/conduit\.db/);
  });

  test('a target named like one of the files (the -wal, not there yet) is refused', () => {
    expect(refusal('target', `${database()}-wal`)).toMatch(/write-ahead log/);
  });

  test('a database elsewhere than the token file\'s folder: the token file alone is protected too', () => {
    const tokenOnly = ownFilesOf(join(root, 'data/db/linked.db')).filter((file) => file.what === 'the API token file');
    expect(() => checkRootHoldsNoOwnFile('target', join(root, 'data/db'), tokenOnly)).toThrow(/the API token file, .*conduit-api-token/);
  });

  test('validateConduit applies it when given the own files, to both roots', () => {
    const ownFiles = ownFilesOf(database());
    expect(() => validateConduit({ name: 'x', source: join(root, 'src'), target: join(root, 'data'), mode: 'mirror' }, { baseDir: root, ownFiles }))
      .toThrow(/^target: expected a directory that does not contain conduit's own files/);
    expect(() => validateConduit({ name: 'x', source: join(root, 'data'), target: join(root, 'copy'), mode: 'bidirectional' }, { baseDir: root, ownFiles }))
      .toThrow(/^source: expected a directory that does not contain conduit's own files/);
    expect(validateConduit({ name: 'x', source: join(root, 'src'), target: join(root, 'data/db/copy'), mode: 'mirror' }, { baseDir: root, ownFiles }).target)
      .toBe(join(root, 'data/db/copy'));
  });
});

describe('ownFilesInside (the scan\'s excludes)', () => {
  test('relative to the root as the scan sees it, as given or through a symlink', () => {
    const expected = ['db/conduit.db', 'db/conduit.db-wal', 'db/conduit.db-shm', 'db/conduit.db-journal', 'db/conduit-api-token'];
    expect(ownFilesInside(join(root, 'data'), database()).sort()).toEqual([...expected].sort());
    expect(ownFilesInside(join(root, 'data-link'), database()).sort()).toEqual([...expected].sort());
    expect(ownFilesInside(join(root, 'data'), join(root, 'data-link/db/conduit.db')).sort()).toEqual([...expected].sort());
  });

  test('nothing for a root that holds none of them', () => {
    expect(ownFilesInside(join(root, 'src'), database())).toEqual([]);
    expect(ownFilesInside(join(root, 'data/db/copy'), database())).toEqual([]);
  });
});
