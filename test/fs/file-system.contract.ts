import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Entry } from '../../src/core/entry.js';
import type { CopyRequest } from '../../src/engine/copy-protocol.js';
import { buildRules } from '../../src/engine/filters.js';
import type { ScanOptions } from '../../src/engine/scan.js';
import { walk } from '../../src/engine/scan/walk.js';
import { FsError, type FileSystem, type FsErrorCode, type HashOutcome, type SyncCopyOps, type SyncHashOps, type Throttle } from '../../src/fs/file-system.js';
import type { WatchEvent } from '../../src/watch/watcher.js';

/**
 * One suite, every implementation (DESIGN principle 3): whatever the engine
 * may rely on of a `FileSystem` is asserted here, against the in-memory fake,
 * against the real disk, and against the fault decorator wrapping either (with
 * no rules it must be the filesystem it wraps), so none can drift from the
 * truth. The capabilities (walkTree, openCopyBatches, hashFiles, watch) are
 * held to the per-operation methods: a walk reports what lstat says, a batch
 * lands what the per-file protocol would, a hash set says what `hash` says.
 */
export interface FileSystemFixture {
  readonly fs: FileSystem;
  /** An empty directory to work in (absolute). */
  readonly root: string;
  /** Create a file (parents exist) outside the seam under test. */
  writeFile(path: string, content: string | Uint8Array): Promise<void>;
  readFile(path: string): Promise<string>;
  /** How far a set mtime may land from the requested one (utimes takes a double of seconds). */
  readonly mtimeToleranceNs: bigint;
  /** The synchronous copy and hash steps, where the implementation has them (node, memory; a decorator does not). */
  readonly syncOps?: SyncCopyOps & SyncHashOps;
  /** Where `readdirSync`/`lstatSync` are refused (ContractTraits.syncListing false): the walk's calls over the same disk, for the walk comparisons. */
  readonly walkReference?: Pick<FileSystem, 'readdirSync' | 'lstatSync'>;
  cleanup(): Promise<void>;
}

const HELLO = 'hello\n';
const HELLO_SHA256 = '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03';

async function expectFsError(promise: Promise<unknown>, code: FsErrorCode, path?: string): Promise<FsError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FsError);
  const fsErr = err as FsError;
  expect(fsErr.code).toBe(code);
  expect(fsErr.message).toMatch(new RegExp(`^${code}: `));
  if (path !== undefined) expect(fsErr.message).toContain(path);
  return fsErr;
}

function expectFsErrorSync(fn: () => unknown, code: FsErrorCode): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(FsError);
  expect((caught as FsError).code).toBe(code);
}

function recordingThrottle(onTake?: (n: number, call: number) => void): Throttle & { taken: number[] } {
  const taken: number[] = [];
  return {
    taken,
    async take(n: number) {
      taken.push(n);
      onTake?.(n, taken.length);
    },
  };
}

/** Wait (polling) until `check` holds; the watcher is asynchronous. */
async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const noRules = (extra: Partial<ScanOptions> = {}): ScanOptions => ({ rules: buildRules({ useIndexRules: false }), ...extra });

/** What an implementation offers beyond FileSystem, so the suite knows which sections apply. */
export interface ContractTraits {
  /** The fixture's `syncOps` are the steps copy batches and hash sets run on (node, memory). */
  readonly syncOps: boolean;
  /**
   * `readdirSync`/`lstatSync` answer (the walk's calls). A remote filesystem
   * walks in its agent and refuses them (EOTHER); its fixture then gives a
   * `walkReference` over the same disk to compare its walks with. Default true.
   */
  readonly syncListing?: boolean;
  /** `watch` is implemented on this branch (a remote one may not be yet). Default true. */
  readonly watch?: boolean;
}

export function fileSystemContract(name: string, makeFixture: () => Promise<FileSystemFixture>, traits: ContractTraits): void {
  describe(`FileSystem contract: ${name}`, () => {
    let fx: FileSystemFixture;
    let fs: FileSystem;
    let root: string;
    const p = (rel: string): string => `${root}/${rel}`;

    beforeEach(async () => {
      fx = await makeFixture();
      fs = fx.fs;
      root = fx.root;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    describe('lstat', () => {
      it('reports files, directories and links with their attributes', async () => {
        await fx.writeFile(p('a.txt'), HELLO);
        await fs.mkdir(p('d'));
        await fs.symlink('a.txt', p('l'));
        const file = await fs.lstat(p('a.txt'));
        expect(file).toMatchObject({ kind: 'file', size: HELLO.length });
        expect(file.kind === 'file' && typeof file.mtimeNs).toBe('bigint');
        expect(file.kind === 'file' && typeof file.ino).toBe('number');
        expect(file.kind === 'file' && file.mode & ~0o7777).toBe(0);
        expect(await fs.lstat(p('d'))).toMatchObject({ kind: 'dir' });
        expect(await fs.lstat(p('l'))).toMatchObject({ kind: 'symlink', linkTarget: 'a.txt' });
      });

      it.runIf(traits.syncListing !== false)('lstatSync agrees with lstat', async () => {
        await fx.writeFile(p('a.txt'), HELLO);
        await fs.symlink('../outside', p('l'));
        expect(fs.lstatSync(p('a.txt'))).toEqual(await fs.lstat(p('a.txt')));
        expect(fs.lstatSync(p('l'))).toEqual(await fs.lstat(p('l')));
      });

      it('gives every file its own inode number', async () => {
        await fx.writeFile(p('a'), 'x');
        await fx.writeFile(p('b'), 'x');
        const a = (await fs.lstat(p('a'))) as Extract<Entry, { ino: number }>;
        const b = (await fs.lstat(p('b'))) as Extract<Entry, { ino: number }>;
        expect(a.ino).not.toBe(b.ino);
      });

      it.runIf(traits.syncListing !== false)('readdirSync lists names, links included, without following them', async () => {
        await fs.mkdir(p('d'));
        await fx.writeFile(p('d/a'), 'x');
        await fs.mkdir(p('d/sub'));
        await fs.symlink('/', p('d/root-link'));
        expect(fs.readdirSync(p('d')).sort()).toEqual(['a', 'root-link', 'sub']);
      });

      it('readdir lists names, links included, without following them; a missing directory is ENOENT, a file ENOTDIR', async () => {
        await fs.mkdir(p('d'));
        await fx.writeFile(p('d/a'), 'x');
        await fs.mkdir(p('d/sub'));
        await fs.symlink('/', p('d/root-link'));
        await fs.symlink('sub', p('d/sub-link'));
        expect((await fs.readdir(p('d'))).sort()).toEqual(['a', 'root-link', 'sub', 'sub-link']);
        expect(await fs.readdir(p('d/sub'))).toEqual([]);
        await expectFsError(fs.readdir(p('missing')), 'ENOENT', p('missing'));
        await expectFsError(fs.readdir(p('d/a')), 'ENOTDIR', p('d/a'));
      });
    });

    describe('symbolic links are never followed', () => {
      it('a link to a directory is a symlink, and unlinking it leaves the directory', async () => {
        await fs.mkdir(p('dir'));
        await fx.writeFile(p('dir/inside'), HELLO);
        await fs.symlink('dir', p('link'));
        expect(await fs.lstat(p('link'))).toMatchObject({ kind: 'symlink', linkTarget: 'dir' });
        await fs.unlink(p('link'));
        await expectFsError(fs.lstat(p('link')), 'ENOENT');
        expect(await fx.readFile(p('dir/inside'))).toBe(HELLO);
      });

      it('unlinking a link to a file leaves the file', async () => {
        await fx.writeFile(p('f'), HELLO);
        await fs.symlink('f', p('link'));
        await fs.unlink(p('link'));
        expect(await fx.readFile(p('f'))).toBe(HELLO);
      });

      it('keeps link text verbatim, dangling or pointing outside', async () => {
        await fs.symlink('../../nowhere/at all', p('dangling'));
        await fs.symlink('/etc/passwd', p('outside'));
        expect(await fs.lstat(p('dangling'))).toMatchObject({ kind: 'symlink', linkTarget: '../../nowhere/at all' });
        expect(await fs.lstat(p('outside'))).toMatchObject({ kind: 'symlink', linkTarget: '/etc/passwd' });
      });

      it('hash and readText refuse to read through a link (ELOOP)', async () => {
        await fx.writeFile(p('f'), HELLO);
        await fs.symlink('f', p('link'));
        await expectFsError(fs.hash(p('link')), 'ELOOP');
        await expectFsError(fs.readText(p('link')), 'ELOOP');
      });

      it('setAttributes on a link sets its mtime and leaves the target alone', async () => {
        await fx.writeFile(p('f'), HELLO);
        await fs.setAttributes(p('f'), { mode: 0o640 });
        const before = await fs.lstat(p('f'));
        await fs.symlink('f', p('link'));
        const mtimeNs = 1_600_000_000_123_456_789n;
        await fs.setAttributes(p('link'), { mode: 0o777, mtimeNs });
        const link = await fs.lstat(p('link'));
        expect(link.kind === 'symlink' && diff(link.mtimeNs, mtimeNs)).toBeLessThanOrEqual(fx.mtimeToleranceNs);
        expect(await fs.lstat(p('f'))).toEqual(before);
      });

      it('symlink onto an existing path fails with EEXIST', async () => {
        await fx.writeFile(p('f'), HELLO);
        await expectFsError(fs.symlink('x', p('f')), 'EEXIST');
      });
    });

    describe('copyFile', () => {
      it('copies the bytes, returns the count and reports progress', async () => {
        await fx.writeFile(p('a'), HELLO);
        const progress: number[] = [];
        const bytes = await fs.copyFile(p('a'), p('b'), { onProgress: (n) => progress.push(n) });
        expect(bytes).toBe(HELLO.length);
        expect(await fx.readFile(p('b'))).toBe(HELLO);
        expect(progress.at(-1)).toBe(HELLO.length);
      });

      it('is exclusive: an existing destination fails with EEXIST and is left untouched', async () => {
        await fx.writeFile(p('a'), 'new');
        await fx.writeFile(p('b'), 'precious');
        await expectFsError(fs.copyFile(p('a'), p('b')), 'EEXIST');
        expect(await fx.readFile(p('b'))).toBe('precious');
        await expectFsError(fs.copyFile(p('a'), p('b'), { throttle: recordingThrottle() }), 'EEXIST');
        expect(await fx.readFile(p('b'))).toBe('precious');
      });

      it('does not write through a dangling link at the destination', async () => {
        await fx.writeFile(p('a'), 'new');
        await fs.symlink('created-through-link', p('b'));
        await expectFsError(fs.copyFile(p('a'), p('b')), 'EEXIST');
        await expectFsError(fs.lstat(p('created-through-link')), 'ENOENT');
      });

      it('from a missing file fails with ENOENT and creates nothing', async () => {
        await expectFsError(fs.copyFile(p('missing'), p('b')), 'ENOENT', p('missing'));
        await expectFsError(fs.lstat(p('b')), 'ENOENT');
      });

      it('streams through a throttle in chunks, taking every byte', async () => {
        const content = 'abcdefghij'.repeat(60_000); // 600 kB: several chunks for either implementation
        await fx.writeFile(p('big'), content);
        const throttle = recordingThrottle();
        const progress: number[] = [];
        const bytes = await fs.copyFile(p('big'), p('copy'), { throttle, onProgress: (n) => progress.push(n) });
        expect(bytes).toBe(content.length);
        expect(await fx.readFile(p('copy'))).toBe(content);
        expect(throttle.taken.length).toBeGreaterThan(1);
        expect(throttle.taken.reduce((a, b) => a + b, 0)).toBe(content.length);
        expect(progress.at(-1)).toBe(content.length);
        expect(progress).toEqual([...progress].sort((a, b) => a - b));
      });

      it('an abort before the start fails with ABORTED and creates nothing', async () => {
        await fx.writeFile(p('a'), HELLO);
        const controller = new AbortController();
        controller.abort();
        await expectFsError(fs.copyFile(p('a'), p('b'), { signal: controller.signal }), 'ABORTED');
        await expectFsError(fs.lstat(p('b')), 'ENOENT');
      });

      it('an abort mid-copy fails with ABORTED and removes the partial destination', async () => {
        await fx.writeFile(p('big'), 'x'.repeat(600_000));
        const controller = new AbortController();
        const throttle = recordingThrottle((_n, call) => {
          if (call === 2) controller.abort();
        });
        await expectFsError(fs.copyFile(p('big'), p('b'), { throttle, signal: controller.signal }), 'ABORTED');
        await expectFsError(fs.lstat(p('b')), 'ENOENT');
      });
    });

    describe('directories', () => {
      it('rmdir of a non-empty directory fails with ENOTEMPTY and keeps it', async () => {
        await fs.mkdir(p('d'));
        await fx.writeFile(p('d/f'), HELLO);
        await expectFsError(fs.rmdir(p('d')), 'ENOTEMPTY');
        expect(await fx.readFile(p('d/f'))).toBe(HELLO);
      });

      it('rmdir removes an empty directory; of a file it is ENOTDIR', async () => {
        await fs.mkdir(p('d'));
        await fs.rmdir(p('d'));
        await expectFsError(fs.lstat(p('d')), 'ENOENT');
        await fx.writeFile(p('f'), HELLO);
        await expectFsError(fs.rmdir(p('f')), 'ENOTDIR');
      });

      it('mkdir sets exactly the mode asked for', async () => {
        await fs.mkdir(p('open'), 0o777);
        await fs.mkdir(p('closed'), 0o750);
        expect(await fs.lstat(p('open'))).toMatchObject({ kind: 'dir', mode: 0o777 });
        expect(await fs.lstat(p('closed'))).toMatchObject({ kind: 'dir', mode: 0o750 });
      });

      it('mkdir of an existing path is EEXIST; without a parent ENOENT', async () => {
        await fs.mkdir(p('d'));
        await expectFsError(fs.mkdir(p('d')), 'EEXIST');
        await expectFsError(fs.mkdir(p('missing/d')), 'ENOENT');
      });

      it('unlink of a directory fails with EISDIR', async () => {
        await fs.mkdir(p('d'));
        await expectFsError(fs.unlink(p('d')), 'EISDIR');
      });
    });

    describe('setAttributes', () => {
      it('round-trips permission bits', async () => {
        await fx.writeFile(p('f'), HELLO);
        for (const mode of [0o755, 0o600, 0o644, 0o700]) {
          await fs.setAttributes(p('f'), { mode });
          expect(await fs.lstat(p('f'))).toMatchObject({ mode });
        }
      });

      it('round-trips mtime to the nanosecond (within the platform tolerance)', async () => {
        await fx.writeFile(p('f'), HELLO);
        await fs.mkdir(p('d'));
        for (const mtimeNs of [1_763_875_200_123_456_789n, 946_684_800_000_000_001n, 1_000_000_000n]) {
          await fs.setAttributes(p('f'), { mtimeNs });
          await fs.setAttributes(p('d'), { mtimeNs });
          const f = await fs.lstat(p('f'));
          const d = await fs.lstat(p('d'));
          expect(f.kind === 'file' && diff(f.mtimeNs, mtimeNs)).toBeLessThanOrEqual(fx.mtimeToleranceNs);
          expect(d.kind === 'dir' && diff(d.mtimeNs, mtimeNs)).toBeLessThanOrEqual(fx.mtimeToleranceNs);
        }
      });

      it('sets mode and mtime together without disturbing the content', async () => {
        await fx.writeFile(p('f'), HELLO);
        await fs.setAttributes(p('f'), { mode: 0o600, mtimeNs: 1_700_000_000_000_000_000n });
        const f = await fs.lstat(p('f'));
        expect(f).toMatchObject({ kind: 'file', mode: 0o600, size: HELLO.length });
        expect(await fx.readFile(p('f'))).toBe(HELLO);
      });
    });

    describe('rename', () => {
      it('replaces an existing file atomically and keeps the inode of what moved', async () => {
        await fx.writeFile(p('new'), 'new');
        await fx.writeFile(p('old'), 'old');
        const moved = await fs.lstat(p('new'));
        await fs.rename(p('new'), p('old'));
        expect(await fx.readFile(p('old'))).toBe('new');
        expect((await fs.lstat(p('old'))) as unknown).toMatchObject({ ino: (moved as { ino: number }).ino });
        await expectFsError(fs.lstat(p('new')), 'ENOENT');
      });

      it('moves a link as a link', async () => {
        await fs.symlink('somewhere', p('l'));
        await fs.rename(p('l'), p('m'));
        expect(await fs.lstat(p('m'))).toMatchObject({ kind: 'symlink', linkTarget: 'somewhere' });
      });

      it('a file over a directory is EISDIR; of a missing path ENOENT', async () => {
        await fx.writeFile(p('f'), HELLO);
        await fs.mkdir(p('d'));
        await expectFsError(fs.rename(p('f'), p('d')), 'EISDIR');
        await expectFsError(fs.rename(p('missing'), p('x')), 'ENOENT');
      });
    });

    describe('errors for missing paths name the path', () => {
      it('every operation reports ENOENT', async () => {
        const missing = p('missing');
        await expectFsError(fs.lstat(missing), 'ENOENT', missing);
        await expectFsError(fs.readText(missing), 'ENOENT', missing);
        await expectFsError(fs.hash(missing), 'ENOENT', missing);
        await expectFsError(fs.unlink(missing), 'ENOENT', missing);
        await expectFsError(fs.rmdir(missing), 'ENOENT', missing);
        await expectFsError(fs.setAttributes(missing, { mtimeNs: 1n }), 'ENOENT', missing);
        await expectFsError(fs.symlink('x', p('missing/l')), 'ENOENT');
        await expectFsError(fs.readdir(missing), 'ENOENT', missing);
        if (traits.syncListing !== false) {
          expectFsErrorSync(() => fs.lstatSync(missing), 'ENOENT');
          expectFsErrorSync(() => fs.readdirSync(missing), 'ENOENT');
        }
        const err = await expectFsError(fs.lstat(missing), 'ENOENT');
        expect(err.path).toBe(missing);
        expect(err.op).toBe('lstat');
        expect(err.transient).toBe(true);
      });

      it('a file used as a directory is ENOTDIR', async () => {
        await fx.writeFile(p('f'), HELLO);
        if (traits.syncListing !== false) expectFsErrorSync(() => fs.readdirSync(p('f')), 'ENOTDIR');
        await expectFsError(fs.readdir(p('f')), 'ENOTDIR');
        await expectFsError(fs.lstat(p('f/x')), 'ENOTDIR');
      });
    });

    describe('content', () => {
      it('hash is the sha256 of the bytes', async () => {
        await fx.writeFile(p('f'), HELLO);
        expect(await fs.hash(p('f'))).toBe(HELLO_SHA256);
        const big = new Uint8Array(700_000).map((_, i) => i % 251);
        await fx.writeFile(p('big'), big);
        expect(await fs.hash(p('big'))).toBe(createHash('sha256').update(big).digest('hex'));
      });

      it('hash of a directory fails with EISDIR', async () => {
        await fs.mkdir(p('d'));
        await expectFsError(fs.hash(p('d')), 'EISDIR');
      });

      it('readText reads UTF-8', async () => {
        await fx.writeFile(p('.conduitignore'), '*.tmp\nnaïve/\n');
        expect(await fs.readText(p('.conduitignore'))).toBe('*.tmp\nnaïve/\n');
      });
    });

    describe('walkTree (capability)', () => {
      async function plant(): Promise<void> {
        await fs.mkdir(p('tree'));
        await fx.writeFile(p('tree/a.txt'), HELLO);
        await fs.mkdir(p('tree/d'));
        await fs.mkdir(p('tree/d/empty'));
        await fx.writeFile(p('tree/d/b.txt'), 'bee');
        await fs.symlink('../../outside', p('tree/d/up'));
        await fs.mkdir(p('tree/skip'));
        await fx.writeFile(p('tree/skip/hidden.txt'), 'not listed');
      }

      it('reports every entry as lstat does, links as links, never looking through them', async () => {
        await plant();
        const result = await fs.walkTree(p('tree'), noRules());
        expect(result.root).toBe('ok');
        const expected = new Map<string, Entry>();
        for (const rel of ['a.txt', 'd', 'd/b.txt', 'd/empty', 'd/up', 'skip', 'skip/hidden.txt']) expected.set(rel, await fs.lstat(p(`tree/${rel}`)));
        expect(new Map([...result.entries].sort(([a], [b]) => (a < b ? -1 : 1)))).toEqual(expected);
        expect(result.staleTemps).toEqual([]);
      });

      it('is the scan walk over readdirSync/lstatSync, wherever it runs', async () => {
        await plant();
        const options = noRules({ rules: buildRules({ useIndexRules: false, exclude: ['skip/'] }) });
        const reference = fx.walkReference ?? fs;
        const walked = await fs.walkTree(p('tree'), options);
        expect(walked).toEqual(walk(reference, p('tree'), options));
        expect(walked.entries.has('skip')).toBe(false);
        const only = noRules({ onlyPaths: ['d/b.txt', 'gone.txt'] });
        expect(await fs.walkTree(p('tree'), only)).toEqual(walk(reference, p('tree'), only));
        expect([...(await fs.walkTree(p('tree'), only)).entries.keys()].sort()).toEqual(['d', 'd/b.txt']);
      });

      it('reports a missing root and a root that is a file as root states, with nothing listed', async () => {
        await fx.writeFile(p('f'), HELLO);
        expect(await fs.walkTree(p('missing'), noRules())).toMatchObject({ root: 'missing', visited: 0 });
        const file = await fs.walkTree(p('f'), noRules());
        expect(file).toMatchObject({ root: 'not_a_directory' });
        expect(file.entries.size).toBe(0);
      });
    });

    describe('openCopyBatches (capability)', () => {
      const request = async (name: string, overrides: Partial<CopyRequest> = {}): Promise<CopyRequest> => {
        const originEntry = await fs.lstat(p(`from/${name}`));
        if (originEntry.kind !== 'file') throw new Error(`${name} is not a file`);
        return { origin: p(`from/${name}`), originEntry, dest: p(`to/${name}`), expected: null, temp: p(`to/.${name}.conduit-tmp-contract`), versioned: false, ancestors: [], ...overrides };
      };
      const names = async (dir: string): Promise<string[]> => (await fs.readdir(p(dir))).sort();

      it('runs the copy protocol per request: one result each, in order, every trouble its own item', async () => {
        await fs.mkdir(p('from'));
        await fs.mkdir(p('to'));
        for (const n of ['a', 'b', 'c', 'd']) await fx.writeFile(p(`from/${n}`), `content of ${n}`);
        await fs.setAttributes(p('from/a'), { mode: 0o640, mtimeNs: 1_600_000_000_123_456_789n });
        const requests = [await request('a'), await request('b'), await request('c'), await request('d')];
        await fs.unlink(p('from/b')); // vanished since the scan
        await fx.writeFile(p('to/c'), 'the target wrote this after the scan');
        const batches = fs.openCopyBatches(2);
        expect(batches).not.toBeNull();
        let results;
        try {
          expect(batches!.concurrency).toBeGreaterThanOrEqual(1);
          results = await batches!.copy(requests);
        } finally {
          await batches!.close();
        }
        expect(results).toHaveLength(4);
        expect(results[0]).toMatchObject({ ok: true, result: { status: 'landed', bytes: 'content of a'.length } });
        expect(results[1]).toMatchObject({ ok: false, error: { code: 'ENOENT' } });
        expect(results[2]).toEqual({ ok: true, result: { status: 'skipped', reason: 'modified since scan' } });
        expect(results[3]).toMatchObject({ ok: true, result: { status: 'landed' } });
        expect(await fx.readFile(p('to/a'))).toBe('content of a');
        expect(await fx.readFile(p('to/c'))).toBe('the target wrote this after the scan');
        const landed = await fs.lstat(p('to/a'));
        expect(results[0]!.ok && results[0]!.result.status === 'landed' && results[0]!.result.entry).toEqual(landed);
        expect(landed).toMatchObject({ kind: 'file', mode: 0o640 });
        expect(landed.kind === 'file' && diff(landed.mtimeNs, 1_600_000_000_123_456_789n)).toBeLessThanOrEqual(fx.mtimeToleranceNs);
        expect(await names('to')).toEqual(['a', 'c', 'd']); // no temporary left
      });

      it('runs as many batches at once as it says', async () => {
        await fs.mkdir(p('from'));
        await fs.mkdir(p('to'));
        const all: string[] = [];
        for (let i = 0; i < 12; i++) {
          all.push(`f${i}`);
          await fx.writeFile(p(`from/f${i}`), `file ${i}`);
        }
        const batches = fs.openCopyBatches(3)!;
        try {
          const groups = [all.slice(0, 4), all.slice(4, 8), all.slice(8)];
          const results = await Promise.all(groups.map(async (g) => batches.copy(await Promise.all(g.map((n) => request(n))))));
          expect(results.flat().every((r) => r.ok && r.result.status === 'landed')).toBe(true);
        } finally {
          await batches.close();
        }
        expect(await names('to')).toEqual([...all].sort());
        for (const n of all) expect(await fx.readFile(p(`to/${n}`))).toBe(`file ${n.slice(1)}`);
      });
    });

    describe('hashFiles (capability)', () => {
      const sha256 = (bytes: string | Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
      /** Bytes that differ from one offset to the next, so a chunk read twice or skipped changes the hash. */
      const pattern = (length: number, seed: number): Uint8Array => new Uint8Array(length).map((_, i) => (i * 31 + seed) % 251);
      const hashOf = (outcome: HashOutcome | undefined): string | undefined => (outcome && 'hash' in outcome ? outcome.hash : undefined);
      const errorOf = (outcome: HashOutcome | undefined) => (outcome && 'error' in outcome ? outcome.error : undefined);

      it('answers one outcome per path, in order, each what hash says: empty, small, exactly 1 MiB, larger ones read in chunks', async () => {
        await fs.mkdir(p('set'));
        await fs.mkdir(p('set/sub'));
        const files: Record<string, Uint8Array> = {
          'empty': new Uint8Array(0),
          'sub/small.txt': new TextEncoder().encode(HELLO),
          'one-mib': pattern(1024 * 1024, 1),
          'one-mib-and-one': pattern(1024 * 1024 + 1, 2),
          'sub/big': pattern(3 * 1024 * 1024 + 12_345, 3),
        };
        for (const [rel, bytes] of Object.entries(files)) await fx.writeFile(p(`set/${rel}`), bytes);
        const rels = ['sub/big', 'empty', 'sub/small.txt', 'one-mib-and-one', 'one-mib'];
        const outcomes = await fs.hashFiles(p('set'), rels);
        expect(outcomes.map(hashOf)).toEqual(rels.map((rel) => sha256(files[rel]!)));
        for (const rel of rels) expect(hashOf(outcomes[rels.indexOf(rel)])).toBe(await fs.hash(p(`set/${rel}`)));
        expect(await fs.hashFiles(p('set'), [])).toEqual([]);
      });

      it('makes every trouble its own outcome, with the code and the path: missing, a link (never followed), a directory, a file used as a directory', async () => {
        await fx.writeFile(p('a'), 'A');
        await fx.writeFile(p('b'), 'B');
        await fs.symlink('a', p('link'));
        await fs.mkdir(p('dir'));
        const rels = ['a', 'missing', 'link', 'dir', 'a/below', 'b'];
        const outcomes = await fs.hashFiles(root, rels);
        expect(outcomes).toHaveLength(rels.length);
        expect(hashOf(outcomes[0])).toBe(sha256('A'));
        expect(hashOf(outcomes[5])).toBe(sha256('B'));
        const expected: Array<[number, FsErrorCode]> = [[1, 'ENOENT'], [2, 'ELOOP'], [3, 'EISDIR'], [4, 'ENOTDIR']];
        for (const [i, code] of expected) {
          const error = errorOf(outcomes[i]);
          expect(error?.code, rels[i]).toBe(code);
          expect(error?.message).toMatch(new RegExp(`^${code}: `));
          expect(error?.message).toContain(p(rels[i]!));
        }
      });

      it('hashes many files across its chunks and both roots at once, each in its place', async () => {
        const made: Record<'one' | 'two', string[]> = { one: [], two: [] };
        for (const side of ['one', 'two'] as const) {
          await fs.mkdir(p(side));
          for (let i = 0; i < 300; i++) {
            const rel = `f${String(i).padStart(3, '0')}`;
            made[side].push(rel);
            // Sizes and contents vary by file and side, so one file's hash landing in another's place shows.
            await fx.writeFile(p(`${side}/${rel}`), `${side} ${i} `.repeat(1 + (i % 7)));
          }
        }
        const [one, two] = await Promise.all([fs.hashFiles(p('one'), made.one), fs.hashFiles(p('two'), made.two)]);
        expect(one.map(hashOf)).toEqual(made.one.map((_, i) => sha256(`one ${i} `.repeat(1 + (i % 7)))));
        expect(two.map(hashOf)).toEqual(made.two.map((_, i) => sha256(`two ${i} `.repeat(1 + (i % 7)))));
      });

      it('after an abort hashes nothing more: every file not hashed yet is ABORTED', async () => {
        await fx.writeFile(p('a'), 'A');
        await fx.writeFile(p('b'), 'B');
        const controller = new AbortController();
        controller.abort();
        const outcomes = await fs.hashFiles(root, ['a', 'b'], controller.signal);
        expect(outcomes.map((o) => errorOf(o)?.code)).toEqual(['ABORTED', 'ABORTED']);
        expect(errorOf(outcomes[1])?.message).toContain(p('b'));
      });
    });

    describe.runIf(traits.syncOps)('SyncHashOps (the step a hash set runs on)', () => {
      const sync = (): SyncHashOps => {
        if (!fx.syncOps) throw new Error(`the ${name} fixture has no syncOps`);
        return fx.syncOps;
      };
      it('hashFileSync agrees with hash, refuses links (ELOOP) and directories (EISDIR), and stops when asked (ABORTED)', async () => {
        const big = new Uint8Array(2 * 1024 * 1024 + 7).map((_, i) => (i * 7) % 253);
        await fx.writeFile(p('big'), big);
        await fx.writeFile(p('f'), HELLO);
        await fs.symlink('f', p('link'));
        await fs.mkdir(p('d'));
        expect(sync().hashFileSync(p('f'))).toBe(HELLO_SHA256);
        expect(sync().hashFileSync(p('big'))).toBe(await fs.hash(p('big')));
        expectFsErrorSync(() => sync().hashFileSync(p('link')), 'ELOOP');
        expectFsErrorSync(() => sync().hashFileSync(p('d')), 'EISDIR');
        expectFsErrorSync(() => sync().hashFileSync(p('missing')), 'ENOENT');
        // Asked between reads: a stop that comes while a large file is being read ends that file too.
        let asked = 0;
        expectFsErrorSync(() => sync().hashFileSync(p('big'), () => ++asked > 1), 'ABORTED');
        expectFsErrorSync(() => sync().hashFileSync(p('f'), () => true), 'ABORTED');
      });
    });

    describe.runIf(traits.syncOps)('SyncCopyOps (the steps a copy batch runs on)', () => {
      const sync = (): SyncCopyOps => {
        if (!fx.syncOps) throw new Error(`the ${name} fixture has no syncOps`);
        return fx.syncOps;
      };
      it('lstatOrNullSync agrees with lstat, and is null for nothing there (ENOENT, ENOTDIR)', async () => {
        await fx.writeFile(p('f'), HELLO);
        await fs.symlink('f', p('l'));
        expect(sync().lstatOrNullSync(p('f'))).toEqual(await fs.lstat(p('f')));
        expect(sync().lstatOrNullSync(p('l'))).toEqual(await fs.lstat(p('l')));
        expect(sync().lstatOrNullSync(p('missing'))).toBeNull();
        expect(sync().lstatOrNullSync(p('f/below'))).toBeNull();
      });

      it('copyFileSync is exclusive and keeps the permission bits; setCreatedFileAttributesSync sets mode and mtime', async () => {
        await fx.writeFile(p('a'), 'new');
        await fs.setAttributes(p('a'), { mode: 0o604 });
        await fx.writeFile(p('b'), 'precious');
        expectFsErrorSync(() => sync().copyFileSync(p('a'), p('b')), 'EEXIST');
        expect(await fx.readFile(p('b'))).toBe('precious');
        expectFsErrorSync(() => sync().copyFileSync(p('missing'), p('c')), 'ENOENT');
        sync().copyFileSync(p('a'), p('c'));
        expect(await fx.readFile(p('c'))).toBe('new');
        expect(await fs.lstat(p('c'))).toMatchObject({ mode: 0o604 });
        sync().setCreatedFileAttributesSync(p('c'), 0o640, 1_700_000_000_000_000_123n);
        const c = await fs.lstat(p('c'));
        expect(c).toMatchObject({ kind: 'file', mode: 0o640 });
        expect(c.kind === 'file' && diff(c.mtimeNs, 1_700_000_000_000_000_123n)).toBeLessThanOrEqual(fx.mtimeToleranceNs);
      });

      it('renameSync replaces, unlinkSync removes; both name a missing path with ENOENT', async () => {
        await fx.writeFile(p('new'), 'new');
        await fx.writeFile(p('old'), 'old');
        sync().renameSync(p('new'), p('old'));
        expect(await fx.readFile(p('old'))).toBe('new');
        sync().unlinkSync(p('old'));
        await expectFsError(fs.lstat(p('old')), 'ENOENT');
        expectFsErrorSync(() => sync().renameSync(p('missing'), p('x')), 'ENOENT');
        expectFsErrorSync(() => sync().unlinkSync(p('missing')), 'ENOENT');
      });
    });

    describe.runIf(traits.watch !== false)('watch (capability)', () => {
      it('reports changes below a root with what is there now, removals as absent, and drops ignored names', async () => {
        await fs.mkdir(p('w'));
        const events: WatchEvent[] = [];
        const watcher = fs.watch([p('w')], { ignoreName: (n) => n.includes('.conduit-tmp-') }, (batch) => events.push(...batch));
        try {
          await watcher.ready;
          // The latest event for the path: a first one may have seen the file while it was still being written.
          const change = (path: string, kind: string) => {
            const latest = events.filter((e): e is Extract<WatchEvent, { type: 'change' }> => e.type === 'change' && e.path === path).at(-1);
            return latest?.state.kind === kind ? latest : undefined;
          };
          await fx.writeFile(p('w/.x.conduit-tmp-1'), 'temp');
          await fx.writeFile(p('w/new.txt'), HELLO);
          const written = await fs.lstat(p('w/new.txt'));
          await until('w/new.txt', () => {
            const e = change('new.txt', 'file');
            return e?.type === 'change' && e.state.kind === 'file' && e.state.size === HELLO.length;
          });
          expect(change('new.txt', 'file')).toMatchObject({
            root: p('w'), state: { kind: 'file', size: HELLO.length, mtimeNs: written.kind === 'file' ? written.mtimeNs : -1n },
          });
          await fs.unlink(p('w/new.txt'));
          await until('w/new.txt absent', () => change('new.txt', 'absent') !== undefined);
          expect(events.some((e) => e.type === 'change' && e.path.includes('conduit-tmp'))).toBe(false);
        } finally {
          await watcher.close();
        }
      });
    });
  });
}

function diff(a: bigint, b: bigint): bigint {
  return a > b ? a - b : b - a;
}
