import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConduitSpec } from '../../src/config/conduit-spec.js';
import type { FileEntry } from '../../src/core/entry.js';
import type { CopyAction, MkdirAction } from '../../src/core/plan.js';
import { RootDirectories } from '../../src/engine/confine.js';
import { CopyPool } from '../../src/engine/copy-pool.js';
import { copySync } from '../../src/engine/copy-sync.js';
import { buildRules } from '../../src/engine/filters.js';
import { walk } from '../../src/engine/scan/walk.js';
import { tempNameFor } from '../../src/engine/temp-name.js';
import { executePlan } from '../../src/engine/transfer.js';
import { FaultyFileSystem } from '../../src/fs/faulty-file-system.js';
import { NodeFileSystem } from '../../src/fs/node-file-system.js';
import { resolveConflict } from '../../src/service/resolve-conflict.js';
import { cleanUpEngineTests, engineHarness, type EngineHarness } from '../support/engine.js';
import { put, readTree, tempArea, tempFilesUnder, writeTree, type TempArea } from '../support/tree.js';

/**
 * Issue 8 §2 on real directories: a directory between a root and a path is
 * swapped for a symlink to a folder outside the root after the scan, just
 * before an operation (the fault injector's hooks make the moment exact).
 * Every write checks the directories above it first, so nothing is created,
 * renamed, deleted or changed outside the root, and the refusal is an error
 * of that path: the generation ends `completed_with_errors`.
 */

const MESSAGE = 'parent is not the directory scanned';
const node = new NodeFileSystem();

let area: TempArea;
let outside: string;
let h: EngineHarness | undefined;
let faulty: FaultyFileSystem;

async function setup(overrides: Partial<ConduitSpec>): Promise<EngineHarness> {
  area = tempArea('conduit-confine-', { createTarget: true });
  outside = join(area.base, 'outside');
  fs.mkdirSync(outside);
  faulty = new FaultyFileSystem(node);
  h = await engineHarness(area.db, { source: area.source, target: area.target, parallelTransfers: 1, maxDeletePercent: 100, ...overrides });
  return h;
}
const run = (request: Parameters<EngineHarness['run']>[0] = {}) => h!.run({ fs: faulty, ...request });
const tgt = (rel: string) => join(area.target, rel);
const src = (rel: string) => join(area.source, rel);

/** What an attacker with write access to the root does: move the directory away and put a link to `outside` in its place. */
function swapForLink(dir: string, to = outside): void {
  fs.renameSync(dir, `${dir}.real`);
  fs.symlinkSync(to, dir);
}

function errorsOf(record: { errors: readonly { path: string; op: string; message: string }[] }) {
  return record.errors.map((e) => ({ path: e.path, op: e.op, refused: e.message.includes(MESSAGE) }));
}

cleanUpEngineTests(() => ({ harness: h, area }));

describe('regression: a parent swapped for a symlink after the scan redirected writes outside the root', () => {
  it('a copy into it is refused (the swap lands just before the transfer stage), and the next generation repairs the target', async () => {
    await setup({ mode: 'mirror' });
    writeTree(area.source, { 'd/e/keep.txt': 'keep' });
    await run();
    writeTree(area.source, { 'd/e/new.txt': 'new', 'm/': { dir: true } });
    faulty.afterOp('mkdir', tgt('m'), () => swapForLink(tgt('d/e')), { times: 1 });

    const { record } = await run();

    expect(readTree(outside)).toEqual({});
    expect(record.status).toBe('completed_with_errors');
    expect(errorsOf(record)).toEqual([{ path: 'd/e/new.txt', op: 'copy', refused: true }]);
    expect(record.errors[0]!.message).toContain(`'${tgt('d/e')}' is now a symbolic link`);
    expect(readTree(tgt('d/e.real'))).toEqual({ 'keep.txt': 'keep' });

    // --force: replacing the link and removing the moved directory deletes more than the target held.
    const next = await run({ force: true });
    expect(next.record).toMatchObject({ status: 'completed', errorsEncountered: 0 });
    expect(readTree(area.target)).toEqual(readTree(area.source));
    expect(readTree(outside)).toEqual({});
  });

  it('a rename of a finished temporary is refused when the parent is swapped between the copy and the rename; the temporary stays inside the root and the next generation removes it', async () => {
    await setup({ mode: 'mirror' });
    writeTree(area.source, { 'd/e/keep.txt': 'keep' });
    await run();
    put(area.source, 'd/e/new.txt', 'new');
    faulty.afterOp('setAttributes', (p) => p.startsWith(tgt('d/e/.new.txt.conduit-tmp-')), () => swapForLink(tgt('d/e')), { times: 1 });

    const { record } = await run();

    expect(readTree(outside)).toEqual({});
    expect(record.status).toBe('completed_with_errors');
    expect(errorsOf(record)).toEqual([{ path: 'd/e/new.txt', op: 'copy', refused: true }]);
    expect(tempFilesUnder(tgt('d/e.real'))).toHaveLength(1);

    await run({ force: true });
    expect(tempFilesUnder(area.base)).toEqual([]);
    expect(readTree(area.target)).toEqual(readTree(area.source));
  });

  it('a delete is refused: the same-named file outside the root survives', async () => {
    await setup({ mode: 'mirror' });
    writeTree(area.source, { 'd/e/old.txt': 'old', 'd/e/keep.txt': 'keep' });
    await run();
    fs.unlinkSync(src('d/e/old.txt'));
    writeTree(outside, { 'old.txt': 'someone else\'s file outside the root' });
    // After the delete verified the file, before it unlinks it.
    faulty.afterOp('lstat', tgt('d/e/old.txt'), () => swapForLink(tgt('d/e')), { times: 1 });

    const { record } = await run();

    expect(readTree(outside)).toEqual({ 'old.txt': 'someone else\'s file outside the root' });
    expect(record.status).toBe('completed_with_errors');
    expect(errorsOf(record)).toEqual([{ path: 'd/e/old.txt', op: 'delete', refused: true }]);
    expect(readTree(tgt('d/e.real'))).toEqual({ 'keep.txt': 'keep', 'old.txt': 'old' });
  });

  it('a mkdir is refused (the swap lands during the shallower mkdir wave)', async () => {
    await setup({ mode: 'mirror' });
    writeTree(area.source, { 'd/e/keep.txt': 'keep' });
    await run();
    writeTree(area.source, { 'm/': { dir: true }, 'd/e/n/': { dir: true } });
    faulty.afterOp('mkdir', tgt('m'), () => swapForLink(tgt('d/e')), { times: 1 });

    const { record } = await run();

    expect(readTree(outside)).toEqual({});
    expect(record.status).toBe('completed_with_errors');
    expect(errorsOf(record)).toEqual([{ path: 'd/e/n', op: 'mkdir', refused: true }]);
  });

  it('a directory\'s mode and mtime are not set through a swapped parent: the directory outside keeps its mode', async () => {
    await setup({ mode: 'mirror' });
    writeTree(area.source, { 'd/e/keep.txt': 'keep' });
    await run();
    fs.chmodSync(src('d/e'), 0o750);
    put(area.source, 'd/e/new.txt', 'new');
    fs.mkdirSync(join(outside, 'e'));
    fs.chmodSync(join(outside, 'e'), 0o755);
    faulty.afterOp('rename', tgt('d/e/new.txt'), () => swapForLink(tgt('d')), { times: 1 });

    const { record } = await run();

    expect(fs.statSync(join(outside, 'e')).mode & 0o7777).toBe(0o755);
    expect(record.status).toBe('completed_with_errors');
    expect(errorsOf(record)).toEqual([{ path: 'd/e', op: 'setattr', refused: true }]);
  });

  it('a stale temporary is not removed through a swapped parent: the same-named file outside survives', async () => {
    const harness = await setup({ mode: 'mirror' });
    writeTree(area.source, { 'd/e/keep.txt': 'keep' });
    await run();
    const temp = tempNameFor('keep.txt', harness.store.getConduit(harness.name)!.uuid.replace(/-/g, '').slice(0, 12), 'r1');
    writeTree(area.target, { [`d/e/${temp}`]: 'left by an interrupted generation' });
    writeTree(outside, { [temp]: 'outside the root' });
    // The removal's own look at d/e is the first lstat of it in this generation (the scan uses lstatSync).
    faulty.beforeOp('lstat', tgt('d/e'), () => swapForLink(tgt('d/e')), { times: 1 });

    const { record } = await run();

    expect(readTree(outside)).toEqual({ [temp]: 'outside the root' });
    expect(record.status).toBe('completed_with_errors');
    expect(errorsOf(record)).toContainEqual({ path: `d/e/${temp}`, op: 'unlink-temp', refused: true });
  });

  it('a conflict copy is not renamed through a swapped parent; both versions stay inside their roots', async () => {
    await setup({ mode: 'bidirectional', conflict: 'keep-both' });
    writeTree(area.source, { 'd/e/f.txt': 'base' });
    await run();
    writeTree(area.source, { 'd/e/f.txt': { content: 'source edit', mtime: 1_800_000_000 } });
    writeTree(area.target, { 'd/e/f.txt': { content: 'target edit', mtime: 1_700_000_000 } }); // older: the target loses
    faulty.afterOp('lstat', tgt('d/e/f.txt'), () => swapForLink(tgt('d/e')), { times: 1 });

    const { record } = await run();

    expect(readTree(outside)).toEqual({});
    expect(record.status).toBe('completed_with_errors');
    expect(errorsOf(record)).toContainEqual({ path: 'd/e/f.txt', op: 'conflict-copy', refused: true });
    expect(readTree(src('d/e'))['f.txt']).toBe('source edit');
    expect(readTree(tgt('d/e.real'))).toEqual({ 'f.txt': 'target edit' });
  });
});

describe('a swap between the check and the operation itself (the window Node cannot close without openat)', () => {
  it('swapped just before the copy creates its temporary: the temporary made outside is removed again, the copy refused', async () => {
    await setup({ mode: 'mirror' });
    writeTree(area.source, { 'd/e/keep.txt': 'keep' });
    await run();
    put(area.source, 'd/e/new.txt', 'new');
    faulty.beforeOp('copyFile', (p) => p.startsWith(tgt('d/e/.new.txt.conduit-tmp-')), () => swapForLink(tgt('d/e')), { times: 1 });

    const { record } = await run();

    expect(readTree(outside)).toEqual({});
    expect(errorsOf(record)).toEqual([{ path: 'd/e/new.txt', op: 'copy', refused: true }]);
  });

  it('swapped just before the mkdir: the directory made outside is removed again, the mkdir refused', async () => {
    await setup({ mode: 'mirror' });
    writeTree(area.source, { 'd/e/keep.txt': 'keep' });
    await run();
    writeTree(area.source, { 'd/e/n/': { dir: true } });
    faulty.beforeOp('mkdir', tgt('d/e/n'), () => swapForLink(tgt('d/e')), { times: 1 });

    const { record } = await run();

    expect(readTree(outside)).toEqual({});
    expect(errorsOf(record)).toEqual([{ path: 'd/e/n', op: 'mkdir', refused: true }]);
  });

  it('swapped just before the rename: the rename finds nothing through the link; refused, nothing outside', async () => {
    await setup({ mode: 'mirror' });
    writeTree(area.source, { 'd/e/keep.txt': 'keep' });
    await run();
    put(area.source, 'd/e/new.txt', 'new');
    faulty.beforeOp('rename', tgt('d/e/new.txt'), () => swapForLink(tgt('d/e')), { times: 1 });

    const { record } = await run();

    expect(readTree(outside)).toEqual({});
    expect(errorsOf(record)).toEqual([{ path: 'd/e/new.txt', op: 'copy', refused: true }]);
  });

  it('swapped just before an old version moves into the versions folder: it is moved back, nothing stays outside', async () => {
    await setup({ mode: 'mirror', versioning: { dir: '.conduit-versions', keepDays: 30 } });
    writeTree(area.source, { 'd/a.txt': 'one' });
    await run();
    put(area.source, 'd/a.txt', 'two, longer');
    faulty.beforeOp('rename', (p) => p.startsWith(tgt('.conduit-versions/')), () => swapForLink(tgt('.conduit-versions/d')), { times: 1 });

    const { record } = await run();

    expect(readTree(outside)).toEqual({});
    expect(errorsOf(record)).toEqual([{ path: 'd/a.txt', op: 'copy', refused: true }]);
    expect(fs.readFileSync(tgt('d/a.txt'), 'utf8')).toBe('one');
  });
});

describe('the versioning folder is confined too', () => {
  it('relative: a versions folder swapped for a link is refused, the file is not replaced, nothing lands outside', async () => {
    await setup({ mode: 'mirror', versioning: { dir: '.conduit-versions', keepDays: 30 } });
    writeTree(area.source, { 'a.txt': 'one' });
    await run();
    fs.symlinkSync(outside, tgt('.conduit-versions'));
    put(area.source, 'a.txt', 'two, longer');

    const { record } = await run();

    expect(readTree(outside)).toEqual({});
    expect(record.status).toBe('completed_with_errors');
    expect(errorsOf(record)).toEqual([{ path: 'a.txt', op: 'copy', refused: true }]);
    expect(fs.readFileSync(tgt('a.txt'), 'utf8')).toBe('one');
  });

  it('absolute: a directory inside the versions folder swapped for a link is refused', async () => {
    const harness = await setup({ mode: 'mirror' });
    const vault = join(area.base, 'vault');
    harness.edit({ versioning: { dir: vault, keepDays: 30 } });
    writeTree(area.source, { 'd/a.txt': 'one' });
    await run();
    fs.mkdirSync(vault);
    fs.symlinkSync(outside, join(vault, 'd'));
    put(area.source, 'd/a.txt', 'two, longer');

    const { record } = await run();

    expect(readTree(outside)).toEqual({});
    expect(record.status).toBe('completed_with_errors');
    expect(errorsOf(record)).toEqual([{ path: 'd/a.txt', op: 'copy', refused: true }]);
    expect(fs.readFileSync(tgt('d/a.txt'), 'utf8')).toBe('one');
  });
});

describe('resolve is confined like a generation', () => {
  it('a parent swapped while resolve copies the chosen version: refused, nothing outside', async () => {
    const harness = await setup({ mode: 'bidirectional', conflict: 'manual' });
    writeTree(area.source, { 'd/e/f.txt': 'base' });
    await run();
    put(area.source, 'd/e/f.txt', 'source edit');
    put(area.target, 'd/e/f.txt', 'target edit!');
    await run();
    const [conflict] = harness.store.listConflicts({ conduit: harness.name });
    faulty.afterOp('setAttributes', (p) => p.startsWith(tgt('d/e/.f.txt.conduit-tmp-')), () => swapForLink(tgt('d/e')), { times: 1 });

    await expect(resolveConflict(harness.store, faulty, conflict!.id, 'source')).rejects.toThrow(MESSAGE);

    expect(readTree(outside)).toEqual({});
    expect(harness.store.getConflict(conflict!.id)!.resolution).toBe('unresolved');
  });
});

describe('the copy workers\' path (copySync) checks the directories the request carries', () => {
  it('regression: a parent swapped after the scan made copySync write outside the root', () => {
    area = tempArea('conduit-confine-sync-', { createTarget: true });
    outside = join(area.base, 'outside');
    fs.mkdirSync(outside);
    writeTree(area.source, { 'd/e/f.txt': 'payload' });
    fs.mkdirSync(tgt('d/e'), { recursive: true });
    const scanned = walk(node, area.target, { rules: buildRules({}) });
    const dirs = new RootDirectories(area.target, scanned.entries);
    const request = {
      origin: src('d/e/f.txt'), originEntry: node.lstatSync(src('d/e/f.txt')) as FileEntry, dest: tgt('d/e/f.txt'), expected: null,
      temp: tgt(`d/e/${tempNameFor('f.txt', '0123456789ab', 'w1')}`), versioned: false, ancestors: dirs.ancestorsOf('d/e/f.txt'),
    };
    swapForLink(tgt('d/e'));

    const item = copySync(request, node);

    expect(item.ok).toBe(false);
    expect(!item.ok && item.error.message).toContain(`${MESSAGE}: '${tgt('d/e')}' is now a symbolic link`);
    expect(readTree(outside)).toEqual({});
  });

  it('a directory replaced by another directory (same path, other inode) is refused too', () => {
    area = tempArea('conduit-confine-sync-', { createTarget: true });
    writeTree(area.source, { 'd/f.txt': 'payload' });
    fs.mkdirSync(tgt('d'));
    const dirs = new RootDirectories(area.target, walk(node, area.target, { rules: buildRules({}) }).entries);
    fs.renameSync(tgt('d'), tgt('d.old'));
    fs.mkdirSync(tgt('d'));

    const item = copySync({
      origin: src('d/f.txt'), originEntry: node.lstatSync(src('d/f.txt')) as FileEntry, dest: tgt('d/f.txt'), expected: null,
      temp: tgt(`d/${tempNameFor('f.txt', '0123456789ab', 'w2')}`), versioned: false, ancestors: dirs.ancestorsOf('d/f.txt'),
    }, node);

    expect(!item.ok && item.error.message).toContain(`${MESSAGE}: '${tgt('d')}' is now another directory`);
    expect(readTree(tgt('d'))).toEqual({});
  });

  it('through a real CopyPool: every small file below the swapped directory is refused, the others land', async () => {
    area = tempArea('conduit-confine-pool-', { createTarget: true });
    outside = join(area.base, 'outside');
    fs.mkdirSync(outside);
    const actions: CopyAction[] = [];
    for (let i = 0; i < 40; i++) {
      const rel = `${i % 2 === 0 ? 'ok' : 'swapped'}/f${i}.txt`;
      put(area.source, rel, `file ${i}`);
      actions.push({ op: 'copy', stage: 'transfer', path: rel, from: 'source', to: 'target', entry: node.lstatSync(src(rel)) as FileEntry, expected: null });
    }
    fs.mkdirSync(tgt('ok'));
    fs.mkdirSync(tgt('swapped'));
    const directories = {
      source: new RootDirectories(area.source, walk(node, area.source, { rules: buildRules({}) }).entries),
      target: new RootDirectories(area.target, walk(node, area.target, { rules: buildRules({}) }).entries),
    };
    swapForLink(tgt('swapped'));
    const pool = CopyPool.start(2);
    let outcomes;
    try {
      outcomes = await executePlan({ actions }, {
        fs: node, roots: { source: area.source, target: area.target }, tempToken: '0123456789ab', directories, parallelTransfers: 2, copyPool: pool,
      });
    } finally {
      await pool.close();
    }

    expect(readTree(outside)).toEqual({});
    outcomes.forEach((o, i) => {
      if (i % 2 === 0) expect(o.status).toBe('applied');
      else expect(o.status === 'failed' && o.problem.message).toContain(MESSAGE);
    });
    expect(Object.keys(readTree(tgt('ok')))).toHaveLength(20);
  });

  it('through a real CopyPool, a level of directories: every mkdir below the swapped directory is refused and nothing is made outside; the others are made', async () => {
    area = tempArea('conduit-confine-pool-', { createTarget: true });
    outside = join(area.base, 'outside');
    fs.mkdirSync(outside);
    fs.mkdirSync(tgt('ok'));
    fs.mkdirSync(tgt('swapped'));
    const actions: MkdirAction[] = [];
    for (let i = 0; i < 20; i++) {
      actions.push({ op: 'mkdir', stage: 'mkdir', path: `${i % 2 === 0 ? 'ok' : 'swapped'}/n${i}`, to: 'target', entry: { kind: 'dir', mode: 0o755, mtimeNs: 1_600_000_000_000_000_000n, ino: 1 } });
    }
    const directories = {
      source: new RootDirectories(area.source),
      target: new RootDirectories(area.target, walk(node, area.target, { rules: buildRules({}) }).entries),
    };
    swapForLink(tgt('swapped'));
    const pool = CopyPool.start(2);
    let outcomes;
    try {
      outcomes = await executePlan({ actions }, {
        fs: node, roots: { source: area.source, target: area.target }, tempToken: '0123456789ab', directories, parallelTransfers: 2, copyPool: pool,
      });
    } finally {
      await pool.close();
    }

    expect(readTree(outside)).toEqual({});
    outcomes.forEach((o, i) => {
      if (i % 2 === 0) expect(o.status).toBe('applied');
      else expect(o.status === 'failed' && o.problem.message).toContain(`${MESSAGE}: '${tgt('swapped')}' is now a symbolic link`);
    });
    expect(fs.readdirSync(tgt('ok')).sort()).toEqual(['n0', 'n10', 'n12', 'n14', 'n16', 'n18', 'n2', 'n4', 'n6', 'n8']);
  });
});
