import { describe, expect, it } from 'vitest';
import type { FileEntry, SymlinkEntry } from '../../src/core/entry.js';
import { isConduitTempName, parseTempName } from '../../src/engine/filters.js';
import { tempNameFor, tempTokenFor } from '../../src/engine/temp-name.js';
import {
  ensureDir,
  moveToVersions,
  parseVersionStamp,
  pruneVersions,
  versionName,
  versionStamp,
  versionsDirFor,
} from '../../src/engine/versioning.js';
import { FaultyFileSystem } from '../../src/fs/faulty-file-system.js';
import { MemoryFileSystem } from '../../src/fs/memory-file-system.js';

const TOKEN = '0123456789ab';
const STAMP = '20261123T051500Z';
const random = (): string => 'r4nd';

describe('version names', () => {
  it('formats the stamp as YYYYMMDDTHHMMSSZ in UTC', () => {
    expect(versionStamp(new Date('2026-11-23T05:15:00.789Z'))).toBe(STAMP);
  });

  it('puts the stamp between stem and extension, like conflict copies', () => {
    expect(versionName('docs/notes.txt', STAMP)).toBe(`docs/notes.${STAMP}.txt`);
    expect(versionName('a.tar.gz', STAMP)).toBe(`a.tar.${STAMP}.gz`);
    expect(versionName('.env', STAMP)).toBe(`.env.${STAMP}`);
    expect(versionName('Makefile', STAMP, 3)).toBe(`Makefile.${STAMP}-3`);
  });

  it('reads the stamp back from every name it makes, and from nothing else', () => {
    for (const rel of ['notes.txt', 'a.tar.gz', '.env', 'Makefile', 'x.']) {
      for (const attempt of [1, 2, 12]) {
        const name = versionName(rel, STAMP, attempt);
        expect(parseVersionStamp(name)?.toISOString()).toBe('2026-11-23T05:15:00.000Z');
      }
    }
    expect(parseVersionStamp('notes.txt')).toBeNull();
    expect(parseVersionStamp('photo-20261123.jpg')).toBeNull();
  });

  it('resolves the directory against the side root unless absolute', () => {
    expect(versionsDirFor('/data/src', '.conduit-versions')).toBe('/data/src/.conduit-versions');
    expect(versionsDirFor('/data/src', '/backups/versions')).toBe('/backups/versions');
  });
});

describe('temporary names', () => {
  it('are hidden, marked, and recognised by the scan as temporaries', () => {
    expect(tempNameFor('a.txt', '0123456789ab', 'abc')).toBe('.a.txt.conduit-tmp-0123456789ab-abc');
    for (const name of ['a.txt', '.env', 'x', 'ü'.repeat(200)]) expect(isConduitTempName(tempNameFor(name, '0123456789ab', 'abc123'))).toBe(true);
    expect(parseTempName(tempNameFor('a.conduit-tmp-x', 'abcdef012345', 'r'))).toEqual({ name: 'a.conduit-tmp-x', token: 'abcdef012345' });
  });

  it('carry the token of the conduit that writes them: the first 12 hex digits of its uuid', () => {
    expect(tempTokenFor('3F2A9C1B-77D4-4E0A-9B1C-0D2E3F4A5B6C')).toBe('3f2a9c1b77d4');
    expect(() => tempTokenFor('not-a-uuid')).toThrow(/12 hex digits/);
    expect(() => tempNameFor('a.txt', 'final', 'x')).toThrow(/not a temp token/);
  });

  it('cut very long names so the temporary still fits in 255 bytes', () => {
    const long = 'é'.repeat(127); // 254 bytes
    const temp = tempNameFor(long, 'abcdef012345', 'abcdef123456789');
    expect(Buffer.byteLength(temp)).toBeLessThanOrEqual(255);
    expect(isConduitTempName(temp)).toBe(true);
  });
});

async function fileEntry(fs: MemoryFileSystem, path: string): Promise<FileEntry> {
  return (await fs.lstat(path)) as FileEntry;
}

describe('moveToVersions', () => {
  it('renames the file under its relative path in a relative versions dir, keeping mtime and mode', async () => {
    const fs = new MemoryFileSystem();
    fs.writeFile('/src/docs/notes.txt', 'old', { mtimeNs: 77n, mode: 0o600 });
    const entry = await fileEntry(fs, '/src/docs/notes.txt');
    const moved = await moveToVersions(fs, { root: '/src', relPath: 'docs/notes.txt', entry, dir: '.conduit-versions', stamp: STAMP, randomSuffix: random, tempToken: TOKEN });
    expect(moved).toBe(`/src/.conduit-versions/docs/notes.${STAMP}.txt`);
    expect(fs.exists('/src/docs/notes.txt')).toBe(false);
    expect(await fs.lstat(moved!)).toMatchObject({ kind: 'file', mtimeNs: 77n, mode: 0o600, ino: entry.ino });
    expect(fs.readFile(moved!)).toBe('old');
  });

  it('uses an absolute versions dir as is, creating it', async () => {
    const fs = new MemoryFileSystem();
    fs.writeFile('/src/a.txt', 'old');
    const entry = await fileEntry(fs, '/src/a.txt');
    const moved = await moveToVersions(fs, { root: '/src', relPath: 'a.txt', entry, dir: '/vault/v', stamp: STAMP, randomSuffix: random, tempToken: TOKEN });
    expect(moved).toBe(`/vault/v/a.${STAMP}.txt`);
  });

  it('never overwrites an earlier version with the same stamp', async () => {
    const fs = new MemoryFileSystem();
    fs.writeFile(`/src/.v/a.${STAMP}.txt`, 'first');
    fs.writeFile('/src/a.txt', 'second');
    const entry = await fileEntry(fs, '/src/a.txt');
    const moved = await moveToVersions(fs, { root: '/src', relPath: 'a.txt', entry, dir: '.v', stamp: STAMP, randomSuffix: random, tempToken: TOKEN });
    expect(moved).toBe(`/src/.v/a.${STAMP}-2.txt`);
    expect(fs.readFile(`/src/.v/a.${STAMP}.txt`)).toBe('first');
    expect(fs.readFile(moved!)).toBe('second');
  });

  it('copies through a temporary and unlinks when the versions dir is on another filesystem (EXDEV)', async () => {
    const mem = new MemoryFileSystem();
    mem.writeFile('/src/a.txt', 'old', { mtimeNs: 123n, mode: 0o640 });
    const fs = new FaultyFileSystem(mem).failOn('rename', '/src/a.txt', 'EXDEV');
    const entry = await fileEntry(mem, '/src/a.txt');
    const moved = await moveToVersions(fs, { root: '/src', relPath: 'a.txt', entry, dir: '/other/v', stamp: STAMP, randomSuffix: random, tempToken: TOKEN });
    expect(moved).toBe(`/other/v/a.${STAMP}.txt`);
    expect(mem.exists('/src/a.txt')).toBe(false);
    expect(await mem.lstat(moved!)).toMatchObject({ mtimeNs: 123n, mode: 0o640 });
    expect(mem.snapshot('/other/v')).toEqual({ [`a.${STAMP}.txt`]: 'old' });
  });

  it('on the EXDEV path, keeps the original when it changed during the copy', async () => {
    const mem = new MemoryFileSystem();
    mem.writeFile('/src/a.txt', 'old');
    const entry = await fileEntry(mem, '/src/a.txt');
    const fs = new FaultyFileSystem(mem)
      .failOn('rename', '/src/a.txt', 'EXDEV')
      .afterOp('copyFile', '/src/a.txt', () => mem.writeFile('/src/a.txt', 'edited meanwhile'));
    const moved = await moveToVersions(fs, { root: '/src', relPath: 'a.txt', entry, dir: '/other/v', stamp: STAMP, randomSuffix: random, tempToken: TOKEN });
    expect(moved).toBeNull();
    expect(mem.readFile('/src/a.txt')).toBe('edited meanwhile');
    expect(mem.snapshot('/other/v')).toEqual({});
  });

  it('moves a link as a link, also across filesystems', async () => {
    const mem = new MemoryFileSystem();
    mem.mkdirp('/src');
    await mem.symlink('../target', '/src/l');
    const entry = (await mem.lstat('/src/l')) as SymlinkEntry;
    const fs = new FaultyFileSystem(mem).failOn('rename', '/src/l', 'EXDEV');
    const moved = await moveToVersions(fs, { root: '/src', relPath: 'l', entry, dir: '.v', stamp: STAMP, randomSuffix: random, tempToken: TOKEN });
    expect(mem.snapshot('/src')).toEqual({ '.v/': true, [`.v/l.${STAMP}`]: { symlink: '../target' } });
    expect(moved).toBe(`/src/.v/l.${STAMP}`);
  });

  it('removes its temporary when the cross-filesystem copy fails', async () => {
    const mem = new MemoryFileSystem();
    mem.writeFile('/src/a.txt', 'old');
    const entry = await fileEntry(mem, '/src/a.txt');
    const fs = new FaultyFileSystem(mem)
      .failOn('rename', '/src/a.txt', 'EXDEV')
      .afterOp('copyFile', '/src/a.txt', () => {
        throw Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' });
      });
    await expect(moveToVersions(fs, { root: '/src', relPath: 'a.txt', entry, dir: '/v', stamp: STAMP, randomSuffix: random, tempToken: TOKEN })).rejects.toThrow('ENOSPC');
    expect(mem.snapshot('/v')).toEqual({});
    expect(mem.readFile('/src/a.txt')).toBe('old');
  });
});

describe('ensureDir', () => {
  it('makes missing ancestors, accepts an existing directory, refuses a file in the way', async () => {
    const fs = new MemoryFileSystem();
    await ensureDir(fs, '/a/b/c');
    await ensureDir(fs, '/a/b/c');
    expect(fs.snapshot('/a')).toEqual({ 'b/': true, 'b/c/': true });
    fs.writeFile('/f', 'x');
    await expect(ensureDir(fs, '/f')).rejects.toMatchObject({ code: 'EEXIST' });
  });
});

describe('pruneVersions', () => {
  const now = new Date('2026-12-31T00:00:00Z');

  it('removes versions older than keepDays by their stamp, then emptied directories', async () => {
    const fs = new MemoryFileSystem();
    const old = versionStamp(new Date('2026-11-01T00:00:00Z')); // 60 days before now
    const recent = versionStamp(new Date('2026-12-20T00:00:00Z')); // 11 days before now
    fs.writeFile(`/v/docs/old/a.${old}.txt`, 'a');
    fs.writeFile(`/v/docs/b.${old}-2.txt`, 'b');
    fs.writeFile(`/v/docs/b.${recent}.txt`, 'b2');
    fs.writeFile('/v/README', 'not a version: left alone');
    await fs.symlink('x', `/v/link.${old}`);
    const removed = await pruneVersions(fs, '/v', 30, now);
    expect(removed.sort()).toEqual([`/v/docs/b.${old}-2.txt`, '/v/docs/old', `/v/docs/old/a.${old}.txt`, `/v/link.${old}`].sort());
    expect(fs.snapshot('/v')).toEqual({ README: 'not a version: left alone', 'docs/': true, [`docs/b.${recent}.txt`]: 'b2' });
  });

  it('keeps the versions dir itself and accepts a missing one', async () => {
    const fs = new MemoryFileSystem();
    fs.writeFile(`/v/a.${versionStamp(new Date('2020-01-01T00:00:00Z'))}`, 'x');
    await pruneVersions(fs, '/v', 30, now);
    expect(fs.snapshot('/v')).toEqual({});
    expect(await pruneVersions(fs, '/nowhere', 30, now)).toEqual([]);
  });
});
