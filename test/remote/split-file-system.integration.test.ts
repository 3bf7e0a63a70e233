import * as nodeFs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/db/open-store.js';
import type { CopyRequest } from '../../src/engine/copy-protocol.js';
import { buildRules } from '../../src/engine/filters.js';
import { pruneVersions, versionName, versionStamp } from '../../src/engine/versioning.js';
import { FaultyFileSystem } from '../../src/fs/faulty-file-system.js';
import { FsError, LinkLostError, type FileSystem } from '../../src/fs/file-system.js';
import { NodeFileSystem } from '../../src/fs/node-file-system.js';
import type { LinkSource } from '../../src/remote/link/link-source.js';
import { RemoteFileSystem } from '../../src/remote/client/remote-file-system.js';
import { SplitFileSystem } from '../../src/remote/client/split-file-system.js';
import { listVersions } from '../../src/service/versions.js';
import type { WatchEvent } from '../../src/watch/watcher.js';
import { conduitSpec } from '../db/fixtures.js';
import { agentProcessLinkSource } from '../support/agent-process.js';
import { columnsThroughStore, rowsOf } from '../support/baseline-columns.js';
import { writeTree } from '../support/tree.js';

/**
 * The split filesystem (one FileSystem for a conduit with a remote root)
 * and the remote filesystem beneath it, over a real `conduit agent` process
 * confined to the "far" root (on this machine, so the test can look at the
 * disk directly). The local side is a recording decorator over the real
 * disk: whatever reached it is in its call log.
 */

const RULES = buildRules({ useIndexRules: false });

let base: string;
/** The far host's root (a real directory) and the local root. */
let far: string;
let near: string;
let source: ReturnType<typeof agentProcessLinkSource>;
let local: FaultyFileSystem;
let remote: RemoteFileSystem;
let split: SplitFileSystem;
const MOUNT = '/ssh:me@far-host:2222';
/** The engine's path for `rel` below the remote root. */
const m = (rel = ''): string => `${MOUNT}${far}${rel === '' ? '' : `/${rel}`}`;
const f = (rel: string): string => join(far, rel);
const n = (rel: string): string => join(near, rel);

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'conduit-split-'));
  far = join(base, 'far');
  near = join(base, 'near');
  nodeFs.mkdirSync(far);
  nodeFs.mkdirSync(near);
  source = agentProcessLinkSource(far, 'me@far-host:2222');
  local = new FaultyFileSystem(new NodeFileSystem());
  remote = new RemoteFileSystem(source);
  split = new SplitFileSystem(local, remote, { mountPath: m(), remotePath: far });
});
afterEach(async () => {
  await source.close();
  await rm(base, { recursive: true, force: true });
});

/** Every path the local filesystem was asked about. */
const localPaths = (): string[] => local.calls.flatMap((c) => c.paths);

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => undefined, (err: unknown) => err);
}

describe('SplitFileSystem routing', () => {
  it('sends every path under the mount path to the far host, translated, and none of them to the local disk', async () => {
    writeTree(far, { 'a.txt': 'far a', 'd/b.txt': 'far b' });
    writeTree(near, { 'a.txt': 'near a' });
    expect(await split.lstat(m('a.txt'))).toEqual(await new NodeFileSystem().lstat(f('a.txt')));
    expect((await split.readdir(m('d'))).sort()).toEqual(['b.txt']);
    expect(await split.readText(m('d/b.txt'))).toBe('far b');
    await split.mkdir(m('new'), 0o750);
    await split.symlink('../a.txt', m('new/link'));
    await split.setAttributes(m('a.txt'), { mode: 0o600 });
    await split.rename(m('d/b.txt'), m('new/b.txt'));
    expect(await split.copyFile(m('a.txt'), m('new/a-copy.txt'))).toBe('far a'.length);
    expect(await split.hash(m('a.txt'))).toBe(await new NodeFileSystem().hash(f('a.txt')));
    await split.unlink(m('new/link'));
    await split.rmdir(m('d'));
    const walked = await split.walkTree(m(), { rules: RULES });
    expect([...walked.entries.keys()].sort()).toEqual(['a.txt', 'new', 'new/a-copy.txt', 'new/b.txt']);
    expect(await split.hashFiles(m(), ['a.txt', 'missing'])).toMatchObject([{ hash: await new NodeFileSystem().hash(f('a.txt')) }, { error: { code: 'ENOENT' } }]);

    // Landed on the far root, on the real disk.
    expect(nodeFs.readFileSync(f('new/b.txt'), 'utf8')).toBe('far b');
    expect(nodeFs.readFileSync(f('new/a-copy.txt'), 'utf8')).toBe('far a');
    expect(nodeFs.statSync(f('new')).mode & 0o7777).toBe(0o750);
    expect(nodeFs.statSync(f('a.txt')).mode & 0o7777).toBe(0o600);
    expect(nodeFs.existsSync(f('d'))).toBe(false);
    // Not one call reached the local filesystem, and the local root is as it was.
    expect(local.calls).toEqual([]);
    expect(nodeFs.readdirSync(near)).toEqual(['a.txt']);

    // Local paths go to the local disk, as given.
    expect(await split.readText(n('a.txt'))).toBe('near a');
    expect(localPaths()).toEqual([n('a.txt')]);
  });

  it('refuses a mount path that is not this one (another host, or a sibling of the remote root) without touching either disk', async () => {
    for (const path of ['/ssh:other@elsewhere/etc/passwd', `${MOUNT}${far}-sibling/x`, '/ssh:me@far-host:2222']) {
      const err = await errorOf(split.lstat(path));
      expect(err, path).toBeInstanceOf(FsError);
      expect((err as FsError).code).toBe('EACCES');
      expect((err as FsError).message).toContain(path);
    }
    await expect(split.mkdir('/ssh:other@elsewhere/x')).rejects.toMatchObject({ code: 'EACCES' });
    expect(local.calls).toEqual([]);
  });

  it('names the mount path in the errors of the far host', async () => {
    const err = await errorOf(split.lstat(m('missing')));
    expect(err).toMatchObject({ code: 'ENOENT', path: m('missing') });
    expect((err as FsError).message).toContain(m('missing'));
    expect((err as FsError).message).not.toContain(`'${f('missing')}'`);
  });

  it('a rename across hosts is EXDEV and moves nothing', async () => {
    writeTree(far, { 'a.txt': 'far a' });
    writeTree(near, { 'b.txt': 'near b' });
    await expect(split.rename(m('a.txt'), n('a.txt'))).rejects.toMatchObject({ code: 'EXDEV' });
    await expect(split.rename(n('b.txt'), m('b.txt'))).rejects.toMatchObject({ code: 'EXDEV' });
    expect(nodeFs.readdirSync(far)).toEqual(['a.txt']);
    expect(nodeFs.readdirSync(near)).toEqual(['b.txt']);
  });

  it('walks the far root in the agent against the baseline, with exactly the answer of a local scan worker', async () => {
    writeTree(far, { 'a.txt': 'alpha', 'b.txt': 'bravo', 'docs/guide.md': 'guide', 'docs/deep/x': 'x', 'l': { symlink: 'a.txt' } });
    const disk = new NodeFileSystem();
    const first = await disk.walkTree(far, { rules: RULES });
    const { target } = await columnsThroughStore(join(base, 'conduit.db'), rowsOf(first.entries));
    // Change the far root after the baseline: one edit, one removal, one addition.
    nodeFs.writeFileSync(f('a.txt'), 'ALPHA, longer');
    nodeFs.rmSync(f('docs/deep'), { recursive: true });
    nodeFs.writeFileSync(f('new.txt'), 'new');
    const options = { rules: RULES, against: target };
    const there = await split.walkTree(m(), options);
    const here = await disk.walkTree(far, options);
    expect(there).toEqual(here);
    expect(there.changes).toBeDefined();
    // `docs` changed too: removing `docs/deep` gave it a new mtime.
    expect([...there.entries.keys()].sort()).toEqual(['a.txt', 'docs', 'new.txt']);
    expect([...there.changes!.gone].sort()).toEqual(['docs/deep', 'docs/deep/x']);
    // The fast path too.
    const only = { rules: RULES, against: target, onlyPaths: ['docs/guide.md', 'new.txt'] };
    expect(await split.walkTree(m(), only)).toEqual(await disk.walkTree(far, only));
    expect(local.calls).toEqual([]);
  });
});

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('SplitFileSystem watch', () => {
  it('watches local roots on the local disk and remote ones in the agent; every event names its root as given', async () => {
    nodeFs.mkdirSync(n('w'));
    nodeFs.mkdirSync(f('w'));
    const events: WatchEvent[] = [];
    const watcher = split.watch([n('w'), m('w')], {}, (batch) => events.push(...batch));
    try {
      expect(local.calls).toEqual([{ op: 'watch', paths: [n('w')] }]);
      await watcher.ready;
      nodeFs.writeFileSync(n('w/near.txt'), 'near');
      nodeFs.writeFileSync(f('w/far.txt'), 'far');
      await until('the local event', () => events.some((e) => e.type === 'change' && e.root === n('w') && e.path === 'near.txt'));
      await until('the remote event, named by its mount path', () => events.some((e) => e.type === 'change' && e.root === m('w') && e.path === 'far.txt'));
      expect(events.some((e) => e.type === 'change' && e.path === 'near.txt' && e.root !== n('w'))).toBe(false);
      expect(events.every((e) => e.root === n('w') || e.root === m('w'))).toBe(true);
    } finally {
      await watcher.close();
    }
  });
});

describe('SplitFileSystem copy batches', () => {
  const request = async (fs: FileSystem, from: string, to: string, temp: string): Promise<CopyRequest> => {
    const originEntry = await fs.lstat(from);
    if (originEntry.kind !== 'file') throw new Error(`${from} is not a file`);
    return { origin: from, originEntry, dest: to, expected: null, temp, versioned: false, ancestors: [] };
  };

  it('splits a batch by host, runs each part on its host with its own paths, and answers in request order', async () => {
    writeTree(far, { 'from/r1': 'remote one', 'from/r2': 'remote two', 'to/.keep': '' });
    writeTree(near, { 'from/l1': 'local one', 'to/.keep': '' });
    const requests = [
      await request(split, m('from/r1'), m('to/r1'), m('to/.r1.conduit-tmp-t')),
      await request(split, n('from/l1'), n('to/l1'), n('to/.l1.conduit-tmp-t')),
      await request(split, m('from/missing-later'), m('to/x'), m('to/.x.conduit-tmp-t')).catch(() => null),
      await request(split, m('from/r2'), m('to/r2'), m('to/.r2.conduit-tmp-t')),
    ].filter((r): r is CopyRequest => r !== null);
    const batches = split.openCopyBatches(2);
    expect(batches).not.toBeNull();
    try {
      const results = await batches!.copy(requests);
      expect(results.map((r) => r.ok && r.result.status)).toEqual(['landed', 'landed', 'landed']);
      const landed = results[2]!.ok && results[2]!.result.status === 'landed' ? results[2]!.result.entry : null;
      expect(landed).toEqual(await new NodeFileSystem().lstat(f('to/r2')));
      // A failure on the far host names the engine's path.
      nodeFs.writeFileSync(f('from/r3'), 'three');
      const gone = await request(split, m('from/r3'), m('to/r3'), m('to/.r3.conduit-tmp-t'));
      nodeFs.rmSync(f('from/r3'));
      const [failed] = await batches!.copy([gone]);
      expect(failed).toMatchObject({ ok: false, error: { code: 'ENOENT', path: m('from/r3') } });

    } finally {
      await batches!.close();
    }
    // Directories too (the recording decorator does not pass makeDirectories on: the plain disk here).
    const withDirectories = new SplitFileSystem(new NodeFileSystem(), remote, { mountPath: m(), remotePath: far }).openCopyBatches(2)!;
    try {
      expect(withDirectories.makeDirectories).toBeDefined();
      const made = await withDirectories.makeDirectories!([
        { path: m('to/sub'), mode: 0o700, ancestors: [] },
        { path: n('to/sub'), ancestors: [] },
      ]);
      expect(made.map((r) => r.ok)).toEqual([true, true]);
      expect(made[0]).toEqual({ ok: true, entry: await new NodeFileSystem().lstat(f('to/sub')) });
      expect(made[1]).toEqual({ ok: true, entry: await new NodeFileSystem().lstat(n('to/sub')) });
    } finally {
      await withDirectories.close();
    }
    expect(nodeFs.readFileSync(f('to/r1'), 'utf8')).toBe('remote one');
    expect(nodeFs.readFileSync(f('to/r2'), 'utf8')).toBe('remote two');
    expect(nodeFs.readFileSync(n('to/l1'), 'utf8')).toBe('local one');
    expect(nodeFs.readdirSync(f('to')).sort()).toEqual(['.keep', 'r1', 'r2', 'sub']);
    expect(nodeFs.readdirSync(n('to')).sort()).toEqual(['.keep', 'l1', 'sub']);
    expect(nodeFs.statSync(f('to/sub')).mode & 0o7777).toBe(0o700);
    // The local copy workers got only the local request.
    expect(localPaths().filter((p) => p.startsWith('/ssh:') || p.startsWith(far))).toEqual([]);
  });
});

describe('the agent confines every path to its root', () => {
  it('refuses a raw call outside the root (EACCES) for every method, and nothing outside changes', async () => {
    const outside = join(base, 'outside');
    writeTree(outside, { 'secret.txt': 'secret' });
    writeTree(far, { 'a.txt': 'far a' });
    const link = await source.link();
    const refused = async (method: string, params: unknown): Promise<void> => {
      const err = await errorOf(link.call(method, params));
      expect(err, `${method} ${JSON.stringify(params, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`).toBeInstanceOf(FsError);
      expect((err as FsError).code, method).toBe('EACCES');
    };
    await refused('lstat', { path: '/etc/passwd' });
    await refused('lstat', { path: `${far}/../outside/secret.txt` });
    await refused('lstat', { path: 'a.txt' });
    await refused('readdir', { path: '/' });
    await refused('readText', { path: join(outside, 'secret.txt') });
    await refused('hash', { path: join(outside, 'secret.txt') });
    await refused('copyFile', { from: join(outside, 'secret.txt'), to: f('stolen') });
    await refused('copyFile', { from: f('a.txt'), to: join(outside, 'planted') });
    await refused('rename', { from: f('a.txt'), to: join(outside, 'moved') });
    await refused('rename', { from: join(outside, 'secret.txt'), to: f('moved') });
    await refused('unlink', { path: join(outside, 'secret.txt') });
    await refused('setAttributes', { path: join(outside, 'secret.txt'), mode: 0o777 });
    await refused('mkdir', { path: join(outside, 'made') });
    await refused('rmdir', { path: outside });
    await refused('symlink', { linkTarget: '/etc', path: join(outside, 'l') });
    await refused('walkTree', { root: outside, options: { rules: RULES } });
    await refused('hashFiles', { root: far, relPaths: ['a.txt', '../outside/secret.txt'] });
    const id = await link.call<number>('copyBatchesOpen', { workers: 1 });
    const originEntry = await new NodeFileSystem().lstat(f('a.txt'));
    const good: CopyRequest = { origin: f('a.txt'), originEntry: originEntry as never, dest: f('b.txt'), expected: null, temp: f('.b.conduit-tmp-t'), versioned: false, ancestors: [] };
    await refused('copyBatch', { id, requests: [{ ...good, dest: join(outside, 'b.txt'), temp: join(outside, '.b.conduit-tmp-t') }] });
    await refused('copyBatch', { id, requests: [{ ...good, temp: join(outside, '.b.conduit-tmp-t') }] });
    await refused('copyBatch', { id, requests: [{ ...good, origin: join(outside, 'secret.txt') }] });
    await refused('copyBatch', { id, requests: [{ ...good, ancestors: [{ path: outside, ino: null }] }] });
    await refused('mkdirBatch', { id, requests: [{ path: join(outside, 'made'), ancestors: [] }] });
    expect(nodeFs.readdirSync(outside)).toEqual(['secret.txt']);
    expect(nodeFs.readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
    expect(nodeFs.statSync(join(outside, 'secret.txt')).mode & 0o777).not.toBe(0o777);
    expect(nodeFs.readdirSync(far)).toEqual(['a.txt']);
    // The same batch inside the root lands.
    expect(await link.call('copyBatch', { id, requests: [good] })).toMatchObject([{ ok: true, result: { status: 'landed' } }]);
  });
});

/** `inner`'s current link, never a new one: once it is lost, `link()` rejects with why. */
function noReconnect(inner: LinkSource): LinkSource {
  const first = inner.current;
  if (first === null) throw new Error('noReconnect: connect first');
  return {
    host: inner.host,
    get current() {
      return first.lost.aborted ? null : first;
    },
    link: () => (first.lost.aborted ? Promise.reject(first.lost.reason as Error) : Promise.resolve(first)),
    onConnected: () => () => undefined,
    close: () => Promise.resolve(),
  };
}

describe('the agent never passes through a symbolic link below its root', () => {
  it('refuses a path whose parent is a link to outside the root, per call and per batch item, and nothing outside changes', async () => {
    const outside = join(base, 'outside');
    writeTree(outside, { 'secret.txt': 'secret', 'sub/x': 'x' });
    writeTree(far, { 'a.txt': 'far a', 'real/b.txt': 'b', 'escape': { symlink: outside } });
    const link = await source.link();
    const confined = async (method: string, params: unknown): Promise<void> => {
      const err = await errorOf(link.call(method, params));
      expect(err, method).toBeInstanceOf(FsError);
      expect((err as FsError).message, method).toMatch(/parent is not the directory scanned: '.*\/escape' is now a symbolic link/);
    };
    const through = (rel: string): string => f(`escape/${rel}`);
    await confined('lstat', { path: through('secret.txt') });
    await confined('readdir', { path: through('sub') });
    await confined('readText', { path: through('secret.txt') });
    await confined('hash', { path: through('secret.txt') });
    await confined('unlink', { path: through('secret.txt') });
    await confined('setAttributes', { path: through('secret.txt'), mode: 0o777 });
    await confined('mkdir', { path: through('made') });
    await confined('rmdir', { path: through('sub') });
    await confined('symlink', { linkTarget: '/', path: through('l') });
    await confined('rename', { from: f('a.txt'), to: through('moved') });
    await confined('copyFile', { from: f('a.txt'), to: through('planted'), token: 't1' });
    await confined('copyFile', { from: through('secret.txt'), to: f('stolen'), token: 't2' });
    await confined('walkTree', { root: through('sub'), options: { rules: RULES } });
    // The link itself is below the root: looking at it (not through it) is allowed.
    expect(await link.call('lstat', { path: f('escape') })).toMatchObject({ kind: 'symlink', linkTarget: outside });
    // A hash set and a batch answer the refused items as theirs and do the rest.
    const hashed = await link.call<unknown[]>('hashFiles', { root: far, relPaths: ['a.txt', 'escape/secret.txt'] });
    expect(hashed).toMatchObject([{ hash: await new NodeFileSystem().hash(f('a.txt')) }, { error: { code: 'EOTHER', message: expect.stringContaining('is now a symbolic link') } }]);
    const id = await link.call<number>('copyBatchesOpen', { workers: 1 });
    const originEntry = await new NodeFileSystem().lstat(f('a.txt'));
    const good: CopyRequest = { origin: f('a.txt'), originEntry: originEntry as never, dest: f('real/c.txt'), expected: null, temp: f('real/.c.conduit-tmp-t'), versioned: false, ancestors: [] };
    const results = await link.call('copyBatch', { id, requests: [good, { ...good, dest: through('c.txt'), temp: through('.c.conduit-tmp-t') }] });
    expect(results).toMatchObject([{ ok: true, result: { status: 'landed' } }, { ok: false, error: { code: 'EOTHER', message: expect.stringContaining('is now a symbolic link') } }]);
    expect(await link.call('mkdirBatch', { id, requests: [{ path: through('made'), ancestors: [] }] })).toMatchObject([{ ok: false, error: { code: 'EOTHER' } }]);
    expect(readTreeOf(outside)).toEqual(['secret.txt', 'sub', 'sub/x']);
    expect(nodeFs.readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
    expect(nodeFs.statSync(join(outside, 'secret.txt')).mode & 0o777).not.toBe(0o777);
    expect(nodeFs.readFileSync(f('real/c.txt'), 'utf8')).toBe('far a');
  });
});

function readTreeOf(dir: string): string[] {
  return (nodeFs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

describe('a link that drops', () => {
  it('aborts the signal connect gave, fails per-path calls as ABORTED with the lost link named, the walk with the LinkLostError, and reconnects on the next call', async () => {
    writeTree(far, { 'a.txt': 'far a' });
    const lost = await split.connect();
    expect(lost.aborted).toBe(false);
    expect(await split.readText(m('a.txt'))).toBe('far a');
    const link = source.current!;
    const stuck = noReconnect(source);
    source.kill();
    await new Promise<void>((resolve) => lost.addEventListener('abort', () => resolve(), { once: true }));
    expect(lost.reason).toBeInstanceOf(LinkLostError);
    // The link object itself refuses further calls; the filesystem says so per path.
    const direct = await errorOf(link.call('lstat', { path: f('a.txt') }));
    expect(direct).toBeInstanceOf(LinkLostError);

    // A source that does not connect again: every kind of call meets the real LinkLostError.
    const stale = new RemoteFileSystem(stuck);
    const perPath = await errorOf(stale.lstat(f('a.txt')));
    expect(perPath).toMatchObject({ code: 'ABORTED', path: f('a.txt') });
    expect((perPath as FsError).message).toMatch(/^ABORTED: lost the connection to me@far-host:2222: /);
    expect(await stale.hashFiles(far, ['a.txt'])).toMatchObject([{ error: { code: 'ABORTED', message: expect.stringContaining('lost the connection') } }]);
    const batch = stale.openCopyBatches(1);
    expect(await batch.makeDirectories([{ path: f('d'), ancestors: [] }])).toMatchObject([{ ok: false, error: { code: 'ABORTED', path: f('d') } }]);
    await batch.close();
    await expect(stale.walkTree(far, { rules: RULES })).rejects.toBeInstanceOf(LinkLostError);
    expect(nodeFs.existsSync(f('d'))).toBe(false);

    // The real source connects again on the next call.
    expect(await split.readText(m('a.txt'))).toBe('far a');
    expect(source.current).not.toBe(link);
  });

  it('copy batches open a new session of the agent\'s copy workers after a reconnect', async () => {
    writeTree(far, { 'from/a': 'a', 'from/b': 'b', 'to/.keep': '' });
    const disk = new NodeFileSystem();
    const request = async (name: string): Promise<CopyRequest> => ({
      origin: f(`from/${name}`), originEntry: (await disk.lstat(f(`from/${name}`))) as CopyRequest['originEntry'], dest: f(`to/${name}`),
      expected: null, temp: f(`to/.${name}.conduit-tmp-t`), versioned: false, ancestors: [],
    });
    const batches = remote.openCopyBatches(1);
    try {
      expect(await batches.copy([await request('a')])).toMatchObject([{ ok: true, result: { status: 'landed' } }]);
      const before = source.current!;
      source.kill();
      await new Promise<void>((resolve) => before.lost.addEventListener('abort', () => resolve(), { once: true }));
      expect(await batches.copy([await request('b')])).toMatchObject([{ ok: true, result: { status: 'landed' } }]);
      expect(source.current).not.toBe(before);
    } finally {
      await batches.close();
    }
    expect(nodeFs.readdirSync(f('to')).sort()).toEqual(['.keep', 'a', 'b']);
  });

  it('fails a call in flight when the agent dies under it: ABORTED, naming the lost link', async () => {
    writeTree(far, { 'big': Buffer.alloc(8 * 1024 * 1024, 7) });
    await split.connect();
    const slow = { take: () => new Promise<void>((resolve) => setTimeout(resolve, 50)) };
    const copying = split.copyFile(m('big'), m('copy'), { throttle: slow });
    await new Promise((resolve) => setTimeout(resolve, 100));
    source.kill();
    const err = await errorOf(copying);
    expect(err).toMatchObject({ code: 'ABORTED' });
    expect((err as FsError).message).toContain('lost the connection to me@far-host:2222');
  });
});

describe('versioning on a remote root (readdir, not readdirSync)', () => {
  it('prunes expired versions in a versions folder on the far host', async () => {
    const now = new Date('2026-06-01T00:00:00Z');
    const old = versionStamp(new Date('2026-01-01T00:00:00Z'));
    const fresh = versionStamp(new Date('2026-05-30T00:00:00Z'));
    writeTree(far, { [`.versions/${versionName('docs/a.txt', old)}`]: 'old', [`.versions/${versionName('b.txt', fresh)}`]: 'fresh' });
    const removed = await pruneVersions(split, m('.versions'), 30, now, m());
    expect(removed.sort()).toEqual([m(`.versions/${versionName('docs/a.txt', old)}`), m('.versions/docs')].sort());
    expect(nodeFs.readdirSync(f('.versions'))).toEqual([versionName('b.txt', fresh)]);
    expect(local.calls).toEqual([]);
  });

  it('lists the versions kept on the far host', async () => {
    const stamp = versionStamp(new Date('2026-05-30T00:00:00Z'));
    writeTree(far, { [`.versions/${versionName('docs/a.txt', stamp)}`]: 'kept' });
    const store = await openStore(join(base, 'versions.db'));
    try {
      const conduit = store.createConduit(conduitSpec({ source: near, target: m(), versioning: { dir: '.versions', keepDays: 30 } }));
      const versions = await listVersions(split, conduit);
      expect(versions).toEqual([{ path: 'docs/a.txt', side: 'target', versionPath: m(`.versions/${versionName('docs/a.txt', stamp)}`), keptAt: '2026-05-30T00:00:00.000Z', size: 4 }]);
    } finally {
      store.close();
    }
    expect(local.calls).toEqual([]);
  });
});
