import { describe, expect, it } from 'vitest';
import type { DirEntry, Entry, FileEntry, Side, SymlinkEntry } from '../../src/core/entry.js';
import type { Action, ConflictCopyAction, CopyAction, DeleteAction, MkdirAction, Outcome, Plan, RmdirAction, Stage, SymlinkAction } from '../../src/core/plan.js';
import { SKIP_REASON, executePlan, stillAsExpected, type TransferContext, type TransferProgress } from '../../src/engine/transfer.js';
import { FaultyFileSystem } from '../../src/fs/faulty-file-system.js';
import { FsError, type Throttle } from '../../src/fs/file-system.js';
import { MemoryFileSystem } from '../../src/fs/memory-file-system.js';

const ROOTS = { source: '/src', target: '/dst' } as const;
const abs = (side: Side, rel: string): string => `${ROOTS[side]}/${rel}`;
const other = (side: Side): Side => (side === 'source' ? 'target' : 'source');

interface World {
  readonly mem: MemoryFileSystem;
  readonly fs: FaultyFileSystem;
  /** What the scan would have seen at `rel` on `side` (null: nothing). */
  entry(side: Side, rel: string): Entry | null;
  copy(rel: string, from?: Side): CopyAction;
  symlink(rel: string, from?: Side): SymlinkAction;
  mkdir(rel: string, side?: Side, withMode?: boolean): MkdirAction;
  delete(rel: string, side?: Side, stage?: Stage): DeleteAction;
  rmdir(rel: string, side?: Side, stage?: Stage): RmdirAction;
  run(actions: readonly Action[], extra?: Partial<TransferContext>): Promise<Outcome[]>;
  /** Both roots, as plain objects. */
  trees(): { source: ReturnType<MemoryFileSystem['snapshot']>; target: ReturnType<MemoryFileSystem['snapshot']> };
  /** Every path anywhere that looks like a transfer temporary. */
  temps(): string[];
}

function world(): World {
  const mem = new MemoryFileSystem();
  mem.mkdirp(ROOTS.source);
  mem.mkdirp(ROOTS.target);
  const fs = new FaultyFileSystem(mem);
  let n = 0;
  const entry = (side: Side, rel: string): Entry | null => (mem.exists(abs(side, rel)) ? mem.lstatSync(abs(side, rel)) : null);
  const w: World = {
    mem,
    fs,
    entry,
    copy: (rel, from = 'source') => ({ op: 'copy', stage: 'transfer', path: rel, from, to: other(from), entry: entry(from, rel) as FileEntry, expected: entry(other(from), rel) }),
    symlink: (rel, from = 'source') => ({ op: 'symlink', stage: 'transfer', path: rel, from, to: other(from), entry: entry(from, rel) as SymlinkEntry, expected: entry(other(from), rel) }),
    mkdir: (rel, side = 'target', withMode = true) => ({ op: 'mkdir', stage: 'mkdir', path: rel, to: side, entry: withMode ? (entry(other(side), rel) as DirEntry) : null }),
    delete: (rel, side = 'target', stage = 'delete') => ({ op: 'delete', stage, path: rel, side, expected: entry(side, rel) as FileEntry | SymlinkEntry }),
    rmdir: (rel, side = 'target', stage = 'rmdir') => ({ op: 'rmdir', stage, path: rel, side }),
    run: (actions, extra = {}) =>
      executePlan(plan(actions), { fs, roots: ROOTS, parallelTransfers: 4, tempToken: '0123456789ab', randomSuffix: () => `t${++n}`, ...extra }),
    trees: () => ({ source: mem.snapshot(ROOTS.source), target: mem.snapshot(ROOTS.target) }),
    temps: () => [...Object.keys(mem.snapshot('/'))].filter((p) => p.includes('.conduit-tmp-')),
  };
  return w;
}

function plan(actions: readonly Action[]): Plan {
  return { actions, conflicts: [], skips: [], forget: [], hold: [] };
}

function statuses(outcomes: readonly Outcome[]): string[] {
  return outcomes.map((o) => `${o.action.op} ${o.action.path}: ${o.status}${o.status === 'skipped' ? ` (${o.reason})` : o.status === 'failed' ? ` (${o.problem.code})` : ''}`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function injected(code: FsError['code'], path: string): FsError {
  return new FsError(code, 'copyFile', path, `${code}: injected fault, copyFile '${path}'`);
}

describe('executePlan: each action', () => {
  it('copy writes a new file with the origin content, mode and mtime, and reports what landed', async () => {
    const w = world();
    w.mem.writeFile('/src/docs/a.txt', 'hello', { mode: 0o600, mtimeNs: 1_700_000_000_123_456_789n });
    w.mem.mkdirp('/dst/docs');
    const [outcome] = await w.run([w.copy('docs/a.txt')]);
    expect(outcome).toMatchObject({ status: 'applied', bytes: 5 });
    expect(w.mem.readFile('/dst/docs/a.txt')).toBe('hello');
    const landed = w.mem.lstatSync('/dst/docs/a.txt');
    expect(landed).toMatchObject({ kind: 'file', size: 5, mode: 0o600, mtimeNs: 1_700_000_000_123_456_789n });
    expect(outcome!.landed).toEqual([{ side: 'target', path: 'docs/a.txt', entry: landed }]);
    expect(w.temps()).toEqual([]);
  });

  it('copy replaces the file the planner expected, in either direction', async () => {
    const w = world();
    w.mem.writeFile('/src/a', 'old source');
    w.mem.writeFile('/dst/a', 'new target', { mode: 0o755 });
    const outcomes = await w.run([w.copy('a', 'target')]);
    expect(statuses(outcomes)).toEqual(['copy a: applied']);
    expect(w.mem.readFile('/src/a')).toBe('new target');
    expect(w.mem.lstatSync('/src/a')).toMatchObject({ mode: 0o755 });
  });

  it('symlink creates the link with its text verbatim, replacing a file the planner expected', async () => {
    const w = world();
    await w.mem.symlink('../../outside/nowhere', '/src/l');
    await w.mem.symlink('/etc/passwd', '/src/abs');
    w.mem.writeFile('/dst/abs', 'a file the link replaces');
    const outcomes = await w.run([w.symlink('l'), w.symlink('abs')]);
    expect(statuses(outcomes)).toEqual(['symlink l: applied', 'symlink abs: applied']);
    expect(w.trees().target).toEqual({ l: { symlink: '../../outside/nowhere' }, abs: { symlink: '/etc/passwd' } });
    expect(outcomes[0]!.landed).toEqual([{ side: 'target', path: 'l', entry: w.mem.lstatSync('/dst/l') }]);
    expect(w.temps()).toEqual([]);
  });

  it('symlink never replaces a destination that changed since the scan, before or during the write', async () => {
    const w = world();
    await w.mem.symlink('new-text', '/src/early');
    await w.mem.symlink('new-text', '/src/late');
    w.mem.writeFile('/dst/early', 'planned');
    const early = w.symlink('early');
    w.mem.writeFile('/dst/early', 'edited after the scan, before the write');
    const late = w.symlink('late'); // the planner saw nothing at /dst/late
    // After the temporary link exists, before the re-verify (an edit after the re-verify is the documented RACE).
    w.fs.afterOp('symlink', (p) => p.includes('.late.conduit-tmp-'), async () => {
      w.mem.writeFile('/dst/late', 'appeared while the link was being made');
    }, { times: 1 });
    const outcomes = await w.run([early, late]);
    expect(statuses(outcomes)).toEqual([
      `symlink early: skipped (${SKIP_REASON.modifiedSinceScan})`,
      `symlink late: skipped (${SKIP_REASON.modifiedSinceScan})`,
    ]);
    expect(w.trees().target).toEqual({ early: 'edited after the scan, before the write', late: 'appeared while the link was being made' });
    expect(w.temps()).toEqual([]);
  });

  it('mkdir creates the directory with the origin mode, or the default without one', async () => {
    const w = world();
    w.mem.mkdirp('/src/private', 0o750);
    const outcomes = await w.run([w.mkdir('private'), w.mkdir('restored', 'target', false)]);
    expect(statuses(outcomes)).toEqual(['mkdir private: applied', 'mkdir restored: applied']);
    expect(w.mem.lstatSync('/dst/private')).toMatchObject({ kind: 'dir', mode: 0o750 });
    expect(w.mem.lstatSync('/dst/restored')).toMatchObject({ kind: 'dir' });
    expect(outcomes[0]!.landed).toEqual([{ side: 'target', path: 'private', entry: w.mem.lstatSync('/dst/private') }]);
  });

  it('mkdir keeps owner rwx so conduit can fill a read-only directory', async () => {
    const w = world();
    w.mem.mkdirp('/src/ro', 0o555);
    await w.run([w.mkdir('ro')]);
    expect(w.mem.lstatSync('/dst/ro')).toMatchObject({ mode: 0o755 });
  });

  it('mkdir over an existing directory is applied (it lands as it is); over a file it fails', async () => {
    const w = world();
    w.mem.mkdirp('/src/d');
    w.mem.mkdirp('/src/f');
    w.mem.mkdirp('/dst/d');
    w.mem.writeFile('/dst/f', 'a file');
    const existing = w.mem.lstatSync('/dst/d');
    const outcomes = await w.run([w.mkdir('d'), w.mkdir('f')]);
    expect(statuses(outcomes)).toEqual(['mkdir d: applied', 'mkdir f: failed (EEXIST)']);
    expect(outcomes[0]!.landed).toEqual([{ side: 'target', path: 'd', entry: existing }]);
    expect(w.mem.readFile('/dst/f')).toBe('a file');
  });

  it('delete removes the expected file or link (never a link target) and reports the path gone', async () => {
    const w = world();
    w.mem.writeFile('/dst/a', 'bye');
    w.mem.writeFile('/dst/keep', 'the link points here');
    await w.mem.symlink('keep', '/dst/l');
    const outcomes = await w.run([w.delete('a'), w.delete('l')]);
    expect(statuses(outcomes)).toEqual(['delete a: applied', 'delete l: applied']);
    expect(outcomes[0]!.landed).toEqual([{ side: 'target', path: 'a', entry: null }]);
    expect(w.trees().target).toEqual({ keep: 'the link points here' });
  });

  it('delete of a path already gone is applied', async () => {
    const w = world();
    w.mem.writeFile('/dst/a', 'bye');
    const action = w.delete('a');
    await w.mem.unlink('/dst/a');
    expect(statuses(await w.run([action]))).toEqual(['delete a: applied']);
  });

  it('delete skips a file or link modified since the scan, and keeps it', async () => {
    const w = world();
    w.mem.writeFile('/dst/a', 'v1');
    await w.mem.symlink('one', '/dst/l');
    const deleteA = w.delete('a');
    const deleteL = w.delete('l');
    w.mem.writeFile('/dst/a', 'v2 (edited after the scan)');
    await w.mem.unlink('/dst/l');
    await w.mem.symlink('two', '/dst/l');
    const outcomes = await w.run([deleteA, deleteL]);
    expect(statuses(outcomes)).toEqual([`delete a: skipped (${SKIP_REASON.modifiedSinceScan})`, `delete l: skipped (${SKIP_REASON.modifiedSinceScan})`]);
    expect(w.trees().target).toEqual({ a: 'v2 (edited after the scan)', l: { symlink: 'two' } });
  });

  it('rmdir removes an empty directory, skips one holding files outside the sync, and accepts one already gone', async () => {
    const w = world();
    w.mem.mkdirp('/dst/empty');
    w.mem.writeFile('/dst/full/excluded.tmp', 'not ours');
    const outcomes = await w.run([w.rmdir('empty'), w.rmdir('full'), w.rmdir('gone')]);
    expect(statuses(outcomes)).toEqual(['rmdir empty: applied', `rmdir full: skipped (${SKIP_REASON.directoryNotEmpty})`, 'rmdir gone: applied']);
    expect(SKIP_REASON.directoryNotEmpty).toBe('directory not empty: holds files outside the sync');
    expect(w.trees().target).toEqual({ 'full/': true, 'full/excluded.tmp': 'not ours' });
  });
});

describe('executePlan: conflict copies', () => {
  function conflict(w: World, rel: string, copyPath: string, loser: Side, sides: readonly Side[]): ConflictCopyAction {
    return { op: 'conflict_copy', stage: 'preserve', path: rel, loser, entry: w.entry(loser, rel) as FileEntry, copyPath, sides };
  }

  it('moves the loser aside on its side and copies its bytes, mode and mtime to the other side', async () => {
    const w = world();
    w.mem.writeFile('/src/notes.txt', 'winner');
    w.mem.writeFile('/dst/notes.txt', 'loser', { mode: 0o640, mtimeNs: 1_600_000_000_000_000_007n });
    const copyPath = 'notes.conflict-target-20261122T101500Z.txt';
    const loserIno = (w.entry('target', 'notes.txt') as FileEntry).ino;
    const [outcome] = await w.run([conflict(w, 'notes.txt', copyPath, 'target', ['source', 'target'])]);
    expect(outcome).toMatchObject({ status: 'applied', bytes: 5 });
    expect(w.trees()).toEqual({
      source: { 'notes.txt': 'winner', [copyPath]: 'loser' },
      target: { [copyPath]: 'loser' },
    });
    expect(w.mem.lstatSync(`/dst/${copyPath}`)).toMatchObject({ ino: loserIno });
    expect(w.mem.lstatSync(`/src/${copyPath}`)).toMatchObject({ mode: 0o640, mtimeNs: 1_600_000_000_000_000_007n });
    expect(outcome!.landed).toEqual([
      { side: 'target', path: 'notes.txt', entry: null },
      { side: 'target', path: copyPath, entry: w.mem.lstatSync(`/dst/${copyPath}`) },
      { side: 'source', path: copyPath, entry: w.mem.lstatSync(`/src/${copyPath}`) },
    ]);
    expect(w.temps()).toEqual([]);
  });

  it('selective: saves the target version on the target only', async () => {
    const w = world();
    w.mem.writeFile('/dst/r.pdf', "the target's own");
    const [outcome] = await w.run([conflict(w, 'r.pdf', 'r.conflict-target-X.pdf', 'target', ['target'])]);
    expect(outcome).toMatchObject({ status: 'applied', bytes: 0 });
    expect(w.trees()).toEqual({ source: {}, target: { 'r.conflict-target-X.pdf': "the target's own" } });
  });

  it('then the winner copy lands at the path (preserve runs before transfer)', async () => {
    const w = world();
    w.mem.writeFile('/src/a.txt', 'winner');
    w.mem.writeFile('/dst/a.txt', 'loser');
    const keep = conflict(w, 'a.txt', 'a.conflict-target-X.txt', 'target', ['source', 'target']);
    const winner: CopyAction = { ...w.copy('a.txt'), expected: null };
    const outcomes = await w.run([winner, keep]);
    expect(statuses(outcomes)).toEqual(['copy a.txt: applied', 'conflict_copy a.txt: applied']);
    expect(w.trees()).toEqual({
      source: { 'a.txt': 'winner', 'a.conflict-target-X.txt': 'loser' },
      target: { 'a.txt': 'winner', 'a.conflict-target-X.txt': 'loser' },
    });
  });

  it('fails when the copy name is taken, touching nothing', async () => {
    const w = world();
    w.mem.writeFile('/dst/a.txt', 'loser');
    w.mem.writeFile('/dst/a.copy.txt', 'already here');
    const [outcome] = await w.run([conflict(w, 'a.txt', 'a.copy.txt', 'target', ['source', 'target'])]);
    expect(outcome).toMatchObject({ status: 'failed', problem: { code: 'EEXIST', path: 'a.copy.txt', op: 'conflict_copy' }, landed: [] });
    expect(w.trees().target).toEqual({ 'a.txt': 'loser', 'a.copy.txt': 'already here' });
  });

  it('fails when the copy name is taken on the other side, after the loser moved aside (nothing lost)', async () => {
    const w = world();
    w.mem.writeFile('/dst/a.txt', 'loser');
    w.mem.writeFile('/src/a.copy.txt', 'the source already has one');
    const [outcome] = await w.run([conflict(w, 'a.txt', 'a.copy.txt', 'target', ['source', 'target'])]);
    expect(outcome).toMatchObject({ status: 'failed', problem: { code: 'EEXIST', path: 'a.copy.txt' } });
    expect(outcome!.landed.map((l) => `${l.side}:${l.path}`)).toEqual(['target:a.txt', 'target:a.copy.txt']);
    expect(w.trees()).toEqual({ source: { 'a.copy.txt': 'the source already has one' }, target: { 'a.copy.txt': 'loser' } });
    expect(w.temps()).toEqual([]);
  });

  it('skips a loser modified since the scan', async () => {
    const w = world();
    w.mem.writeFile('/dst/a.txt', 'loser');
    const action = conflict(w, 'a.txt', 'a.copy.txt', 'target', ['source', 'target']);
    w.mem.writeFile('/dst/a.txt', 'edited again');
    const [outcome] = await w.run([action]);
    expect(outcome).toMatchObject({ status: 'skipped', reason: SKIP_REASON.modifiedSinceScan });
    expect(w.trees().target).toEqual({ 'a.txt': 'edited again' });
  });

  it('reports what landed when the copy to the other side fails part-way', async () => {
    const w = world();
    w.mem.writeFile('/dst/a.txt', 'loser');
    w.fs.failOn('copyFile', (p) => p.startsWith('/src/'), 'ENOSPC');
    const [outcome] = await w.run([conflict(w, 'a.txt', 'a.copy.txt', 'target', ['source', 'target'])]);
    expect(outcome).toMatchObject({ status: 'failed', problem: { code: 'ENOSPC', path: 'a.copy.txt' } });
    expect(outcome!.landed.map((l) => `${l.side}:${l.path}:${l.entry === null ? 'gone' : l.entry.kind}`)).toEqual(['target:a.txt:gone', 'target:a.copy.txt:file']);
    expect(w.trees()).toEqual({ source: {}, target: { 'a.copy.txt': 'loser' } });
  });

  it('moves a losing link as a link', async () => {
    const w = world();
    await w.mem.symlink('old-text', '/dst/l');
    const action: ConflictCopyAction = { op: 'conflict_copy', stage: 'preserve', path: 'l', loser: 'target', entry: w.entry('target', 'l') as SymlinkEntry, copyPath: 'l.conflict', sides: ['source', 'target'] };
    const [outcome] = await w.run([action]);
    expect(outcome).toMatchObject({ status: 'applied' });
    expect(w.trees()).toEqual({ source: { 'l.conflict': { symlink: 'old-text' } }, target: { 'l.conflict': { symlink: 'old-text' } } });
  });
});

describe('executePlan: ordering and concurrency', () => {
  it('runs stages in order whatever the plan order: clear, then mkdir, then transfer (type changes)', async () => {
    const w = world();
    // x: a directory on the target becomes a file; y: a file on the target becomes a directory.
    w.mem.writeFile('/src/x', 'now a file');
    w.mem.writeFile('/dst/x/inner', 'old');
    w.mem.writeFile('/src/y/g', 'inside y');
    w.mem.writeFile('/dst/y', 'old file');
    const actions: Action[] = [
      { ...w.copy('y/g'), expected: null },
      { ...w.copy('x'), expected: null },
      w.mkdir('y'),
      w.rmdir('x', 'target', 'clear'),
      w.delete('y', 'target', 'clear'),
      w.delete('x/inner', 'target', 'clear'),
    ];
    const outcomes = await w.run(actions);
    expect(statuses(outcomes)).toEqual([
      'copy y/g: applied',
      'copy x: applied',
      'mkdir y: applied',
      'rmdir x: applied',
      'delete y: applied',
      'delete x/inner: applied',
    ]);
    expect(w.trees().target).toEqual({ x: 'now a file', 'y/': true, 'y/g': 'inside y' });
    const order = w.fs.calls.filter((c) => ['unlink', 'rmdir', 'mkdir', 'rename'].includes(c.op)).map((c) => `${c.op} ${c.paths.at(-1)}`);
    expect(order.indexOf('unlink /dst/x/inner')).toBeLessThan(order.indexOf('rmdir /dst/x'));
    expect(order.indexOf('rmdir /dst/x')).toBeLessThan(order.indexOf('mkdir /dst/y'));
    expect(order.indexOf('unlink /dst/y')).toBeLessThan(order.indexOf('mkdir /dst/y'));
    expect(order.indexOf('mkdir /dst/y')).toBeLessThan(order.indexOf('rename /dst/y/g'));
  });

  it('makes directories shallowest first and removes them deepest first, one level at a time', async () => {
    const w = world();
    w.mem.mkdirp('/src/a/b/c/d');
    w.mem.mkdirp('/src/z');
    const mkdirs = ['a/b/c/d', 'a/b/c', 'z', 'a/b', 'a'].map((p) => w.mkdir(p));
    const made = await w.run(mkdirs, { parallelTransfers: 8 });
    expect(made.every((o) => o.status === 'applied')).toBe(true);
    expect(w.fs.calls.filter((c) => c.op === 'mkdir').map((c) => c.paths[0])).toEqual(['/dst/z', '/dst/a', '/dst/a/b', '/dst/a/b/c', '/dst/a/b/c/d']);
    w.fs.reset();
    const removed = await w.run(['a', 'z', 'a/b', 'a/b/c/d', 'a/b/c'].map((p) => w.rmdir(p)), { parallelTransfers: 8 });
    expect(removed.every((o) => o.status === 'applied')).toBe(true);
    expect(w.fs.calls.filter((c) => c.op === 'rmdir').map((c) => c.paths[0])).toEqual(['/dst/a/b/c/d', '/dst/a/b/c', '/dst/a/b', '/dst/a', '/dst/z']);
    expect(w.trees().target).toEqual({});
  });

  it('never runs more than parallelTransfers copies at once', async () => {
    const w = world();
    for (let i = 0; i < 12; i++) w.mem.writeFile(`/src/f${i}`, `content ${i}`);
    let running = 0;
    let peak = 0;
    w.fs.beforeOp('copyFile', (p) => p.startsWith('/src/'), async () => {
      running++;
      peak = Math.max(peak, running);
      await sleep(3);
    });
    w.fs.afterOp('copyFile', (p) => p.startsWith('/src/'), () => void running--);
    const outcomes = await w.run(Array.from({ length: 12 }, (_, i) => w.copy(`f${i}`)), { parallelTransfers: 3 });
    expect(outcomes.every((o) => o.status === 'applied')).toBe(true);
    expect(peak).toBe(3);
  });

  it('returns one outcome per action in plan order', async () => {
    const w = world();
    w.mem.writeFile('/src/f', 'x');
    w.mem.mkdirp('/src/d');
    w.mem.mkdirp('/dst/old');
    const actions: Action[] = [w.rmdir('old'), w.copy('f'), w.mkdir('d')];
    const outcomes = await w.run(actions);
    expect(outcomes.map((o) => o.action)).toEqual(actions);
  });
});

describe('executePlan: faults', () => {
  it('one unreadable file fails alone, with its path and the original error; everything else applies', async () => {
    const w = world();
    for (const name of ['a', 'b', 'c']) w.mem.writeFile(`/src/${name}`, name);
    w.fs.failOn('copyFile', '/src/b', 'EACCES');
    const outcomes = await w.run([w.copy('a'), w.copy('b'), w.copy('c')]);
    expect(statuses(outcomes)).toEqual(['copy a: applied', 'copy b: failed (EACCES)', 'copy c: applied']);
    expect(outcomes[1]).toMatchObject({
      status: 'failed',
      landed: [],
      problem: { path: 'b', op: 'copy', code: 'EACCES', message: "EACCES: injected fault, copyFile '/src/b'", transient: true },
    });
    expect(w.trees().target).toEqual({ a: 'a', c: 'c' });
    expect(w.temps()).toEqual([]);
  });

  it('a source file that vanished since the scan fails with ENOENT and leaves no temp', async () => {
    const w = world();
    w.mem.writeFile('/src/gone', 'soon gone');
    w.mem.writeFile('/dst/gone', 'the old copy');
    const action = w.copy('gone');
    await w.mem.unlink('/src/gone');
    const [outcome] = await w.run([action]);
    expect(outcome).toMatchObject({ status: 'failed', problem: { code: 'ENOENT', path: 'gone' } });
    expect(w.trees().target).toEqual({ gone: 'the old copy' });
    expect(w.temps()).toEqual([]);
  });

  it('a source that vanishes right after being copied is discarded as changed during transfer', async () => {
    const w = world();
    w.mem.writeFile('/src/a', 'x');
    w.fs.afterOp('copyFile', '/src/a', () => w.mem.unlink('/src/a'));
    const [outcome] = await w.run([w.copy('a')]);
    expect(outcome).toMatchObject({ status: 'skipped', reason: SKIP_REASON.changedDuringTransfer });
    expect(w.trees().target).toEqual({});
    expect(w.temps()).toEqual([]);
  });

  it('a file edited while being copied is discarded: changed_during_transfer, destination unchanged, no temp', async () => {
    for (const edit of ['afterOp copyFile', 'beforeOp setAttributes'] as const) {
      const w = world();
      w.mem.writeFile('/src/doc', 'version 1');
      w.mem.writeFile('/dst/doc', 'old');
      const editOrigin = (): void => w.mem.writeFile('/src/doc', 'version 2, longer');
      if (edit === 'afterOp copyFile') w.fs.afterOp('copyFile', '/src/doc', editOrigin);
      else w.fs.beforeOp('setAttributes', (p) => p.startsWith('/dst/.doc.conduit-tmp-'), editOrigin);
      const [outcome] = await w.run([w.copy('doc')]);
      expect(outcome, edit).toMatchObject({ status: 'skipped', reason: 'changed_during_transfer', landed: [] });
      expect(w.trees().target, edit).toEqual({ doc: 'old' });
      expect(w.temps(), edit).toEqual([]);
    }
  });

  it('a same-size edit during the copy is caught too (its mtime moves)', async () => {
    const w = world();
    w.mem.writeFile('/src/doc', 'AAAA');
    w.fs.afterOp('copyFile', '/src/doc', () => w.mem.writeFile('/src/doc', 'BBBB'));
    const [outcome] = await w.run([w.copy('doc')]);
    expect(outcome).toMatchObject({ status: 'skipped', reason: SKIP_REASON.changedDuringTransfer });
  });

  it('a target file edited between scan and overwrite is skipped as modified since scan, and the edit survives', async () => {
    const w = world();
    w.mem.writeFile('/src/a', 'from source');
    w.mem.writeFile('/dst/a', 'as scanned');
    const action = w.copy('a');
    w.mem.writeFile('/dst/a', "the user's edit");
    const [outcome] = await w.run([action]);
    expect(outcome).toMatchObject({ status: 'skipped', reason: 'modified since scan' });
    expect(w.mem.readFile('/dst/a')).toBe("the user's edit");
    expect(w.fs.calls.some((c) => c.op === 'copyFile')).toBe(false);
  });

  it('a file replaced by another of equal size, mtime and mode is told apart by its inode', async () => {
    const w = world();
    w.mem.writeFile('/src/a', 'from source');
    w.mem.writeFile('/dst/a', 'same', { mtimeNs: 5n, mode: 0o644 });
    const action = w.copy('a');
    await w.mem.unlink('/dst/a');
    w.mem.writeFile('/dst/a', 'SAME', { mtimeNs: 5n, mode: 0o644 });
    const [outcome] = await w.run([action]);
    expect(outcome).toMatchObject({ status: 'skipped', reason: SKIP_REASON.modifiedSinceScan });
    expect(w.mem.readFile('/dst/a')).toBe('SAME');
  });

  it('an origin swapped for another file of equal size, mtime and mode during the copy is discarded', async () => {
    const w = world();
    w.mem.writeFile('/src/a', 'one', { mtimeNs: 9n });
    w.fs.afterOp('copyFile', '/src/a', async () => {
      await w.mem.unlink('/src/a');
      w.mem.writeFile('/src/a', 'two', { mtimeNs: 9n });
    });
    const [outcome] = await w.run([w.copy('a')]);
    expect(outcome).toMatchObject({ status: 'skipped', reason: SKIP_REASON.changedDuringTransfer });
    expect(w.trees().target).toEqual({});
  });

  it('a target file edited during the copy is caught by the re-verify before the rename', async () => {
    const w = world();
    w.mem.writeFile('/src/a', 'from source');
    w.mem.writeFile('/dst/a', 'as scanned');
    w.fs.afterOp('copyFile', '/src/a', () => w.mem.writeFile('/dst/a', 'edited mid-copy'));
    const [outcome] = await w.run([w.copy('a')]);
    expect(outcome).toMatchObject({ status: 'skipped', reason: SKIP_REASON.modifiedSinceScan });
    expect(w.mem.readFile('/dst/a')).toBe('edited mid-copy');
    expect(w.temps()).toEqual([]);
  });

  it('a file that appeared at a destination expected empty is not clobbered', async () => {
    const w = world();
    w.mem.writeFile('/src/new', 'from source');
    const action = w.copy('new');
    w.mem.writeFile('/dst/new', 'created on the target meanwhile');
    const [outcome] = await w.run([action]);
    expect(outcome).toMatchObject({ status: 'skipped', reason: SKIP_REASON.modifiedSinceScan });
    expect(w.mem.readFile('/dst/new')).toBe('created on the target meanwhile');
  });

  it('ENOSPC during the copy fails, leaves the old file at the final path and no temp', async () => {
    const w = world();
    w.mem.writeFile('/src/big', 'x'.repeat(300_000));
    w.mem.writeFile('/dst/big', 'old');
    // The copy has written the temp when the disk fills: the worst moment.
    w.fs.afterOp('copyFile', '/src/big', (path) => {
      throw injected('ENOSPC', path);
    });
    const [outcome] = await w.run([w.copy('big')]);
    expect(outcome).toMatchObject({ status: 'failed', problem: { code: 'ENOSPC', path: 'big', transient: true } });
    expect(w.trees().target).toEqual({ big: 'old' });
    expect(w.temps()).toEqual([]);
  });

  it('a failure after the copy (setAttributes, rename) removes the temp and keeps the original error', async () => {
    for (const op of ['setAttributes', 'rename'] as const) {
      const w = world();
      w.mem.writeFile('/src/a', 'new');
      w.mem.writeFile('/dst/a', 'old');
      w.fs.failOn(op, (p) => p.includes('.conduit-tmp-'), 'EIO');
      const [outcome] = await w.run([w.copy('a')]);
      expect(outcome, op).toMatchObject({ status: 'failed', problem: { code: 'EIO', message: expect.stringContaining(op) } });
      expect(w.trees().target, op).toEqual({ a: 'old' });
      expect(w.temps(), op).toEqual([]);
    }
  });

  it('the temp removal failing does not hide the original error', async () => {
    const w = world();
    w.mem.writeFile('/src/a', 'new');
    w.fs.failOn('rename', (p) => p.includes('.conduit-tmp-'), 'EIO');
    w.fs.failOn('unlink', (p) => p.includes('.conduit-tmp-'), 'EACCES');
    const [outcome] = await w.run([w.copy('a')]);
    expect(outcome).toMatchObject({ status: 'failed', problem: { code: 'EIO' } });
  });

  it('a destination that became unidentifiable (a problem entry) is never written over', () => {
    const problem: Entry = { kind: 'problem', code: 'unsupported', message: 'FIFO' };
    expect(stillAsExpected(problem, problem)).toBe(false);
    expect(stillAsExpected(null, null)).toBe(true);
  });

  it('an unexpected exception becomes a non-transient failure of that action only', async () => {
    const w = world();
    w.mem.writeFile('/src/a', 'a');
    w.mem.writeFile('/src/b', 'b');
    w.fs.beforeOp('copyFile', '/src/a', () => {
      throw new TypeError('bug');
    });
    const outcomes = await w.run([w.copy('a'), w.copy('b')]);
    expect(outcomes[0]).toMatchObject({ status: 'failed', problem: { code: 'EOTHER', message: 'bug', transient: false } });
    expect(outcomes[1]).toMatchObject({ status: 'applied' });
  });
});

describe('executePlan: versioning', () => {
  it('moves a replaced file into the versions dir before the rename', async () => {
    const w = world();
    w.mem.writeFile('/src/docs/a.txt', 'new');
    w.mem.writeFile('/dst/docs/a.txt', 'old');
    const [outcome] = await w.run([w.copy('docs/a.txt')], { versioning: { dir: '.conduit-versions', stamp: '20261123T051500Z' } });
    expect(outcome).toMatchObject({ status: 'applied' });
    expect(w.trees().target).toEqual({
      '.conduit-versions/': true,
      '.conduit-versions/docs/': true,
      '.conduit-versions/docs/a.20261123T051500Z.txt': 'old',
      'docs/': true,
      'docs/a.txt': 'new',
    });
  });

  it('moves a deleted file (or link) into the versions dir instead of unlinking it', async () => {
    const w = world();
    w.mem.writeFile('/src/a.txt', 'old source copy');
    await w.mem.symlink('x', '/src/l');
    const outcomes = await w.run([w.delete('a.txt', 'source'), w.delete('l', 'source')], { versioning: { dir: '/vault', stamp: '20261123T051500Z' } });
    expect(statuses(outcomes)).toEqual(['delete a.txt: applied', 'delete l: applied']);
    expect(w.trees().source).toEqual({});
    expect(w.mem.snapshot('/vault')).toEqual({ 'a.20261123T051500Z.txt': 'old source copy', 'l.20261123T051500Z': { symlink: 'x' } });
  });

  it('copies into a new path without making a version', async () => {
    const w = world();
    w.mem.writeFile('/src/a', 'new');
    await w.run([w.copy('a')], { versioning: { dir: '.v', stamp: 'S' } });
    expect(w.trees().target).toEqual({ a: 'new' });
  });
});

describe('executePlan: interruption, throttle, progress', () => {
  it('an abort before the run skips every action as interrupted', async () => {
    const w = world();
    w.mem.writeFile('/src/a', 'a');
    w.mem.mkdirp('/src/d');
    const controller = new AbortController();
    controller.abort();
    const outcomes = await w.run([w.mkdir('d'), w.copy('a')], { signal: controller.signal });
    expect(statuses(outcomes)).toEqual(['mkdir d: skipped (interrupted)', 'copy a: skipped (interrupted)']);
    expect(w.trees().target).toEqual({});
  });

  it('an abort mid-run lets running actions finish and starts nothing else, later stages included', async () => {
    const w = world();
    for (const name of ['a', 'b', 'c']) w.mem.writeFile(`/src/${name}`, name);
    w.mem.writeFile('/dst/old', 'old');
    const controller = new AbortController();
    w.fs.beforeOp('copyFile', '/src/a', () => controller.abort());
    const outcomes = await w.run([w.copy('a'), w.copy('b'), w.copy('c'), w.delete('old')], { signal: controller.signal, parallelTransfers: 1 });
    expect(statuses(outcomes)).toEqual(['copy a: applied', 'copy b: skipped (interrupted)', 'copy c: skipped (interrupted)', 'delete old: skipped (interrupted)']);
    expect(w.trees().target).toEqual({ a: 'a', old: 'old' });
  });

  it('cutSignal cuts a copy in flight: interrupted, temp removed', async () => {
    const w = world();
    w.mem.writeFile('/src/big', 'y'.repeat(500_000));
    const cut = new AbortController();
    let takes = 0;
    const throttle: Throttle = {
      async take() {
        if (++takes === 3) cut.abort();
      },
    };
    const [outcome] = await w.run([w.copy('big')], { throttle, cutSignal: cut.signal });
    expect(outcome).toMatchObject({ status: 'skipped', reason: 'interrupted' });
    expect(w.trees().target).toEqual({});
    expect(w.temps()).toEqual([]);
  });

  it('streams copies through the throttle and reports progress, done once per action', async () => {
    const w = world();
    w.mem.writeFile('/src/big', 'z'.repeat(200_000));
    w.mem.mkdirp('/src/d');
    const taken: number[] = [];
    const throttle: Throttle = { take: async (n) => void taken.push(n) };
    const progress: TransferProgress[] = [];
    const outcomes = await w.run([w.mkdir('d'), w.copy('big')], { throttle, onProgress: (p) => progress.push(p) });
    expect(outcomes.map((o) => o.status)).toEqual(['applied', 'applied']);
    expect(taken.reduce((a, b) => a + b, 0)).toBe(200_000);
    expect(w.mem.readFile('/dst/big')).toBe('z'.repeat(200_000));
    const forCopy = progress.filter((p) => p.action.op === 'copy');
    expect(forCopy.length).toBeGreaterThan(2);
    expect(forCopy.at(-1)).toMatchObject({ bytes: 200_000, done: true });
    expect(forCopy.filter((p) => p.done)).toHaveLength(1);
    expect(progress.filter((p) => p.action.op === 'mkdir')).toEqual([{ action: outcomes[0]!.action, bytes: 0, done: true, outcome: outcomes[0] }]);
  });

  it('counts bytes of copies only', async () => {
    const w = world();
    w.mem.writeFile('/src/a', '12345');
    await w.mem.symlink('t', '/src/l');
    const outcomes = await w.run([w.copy('a'), w.symlink('l')]);
    expect(outcomes.map((o) => (o.status === 'applied' ? o.bytes : -1))).toEqual([5, 0]);
  });
});
