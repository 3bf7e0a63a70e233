import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FaultyFileSystem } from '../../src/fs/faulty-file-system.js';
import { MemoryFileSystem } from '../../src/fs/memory-file-system.js';
import { fileSystemContract } from './file-system.contract.js';

// With no rules the decorator must be the filesystem it wraps, capabilities included.
fileSystemContract('FaultyFileSystem(MemoryFileSystem), no rules', async () => {
  const mem = new MemoryFileSystem();
  mem.mkdirp('/work');
  return {
    fs: new FaultyFileSystem(mem),
    root: '/work',
    writeFile: async (path, content) => mem.writeFile(path, content),
    readFile: async (path) => mem.readFile(path),
    mtimeToleranceNs: 0n,
    cleanup: async () => undefined,
  };
}, { syncOps: false });

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

describe('FaultyFileSystem capabilities: forwarded, or done through its own rules, never silently dropped', () => {
  const rules = { rules: { include: [], exclude: [], ignore: [] } };
  const request = (mem: MemoryFileSystem, name: string) => {
    const originEntry = mem.lstatSync(`/r/${name}`);
    if (originEntry.kind !== 'file') throw new Error(name);
    return { origin: `/r/${name}`, originEntry, dest: `/t/${name}`, expected: null, temp: `/t/.${name}.conduit-tmp-x`, versioned: false, ancestors: [] };
  };

  it('forwards walkTree when no rule concerns the walk: one walkTree call, no per-name calls', async () => {
    const { fs } = setup();
    fs.failOn('copyFile', '/r/a', 'EIO'); // not a walk rule
    const result = await fs.walkTree('/r', rules);
    expect([...result.entries.keys()].sort()).toEqual(['a', 'b']);
    expect(fs.calls).toEqual([{ op: 'walkTree', paths: ['/r'] }]);
  });

  it('walks through its own readdirSync/lstatSync when a rule concerns them, so the fault lands in the scan', async () => {
    const { fs } = setup();
    fs.failOn('lstatSync', '/r/a', 'EIO');
    const result = await fs.walkTree('/r', rules);
    expect(result.entries.get('a')).toMatchObject({ kind: 'problem', code: 'EIO' });
    expect(result.entries.get('b')).toMatchObject({ kind: 'file' });
    expect(fs.calls.map((c) => c.op)).toEqual(['walkTree', 'lstatSync', 'readdirSync', 'lstatSync', 'lstatSync']);
  });

  it('inlineWalks logs every name a walk looks at even without a rule', async () => {
    const mem = new MemoryFileSystem();
    mem.writeFile('/r/a', 'A');
    const fs = new FaultyFileSystem(mem, { inlineWalks: true });
    await fs.walkTree('/r', rules);
    expect(fs.calls).toEqual([
      { op: 'walkTree', paths: ['/r'] }, { op: 'lstatSync', paths: ['/r'] }, { op: 'readdirSync', paths: ['/r'] }, { op: 'lstatSync', paths: ['/r/a'] },
    ]);
  });

  it('refuses copy batches while a per-file rule can fire, and forwards them (logged) otherwise', async () => {
    const { mem, fs } = setup();
    mem.mkdirp('/t');
    fs.failOn('rename', (p) => p.startsWith('/t/'), 'ENOSPC', { times: 1 });
    expect(fs.openCopyBatches(2)).toBeNull();
    await expect(fs.rename('/t/nothing', '/t/x')).rejects.toMatchObject({ code: 'ENOSPC' }); // uses the rule up
    const batches = fs.openCopyBatches(2);
    expect(batches).not.toBeNull();
    const results = await batches!.copy([request(mem, 'a')]);
    await batches!.close();
    expect(results).toMatchObject([{ ok: true, result: { status: 'landed' } }]);
    expect(mem.readFile('/t/a')).toBe('A');
    expect(fs.calls.at(-1)).toEqual({ op: 'copyBatch', paths: ['/r/a', '/t/.a.conduit-tmp-x', '/t/a'] });
  });

  it('a walk rule does not refuse batches; a rule on copyBatch fails the whole batch, as a dead worker would', async () => {
    const { mem, fs } = setup();
    mem.mkdirp('/t');
    fs.failOn('readdirSync', '/elsewhere', 'EACCES');
    fs.failOn('copyBatch', '/r/b', 'EIO');
    const batches = fs.openCopyBatches(1)!;
    await expect(batches.copy([request(mem, 'a'), request(mem, 'b')])).rejects.toMatchObject({ code: 'EIO', op: 'copyBatch' });
    expect(mem.exists('/t/a')).toBe(false);
    await batches.close();
  });

  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

  it('forwards hashFiles when no rule concerns hash: one hashFiles call naming every path, no per-file calls', async () => {
    const { fs } = setup();
    fs.failOn('copyFile', '/r/a', 'EIO'); // not a hash rule
    expect(await fs.hashFiles('/r', ['a', 'b'])).toEqual([{ hash: sha256('A') }, { hash: sha256('B') }]);
    expect(fs.calls).toEqual([{ op: 'hashFiles', paths: ['/r/a', '/r/b'] }]);
  });

  it('hashes file by file through its own hash while a rule concerns hash, so the fault lands on the file it names', async () => {
    const { mem, fs } = setup();
    mem.writeFile('/r/c', 'C');
    fs.failOn('hash', '/r/b', 'EACCES', { times: 1 });
    fs.beforeOp('hash', '/r/c', () => mem.writeFile('/r/c', 'edited just before its hash'));
    const outcomes = await fs.hashFiles('/r', ['a', 'b', 'c']);
    expect(outcomes).toEqual([
      { hash: sha256('A') },
      { error: { code: 'EACCES', message: "EACCES: injected fault, hash '/r/b'" } },
      { hash: sha256('edited just before its hash') },
    ]);
    expect(fs.calls).toEqual([
      { op: 'hashFiles', paths: ['/r/a', '/r/b', '/r/c'] },
      { op: 'hash', paths: ['/r/a'] }, { op: 'hash', paths: ['/r/b'] }, { op: 'hash', paths: ['/r/c'] },
    ]);
    // The failure rule is used up, the hook is not: still one by one, and b is read now.
    expect(await fs.hashFiles('/r', ['b'])).toEqual([{ hash: sha256('B') }]);
    expect(fs.calls.at(-1)).toEqual({ op: 'hash', paths: ['/r/b'] });
  });

  it('one by one, an abort makes the rest ABORTED; a rule on hashFiles fails the whole set, as a lost worker would', async () => {
    const { fs } = setup();
    const controller = new AbortController();
    fs.afterOp('hash', '/r/a', () => controller.abort());
    expect((await fs.hashFiles('/r', ['a', 'b'], controller.signal)).map((o) => ('hash' in o ? o.hash : o.error.code))).toEqual([sha256('A'), 'ABORTED']);
    fs.reset();
    fs.failOn('hashFiles', '/r/b', 'EIO');
    await expect(fs.hashFiles('/r', ['a', 'b'])).rejects.toMatchObject({ code: 'EIO', op: 'hashFiles' });
  });

  it('a rule on hash or hashFiles does not refuse copy batches (no copy hashes)', () => {
    const { fs } = setup();
    fs.failOn('hash', '/r/a', 'EIO');
    fs.failOn('hashFiles', '/r/a', 'EIO');
    expect(fs.openCopyBatches(1)).not.toBeNull();
  });

  it('forwards watch and logs it', async () => {
    const { mem, fs } = setup();
    const seen: string[] = [];
    const watcher = fs.watch(['/r'], {}, (events) => seen.push(...events.map((e) => (e.type === 'change' ? e.path : e.type))));
    await watcher.ready;
    mem.writeFile('/r/c', 'C');
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    await watcher.close();
    expect(seen).toEqual(['c']);
    expect(fs.calls).toEqual([{ op: 'watch', paths: ['/r'] }]);
  });
});
