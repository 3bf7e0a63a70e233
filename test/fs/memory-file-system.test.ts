import { describe, expect, it } from 'vitest';
import { FsError } from '../../src/fs/file-system.js';
import { MemoryFileSystem } from '../../src/fs/memory-file-system.js';
import { fileSystemContract } from './file-system.contract.js';

fileSystemContract('MemoryFileSystem', async () => {
  const fs = new MemoryFileSystem();
  fs.mkdirp('/work');
  return {
    fs,
    root: '/work',
    writeFile: async (path, content) => fs.writeFile(path, content),
    readFile: async (path) => fs.readFile(path),
    mtimeToleranceNs: 0n,
    syncOps: fs,
    cleanup: async () => undefined,
  };
}, { syncOps: true });

describe('MemoryFileSystem helpers', () => {
  it('snapshot lists files by content, directories with a trailing slash, links by text', async () => {
    const fs = new MemoryFileSystem();
    fs.writeFile('/r/a.txt', 'A');
    fs.writeFile('/r/d/b.txt', 'B');
    fs.mkdirp('/r/empty');
    await fs.symlink('../elsewhere', '/r/d/link');
    expect(fs.snapshot('/r')).toEqual({
      'a.txt': 'A',
      'd/': true,
      'd/b.txt': 'B',
      'd/link': { symlink: '../elsewhere' },
      'empty/': true,
    });
  });

  it('writeFile takes mtime and mode, and overwrites in place (same inode)', async () => {
    const fs = new MemoryFileSystem();
    fs.writeFile('/r/a', 'one', { mtimeNs: 42n, mode: 0o600 });
    const first = await fs.lstat('/r/a');
    expect(first).toMatchObject({ kind: 'file', size: 3, mtimeNs: 42n, mode: 0o600 });
    fs.writeFile('/r/a', 'three');
    const second = await fs.lstat('/r/a');
    expect(second).toMatchObject({ kind: 'file', size: 5, mode: 0o600, ino: (first as { ino: number }).ino });
    expect((second as { mtimeNs: bigint }).mtimeNs).not.toBe(42n);
  });

  it('stamps strictly increasing mtimes even when the clock stands still', async () => {
    const fs = new MemoryFileSystem({ clockNs: () => 1_000n });
    fs.writeFile('/a', 'x');
    fs.writeFile('/b', 'x');
    const a = (await fs.lstat('/a')) as { mtimeNs: bigint };
    const b = (await fs.lstat('/b')) as { mtimeNs: bigint };
    expect(b.mtimeNs).toBeGreaterThan(a.mtimeNs);
  });

  it('never walks through a link used as a directory (ENOTDIR)', async () => {
    const fs = new MemoryFileSystem();
    fs.writeFile('/real/secret', 's');
    await fs.symlink('/real', '/link');
    expect(() => fs.readdirSync('/link')).toThrow(FsError);
    await expect(fs.lstat('/link/secret')).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it('reports planted sockets/FIFOs as unsupported problems', async () => {
    const fs = new MemoryFileSystem();
    fs.mkspecial('/r/pipe', 'FIFO');
    expect(await fs.lstat('/r/pipe')).toMatchObject({ kind: 'problem', code: 'unsupported' });
    expect(fs.snapshot('/r')).toEqual({ pipe: { special: 'FIFO' } });
  });

  it('exists sees links and misses absent paths', async () => {
    const fs = new MemoryFileSystem();
    await fs.symlink('nowhere', '/l');
    expect(fs.exists('/l')).toBe(true);
    expect(fs.exists('/nope')).toBe(false);
    expect(fs.exists('/l/x')).toBe(false);
  });

  it('rename refuses to move a directory into itself', async () => {
    const fs = new MemoryFileSystem();
    fs.mkdirp('/a/b');
    await expect(fs.rename('/a', '/a/b/c')).rejects.toMatchObject({ code: 'EOTHER' });
    await expect(fs.rename('/a/b', '/a')).rejects.toMatchObject({ code: 'ENOTEMPTY' });
  });
});

describe('MemoryFileSystem watch (the in-process emitter)', () => {
  const settle = async () => {
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  };

  it('reports its root going and coming back, and a root moved away as gone', async () => {
    const fs = new MemoryFileSystem();
    fs.mkdirp('/r/root');
    const events: unknown[] = [];
    const watcher = fs.watch(['/r/root'], {}, (batch) => events.push(...batch));
    await watcher.ready;
    await fs.rmdir('/r/root');
    await settle();
    fs.mkdirp('/r/root');
    await settle();
    await fs.rename('/r/root', '/r/elsewhere');
    await settle();
    await watcher.close();
    expect(events).toEqual([
      { type: 'root', root: '/r/root', present: false },
      { type: 'root', root: '/r/root', present: true },
      { type: 'root', root: '/r/root', present: false },
    ]);
  });

  it('batches what changed before it delivers, each path observed as it is then, and goes quiet once closed', async () => {
    const fs = new MemoryFileSystem();
    fs.mkdirp('/r');
    const batches: unknown[][] = [];
    const watcher = fs.watch(['/r'], { ignorePath: (rel) => rel.startsWith('versions') }, (batch) => batches.push([...batch]));
    fs.writeFile('/r/a', 'one');
    fs.writeFile('/r/a', 'two, longer');
    fs.writeFile('/r/versions/old', 'kept aside');
    await settle();
    const a = fs.lstatSync('/r/a');
    expect(batches).toEqual([[{ type: 'change', root: '/r', path: 'a', state: { kind: 'file', size: 11, mtimeNs: a.kind === 'file' ? a.mtimeNs : -1n } }]]);
    await watcher.close();
    fs.writeFile('/r/b', 'after close');
    await settle();
    expect(batches).toHaveLength(1);
  });
});
