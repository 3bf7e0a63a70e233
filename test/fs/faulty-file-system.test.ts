import { describe, expect, it } from 'vitest';
import { FaultyFileSystem } from '../../src/fs/faulty-file-system.js';
import { MemoryFileSystem } from '../../src/fs/memory-file-system.js';

function setup(): { mem: MemoryFileSystem; fs: FaultyFileSystem } {
  const mem = new MemoryFileSystem();
  mem.writeFile('/r/a', 'A');
  mem.writeFile('/r/b', 'B');
  return { mem, fs: new FaultyFileSystem(mem) };
}

describe('FaultyFileSystem', () => {
  it('failOn throws the code on a matching path only, before touching the inner fs', async () => {
    const { mem, fs } = setup();
    fs.failOn('unlink', '/r/a', 'EACCES');
    await expect(fs.unlink('/r/a')).rejects.toMatchObject({ code: 'EACCES', op: 'unlink', path: '/r/a', message: "EACCES: injected fault, unlink '/r/a'" });
    expect(mem.exists('/r/a')).toBe(true);
    await fs.unlink('/r/b');
    expect(mem.exists('/r/b')).toBe(false);
  });

  it('failOn matches either path of copyFile and rename, and takes predicates', async () => {
    const { fs } = setup();
    fs.failOn('copyFile', (p) => p.endsWith('/dest'), 'ENOSPC');
    await expect(fs.copyFile('/r/a', '/r/dest')).rejects.toMatchObject({ code: 'ENOSPC', path: '/r/dest' });
    fs.failOn('rename', '/r/a', 'EXDEV');
    await expect(fs.rename('/r/a', '/r/z')).rejects.toMatchObject({ code: 'EXDEV' });
  });

  it('failOn with times fails that many times, then lets the op through', async () => {
    const { fs } = setup();
    fs.failOn('lstat', '/r/a', 'EIO', { times: 2 });
    await expect(fs.lstat('/r/a')).rejects.toMatchObject({ code: 'EIO' });
    await expect(fs.lstat('/r/a')).rejects.toMatchObject({ code: 'EIO' });
    await expect(fs.lstat('/r/a')).resolves.toMatchObject({ kind: 'file' });
  });

  it('failOn works on the synchronous scan calls', () => {
    const { fs } = setup();
    fs.failOn('readdirSync', '/r', 'EACCES');
    expect(() => fs.readdirSync('/r')).toThrow(/EACCES/);
    fs.failOn('lstatSync', '/r/a', 'EIO', { times: 1 });
    expect(() => fs.lstatSync('/r/a')).toThrow(/EIO/);
    expect(fs.lstatSync('/r/a')).toMatchObject({ kind: 'file' });
  });

  it('beforeOp runs (and is awaited) just before the op; afterOp right after it succeeded', async () => {
    const { mem, fs } = setup();
    const order: string[] = [];
    fs.beforeOp('copyFile', '/r/a', async () => {
      await new Promise((r) => setTimeout(r, 5));
      mem.writeFile('/r/a', 'edited before');
      order.push('before');
    });
    fs.afterOp('copyFile', '/r/a', (path) => {
      order.push(`after ${path} ${mem.readFile('/r/copy')}`);
      mem.writeFile('/r/a', 'edited after');
    });
    await fs.copyFile('/r/a', '/r/copy');
    expect(order).toEqual(['before', 'after /r/a edited before']);
    expect(mem.readFile('/r/copy')).toBe('edited before');
    expect(mem.readFile('/r/a')).toBe('edited after');
  });

  it('afterOp does not run when the op failed, and hooks can be limited with times', async () => {
    const { fs } = setup();
    let after = 0;
    let before = 0;
    fs.afterOp('unlink', () => true, () => void after++);
    fs.beforeOp('unlink', () => true, () => void before++, { times: 1 });
    await expect(fs.unlink('/r/missing')).rejects.toMatchObject({ code: 'ENOENT' });
    await fs.unlink('/r/a');
    expect(before).toBe(1);
    expect(after).toBe(1);
  });

  it('refuses an async hook on a synchronous op', () => {
    const { fs } = setup();
    fs.beforeOp('lstatSync', '/r/a', async () => undefined);
    expect(() => fs.lstatSync('/r/a')).toThrow(/must not be async/);
  });

  it('logs every call with its paths; reset forgets rules and calls', async () => {
    const { fs } = setup();
    fs.failOn('lstat', '/r/a', 'EIO');
    await fs.rename('/r/a', '/r/c');
    await fs.symlink('link text', '/r/l');
    expect(fs.calls).toEqual([
      { op: 'rename', paths: ['/r/a', '/r/c'] },
      { op: 'symlink', paths: ['/r/l'] },
    ]);
    fs.reset();
    expect(fs.calls).toEqual([]);
    await expect(fs.lstat('/r/c')).resolves.toMatchObject({ kind: 'file' });
  });
});
