import { randomBytes } from 'node:crypto';
import { appendFile, chmod, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Entry, FileEntry, Side, SymlinkEntry } from '../../src/core/entry.js';
import type { Action, ConflictCopyAction, CopyAction, DeleteAction, MkdirAction, Outcome, SymlinkAction } from '../../src/core/plan.js';
import { createThrottle } from '../../src/engine/throttle.js';
import { SKIP_REASON, executePlan, type TransferContext } from '../../src/engine/transfer.js';
import { FaultyFileSystem } from '../../src/fs/faulty-file-system.js';
import { FsError, type FileSystem } from '../../src/fs/file-system.js';
import { NodeFileSystem } from '../../src/fs/node-file-system.js';

// The engine on a real disk: what a user would check with `ls -l` and `stat` afterwards.
// Fixtures are made with node:fs directly, the transfer goes through NodeFileSystem only.

let base: string;
let roots: { source: string; target: string };
let outside: string;
const nodeFs = new NodeFileSystem();

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'conduit-transfer-'));
  roots = { source: join(base, 'source'), target: join(base, 'target') };
  outside = join(base, 'outside');
  await Promise.all([mkdir(roots.source), mkdir(roots.target), mkdir(outside)]);
  await writeFile(join(outside, 'secret.txt'), 'outside the roots');
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

const at = (side: Side, rel: string): string => join(roots[side], rel);
const other = (side: Side): Side => (side === 'source' ? 'target' : 'source');

async function entry(side: Side, rel: string): Promise<Entry | null> {
  try {
    return await nodeFs.lstat(at(side, rel));
  } catch (err) {
    if (err instanceof FsError && err.code === 'ENOENT') return null;
    throw err;
  }
}

async function copy(rel: string, from: Side = 'source'): Promise<CopyAction> {
  return { op: 'copy', stage: 'transfer', path: rel, from, to: other(from), entry: (await entry(from, rel)) as FileEntry, expected: await entry(other(from), rel) };
}

async function link(rel: string, from: Side = 'source'): Promise<SymlinkAction> {
  return { op: 'symlink', stage: 'transfer', path: rel, from, to: other(from), entry: (await entry(from, rel)) as SymlinkEntry, expected: await entry(other(from), rel) };
}

function run(actions: readonly Action[], fs: FileSystem = nodeFs, extra: Partial<TransferContext> = {}): Promise<Outcome[]> {
  return executePlan({ actions }, { fs, roots, tempToken: '0123456789ab', parallelTransfers: 4, ...extra });
}

/** Every name under `dir`, recursively, without following links. */
async function allNames(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String);
}

async function expectNoTemps(): Promise<void> {
  for (const dir of [roots.source, roots.target, outside]) {
    expect((await allNames(dir)).filter((n) => n.includes('.conduit-tmp-'))).toEqual([]);
  }
}

function nsDiff(a: bigint, b: bigint): bigint {
  return a > b ? a - b : b - a;
}

describe('transfer on a real disk', () => {
  it('copies keep content, permission bits (0755, 0600) and mtime within 1 µs', async () => {
    await writeFile(at('source', 'run.sh'), '#!/bin/sh\necho hi\n');
    await writeFile(at('source', 'key'), 'secret key');
    await chmod(at('source', 'run.sh'), 0o755);
    await chmod(at('source', 'key'), 0o600);
    await nodeFs.setAttributes(at('source', 'run.sh'), { mtimeNs: 1_763_875_200_123_456_789n });
    const actions = [await copy('run.sh'), await copy('key')];
    const outcomes = await run(actions);
    expect(outcomes.map((o) => o.status)).toEqual(['applied', 'applied']);
    for (const [name, mode] of [['run.sh', 0o755], ['key', 0o600]] as const) {
      expect(await readFile(at('target', name), 'utf8')).toBe(await readFile(at('source', name), 'utf8'));
      const st = await lstat(at('target', name), { bigint: true });
      expect(Number(st.mode & 0o7777n)).toBe(mode);
      const src = (await entry('source', name)) as FileEntry;
      expect(nsDiff(st.mtimeNs, src.mtimeNs)).toBeLessThanOrEqual(1_000n);
    }
    expect(outcomes[0]!.landed[0]!.entry).toEqual(await entry('target', 'run.sh'));
    await expectNoTemps();
  });

  it('copies a large file byte for byte, by the kernel copy and through a bandwidth limit', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    await writeFile(at('source', 'big.bin'), bytes);
    await mkdir(at('source', 'again'));
    await writeFile(at('source', 'again/big.bin'), bytes);
    await mkdir(at('target', 'again'));
    const [fast] = await run([await copy('big.bin')]);
    const [throttled] = await run([await copy('again/big.bin')], nodeFs, { throttle: createThrottle(10_000) });
    expect(fast).toMatchObject({ status: 'applied', bytes: bytes.length });
    expect(throttled).toMatchObject({ status: 'applied', bytes: bytes.length });
    expect((await readFile(at('target', 'big.bin'))).equals(bytes)).toBe(true);
    expect((await readFile(at('target', 'again/big.bin'))).equals(bytes)).toBe(true);
    await expectNoTemps();
  });

  it('copies symlinks as links with their text verbatim: dangling, absolute, outside the root, to a directory', async () => {
    const texts: Record<string, string> = {
      dangling: 'does/not/exist',
      absolute: join(outside, 'secret.txt'),
      escaping: '../outside/secret.txt',
      'to-dir': '.',
      odd: 'spaces and ünïcödé/ ',
    };
    for (const [name, text] of Object.entries(texts)) await symlink(text, at('source', name));
    const outcomes = await run(await Promise.all(Object.keys(texts).map((name) => link(name))));
    expect(outcomes.every((o) => o.status === 'applied')).toBe(true);
    for (const [name, text] of Object.entries(texts)) {
      expect((await lstat(at('target', name))).isSymbolicLink()).toBe(true);
      expect(await readlink(at('target', name))).toBe(text);
    }
    expect(await allNames(outside)).toEqual(['secret.txt']);
    await expectNoTemps();
  });

  it('never writes through a link: replacing a link to an outside directory replaces the link', async () => {
    await mkdir(join(outside, 'dir'));
    await symlink(join(outside, 'dir'), at('target', 'sub'));
    await writeFile(at('source', 'sub'), 'a plain file now');
    const [outcome] = await run([await copy('sub')]);
    expect(outcome).toMatchObject({ status: 'applied' });
    expect((await lstat(at('target', 'sub'))).isFile()).toBe(true);
    expect(await allNames(join(outside, 'dir'))).toEqual([]);
  });

  it('deleting a link removes the link, never what it points to', async () => {
    await symlink(join(outside, 'secret.txt'), at('target', 'l'));
    const del: DeleteAction = { op: 'delete', stage: 'delete', path: 'l', side: 'target', expected: (await entry('target', 'l')) as SymlinkEntry };
    const [outcome] = await run([del]);
    expect(outcome).toMatchObject({ status: 'applied' });
    expect(await allNames(roots.target)).toEqual([]);
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('outside the roots');
  });

  it('makes directories with the exact mode of the origin', async () => {
    await mkdir(at('source', 'shared'));
    await chmod(at('source', 'shared'), 0o775);
    await mkdir(at('source', 'private'));
    await chmod(at('source', 'private'), 0o700);
    const mkdirs: MkdirAction[] = [];
    for (const name of ['shared', 'private']) mkdirs.push({ op: 'mkdir', stage: 'mkdir', path: name, to: 'target', entry: (await entry('source', name)) as MkdirAction['entry'] });
    await run(mkdirs);
    expect((await lstat(at('target', 'shared'))).mode & 0o7777).toBe(0o775);
    expect((await lstat(at('target', 'private'))).mode & 0o7777).toBe(0o700);
  });

  it('keep-both conflict copies land on both sides with the loser mtime', async () => {
    await writeFile(at('source', 'n.txt'), 'winner');
    await writeFile(at('target', 'n.txt'), 'loser');
    const loser = (await entry('target', 'n.txt')) as FileEntry;
    const keep: ConflictCopyAction = { op: 'conflict_copy', stage: 'preserve', path: 'n.txt', loser: 'target', entry: loser, copyPath: 'n.conflict-target-X.txt', sides: ['source', 'target'] };
    const winner: CopyAction = { ...(await copy('n.txt')), expected: null };
    const outcomes = await run([keep, winner]);
    expect(outcomes.map((o) => o.status)).toEqual(['applied', 'applied']);
    for (const side of ['source', 'target'] as const) {
      expect(await readFile(at(side, 'n.txt'), 'utf8')).toBe('winner');
      expect(await readFile(at(side, 'n.conflict-target-X.txt'), 'utf8')).toBe('loser');
      const copyEntry = (await entry(side, 'n.conflict-target-X.txt')) as FileEntry;
      expect(nsDiff(copyEntry.mtimeNs, loser.mtimeNs)).toBeLessThanOrEqual(1_000n);
    }
    await expectNoTemps();
  });

  it('leaves no temporary behind when the origin changes mid-copy or the disk fails after the copy', async () => {
    await writeFile(at('source', 'growing.log'), 'line 1\n');
    await writeFile(at('source', 'doomed'), 'x'.repeat(100_000));
    await writeFile(at('target', 'doomed'), 'old');
    const faulty = new FaultyFileSystem(nodeFs)
      .afterOp('copyFile', at('source', 'growing.log'), () => appendFile(at('source', 'growing.log'), 'line 2\n'))
      .afterOp('copyFile', at('source', 'doomed'), (p) => {
        throw new FsError('ENOSPC', 'copyFile', p, `ENOSPC: no space left on device, copyfile '${p}'`);
      });
    const outcomes = await run([await copy('growing.log'), await copy('doomed')], faulty);
    expect(outcomes[0]).toMatchObject({ status: 'skipped', reason: SKIP_REASON.changedDuringTransfer });
    expect(outcomes[1]).toMatchObject({ status: 'failed', problem: { code: 'ENOSPC', path: 'doomed' } });
    expect((await allNames(roots.target)).sort()).toEqual(['doomed']);
    expect(await readFile(at('target', 'doomed'), 'utf8')).toBe('old');
    await expectNoTemps();
  });

  it('versioning on a real disk keeps the replaced file, with its mtime, under the versions dir', async () => {
    await writeFile(at('source', 'a.txt'), 'new');
    await writeFile(at('target', 'a.txt'), 'old');
    const old = (await entry('target', 'a.txt')) as FileEntry;
    const [outcome] = await run([await copy('a.txt')], nodeFs, { versioning: { dir: '.conduit-versions', stamp: '20261123T051500Z' } });
    expect(outcome).toMatchObject({ status: 'applied' });
    const version = at('target', '.conduit-versions/a.20261123T051500Z.txt');
    expect(await readFile(version, 'utf8')).toBe('old');
    expect((await lstat(version, { bigint: true })).mtimeNs).toBe(old.mtimeNs);
    expect(await readFile(at('target', 'a.txt'), 'utf8')).toBe('new');
    await expectNoTemps();
  });
});
