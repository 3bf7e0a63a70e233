import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fsSync from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stopScanWorkers } from '../../src/engine/scan.js';
import { FaultyFileSystem } from '../../src/fs/faulty-file-system.js';
import type { FileEntry } from '../../src/core/entry.js';
import type { FsError } from '../../src/fs/file-system.js';
import { NodeFileSystem, secondsFromNs, toFsError } from '../../src/fs/node-file-system.js';
import type { WatchEvent } from '../../src/watch/watcher.js';
import { fileSystemContract } from './file-system.contract.js';

// The real disk, through the same contract as the in-memory fake. Fixtures are made with
// node:fs directly so that a bug in NodeFileSystem cannot hide a bug in its own test set-up.
fileSystemContract('NodeFileSystem', async () => {
  const root = await mkdtemp(join(tmpdir(), 'conduit-fs-'));
  const fs = new NodeFileSystem();
  return {
    fs,
    root,
    writeFile: (path, content) => writeFile(path, content),
    readFile: (path) => readFile(path, 'utf8'),
    mtimeToleranceNs: 1_000n,
    syncOps: fs,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}, { syncOps: true });

// The decorator with no rules must be the disk itself, capabilities included (forwarded to the
// scan and copy workers and to chokidar).
fileSystemContract('FaultyFileSystem(NodeFileSystem), no rules', async () => {
  const root = await mkdtemp(join(tmpdir(), 'conduit-fs-'));
  return {
    fs: new FaultyFileSystem(new NodeFileSystem()),
    root,
    writeFile: (path, content) => writeFile(path, content),
    readFile: (path) => readFile(path, 'utf8'),
    mtimeToleranceNs: 1_000n,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}, { syncOps: false });

describe('NodeFileSystem specifics', () => {
  it('reports a FIFO as an unsupported problem', async () => {
    const root = await mkdtemp(join(tmpdir(), 'conduit-fs-'));
    try {
      execFileSync('mkfifo', [join(root, 'pipe')]);
      const fs = new NodeFileSystem();
      const entry = await fs.lstat(join(root, 'pipe'));
      expect(entry).toMatchObject({ kind: 'problem', code: 'unsupported' });
      expect(fs.lstatSync(join(root, 'pipe'))).toEqual(entry);
      expect((entry as { message: string }).message).toContain('FIFO');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('hash and hashFiles do not hang on a FIFO where the scan saw a file: it is that file\'s error, the others are hashed', async () => {
    const root = await mkdtemp(join(tmpdir(), 'conduit-fs-'));
    try {
      fsSync.writeFileSync(join(root, 'a'), 'A');
      execFileSync('mkfifo', [join(root, 'pipe')]); // no writer: an open without O_NONBLOCK would block its worker for good
      fsSync.writeFileSync(join(root, 'z'), 'Z');
      const disk = new NodeFileSystem();
      await expect(disk.hash(join(root, 'pipe'))).rejects.toMatchObject({ code: 'EOTHER', message: `EOTHER: not a regular file, hash '${join(root, 'pipe')}'` });
      const outcomes = await disk.hashFiles(root, ['a', 'pipe', 'z']);
      expect(outcomes).toEqual([
        { hash: createHash('sha256').update('A').digest('hex') },
        { error: { code: 'EOTHER', message: `EOTHER: not a regular file, hash '${join(root, 'pipe')}'` } },
        { hash: createHash('sha256').update('Z').digest('hex') },
      ]);
    } finally {
      await stopScanWorkers();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('hashFiles stops when its signal aborts: the rest of the set is ABORTED, what was hashed is right', async () => {
    const root = await mkdtemp(join(tmpdir(), 'conduit-fs-'));
    try {
      const rels: string[] = [];
      for (let i = 0; i < 2_000; i++) {
        rels.push(`f${i}`);
        fsSync.writeFileSync(join(root, `f${i}`), `file ${i}`);
      }
      const controller = new AbortController();
      const pending = new NodeFileSystem().hashFiles(root, rels, controller.signal);
      // The first chunks may already be in the workers; the later ones cannot have started (this thread sends them).
      controller.abort();
      const outcomes = await pending;
      expect(outcomes).toHaveLength(rels.length);
      expect(outcomes.at(-1)).toEqual({ error: { code: 'ABORTED', message: `ABORTED: operation aborted, hash '${join(root, 'f1999')}'` } });
      outcomes.forEach((outcome, i) => {
        if ('hash' in outcome) expect(outcome.hash).toBe(createHash('sha256').update(`file ${i}`).digest('hex'));
        else expect(outcome.error.code).toBe('ABORTED');
      });
    } finally {
      await stopScanWorkers();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('maps errno once, keeping the code, the operation and the path in the message', () => {
    const errno = Object.assign(new Error("EACCES: permission denied, open '/x/y'"), { code: 'EACCES', path: '/x/y', syscall: 'open' });
    const err = toFsError(errno, 'readText', '/x/y');
    expect(err).toMatchObject({ code: 'EACCES', op: 'readText', path: '/x/y', message: "EACCES: permission denied, open '/x/y'" });
    const odd = toFsError(Object.assign(new Error('ETIMEDOUT: connection timed out, read'), { code: 'ETIMEDOUT' }), 'hash', '/n/f');
    expect(odd).toMatchObject({ code: 'EOTHER', path: '/n/f' });
    expect(odd.message).toMatch(/^ETIMEDOUT/);
  });

  it('converts nanoseconds to seconds with a single rounding', () => {
    const ns = 1_763_875_200_123_456_789n;
    const exact = secondsFromNs(ns);
    // The double nearest the true value is within half an ulp (~120 ns today).
    const back = BigInt(Math.round(exact * 1e6)) * 1000n;
    expect(back > ns ? back - ns : ns - back).toBeLessThan(1_000n);
    expect(secondsFromNs(-1_500_000_000n)).toBe(-1.5);
    expect(secondsFromNs(0n)).toBe(0);
  });
});

describe('NodeFileSystem: names are bytes (byte-names.ts at the edge)', () => {
  const raw = (root: string, ...parts: Array<string | number[]>): Buffer =>
    Buffer.concat([Buffer.from(`${root}/`), ...parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p)))]);
  const listBytes = (dir: Buffer | string): string[] => fsSync.readdirSync(dir, { encoding: 'buffer' }).map((n) => n.toString('latin1')).sort();
  const rules = { rules: { include: [], exclude: [], ignore: [] } };

  it('lists bad\\xff\\xfe.txt as conduit\'s escaped name and reaches it through every operation, writing exactly those bytes', async () => {
    const root = await mkdtemp(join(tmpdir(), 'conduit-fs-bytes-'));
    try {
      const fs = new NodeFileSystem();
      fsSync.writeFileSync(raw(root, 'bad', [0xff, 0xfe], '.txt'), 'bytes');
      fsSync.mkdirSync(raw(root, 'caf', [0xe9]));
      fsSync.symlinkSync(Buffer.from([0x74, 0x6f, 0xff]), raw(root, 'link', [0xfe]));
      const bad = 'bad\uF7FF\uF7FE.txt';
      const cafe = 'caf\uF7E9';
      expect(fs.readdirSync(root).sort()).toEqual([bad, cafe, 'link\uF7FE']);
      expect(await fs.lstat(`${root}/${bad}`)).toMatchObject({ kind: 'file', size: 5 });
      expect(fs.lstatSync(`${root}/${bad}`)).toEqual(await fs.lstat(`${root}/${bad}`));
      expect(await fs.lstat(`${root}/link\uF7FE`)).toMatchObject({ kind: 'symlink', linkTarget: 'to\uF7FF' });
      expect(fs.lstatSync(`${root}/link\uF7FE`)).toMatchObject({ kind: 'symlink', linkTarget: 'to\uF7FF' });
      expect(await fs.hash(`${root}/${bad}`)).toBe(createHash('sha256').update('bytes').digest('hex'));
      expect(await fs.readText(`${root}/${bad}`)).toBe('bytes');

      await fs.copyFile(`${root}/${bad}`, `${root}/${cafe}/copy\uF780`);
      fs.copyFileSync(`${root}/${bad}`, `${root}/${cafe}/sync\uF781`);
      await fs.setAttributes(`${root}/${cafe}/copy\uF780`, { mode: 0o600, mtimeNs: 1_600_000_000_000_000_000n });
      fs.setCreatedFileAttributesSync(`${root}/${cafe}/sync\uF781`, 0o640, 1_600_000_000_000_000_000n);
      await fs.symlink('to\uF7FF\uF7FF', `${root}/${cafe}/l\uF7FF`);
      await fs.mkdir(`${root}/${cafe}/sub\uF7FF`);
      expect(listBytes(raw(root, 'caf', [0xe9]))).toEqual(['copy\x80', 'l\xff', 'sub\xff', 'sync\x81']);
      expect(fsSync.readFileSync(raw(root, 'caf', [0xe9], '/copy', [0x80]), 'utf8')).toBe('bytes');
      expect(fsSync.readlinkSync(raw(root, 'caf', [0xe9], '/l', [0xff]), { encoding: 'buffer' }).equals(Buffer.from([0x74, 0x6f, 0xff, 0xff]))).toBe(true);
      expect(fs.lstatOrNullSync(`${root}/${cafe}/copy\uF780`)).toMatchObject({ kind: 'file', mode: 0o600 });

      await fs.rename(`${root}/${cafe}/copy\uF780`, `${root}/${cafe}/moved\uF7FE`);
      fs.renameSync(`${root}/${cafe}/sync\uF781`, `${root}/${cafe}/moved\uF7FD`);
      expect(listBytes(raw(root, 'caf', [0xe9]))).toEqual(['l\xff', 'moved\xfd', 'moved\xfe', 'sub\xff']);
      await fs.unlink(`${root}/${cafe}/moved\uF7FE`);
      fs.unlinkSync(`${root}/${cafe}/moved\uF7FD`);
      await fs.unlink(`${root}/${cafe}/l\uF7FF`);
      await fs.rmdir(`${root}/${cafe}/sub\uF7FF`);
      expect(listBytes(raw(root, 'caf', [0xe9]))).toEqual([]);
      await expectCode(fs.lstat(`${root}/${cafe}/gone\uF7FF`), 'ENOENT', `${root}/${cafe}/gone\uF7FF`);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('walks and batch-copies byte names in its workers, through the same edge', async () => {
    const root = await mkdtemp(join(tmpdir(), 'conduit-fs-bytes-'));
    const fs = new NodeFileSystem();
    try {
      fsSync.mkdirSync(raw(root, 'src/d', [0xe9]), { recursive: true });
      fsSync.mkdirSync(raw(root, 'dst/d', [0xe9]), { recursive: true });
      fsSync.writeFileSync(raw(root, 'src/d', [0xe9], '/bad', [0xff, 0xfe], '.txt'), 'walked and copied');
      fsSync.writeFileSync(raw(root, 'src/pua\uF780'), 'valid UTF-8 in the escape range');
      const scanned = await fs.walkTree(`${root}/src`, rules);
      expect([...scanned.entries.keys()].sort()).toEqual(['d\uF7E9', 'd\uF7E9/bad\uF7FF\uF7FE.txt', 'pua\uF7EF\uF79E\uF780']);
      expect(scanned.entries.get('d\uF7E9/bad\uF7FF\uF7FE.txt')).toMatchObject({ kind: 'file', size: 'walked and copied'.length });

      const batches = fs.openCopyBatches(1);
      let results;
      try {
        results = await batches.copy(['d\uF7E9/bad\uF7FF\uF7FE.txt', 'pua\uF7EF\uF79E\uF780'].map((rel) => {
          const originEntry = scanned.entries.get(rel);
          if (originEntry?.kind !== 'file') throw new Error(rel);
          const dest = `${root}/dst/${rel}`;
          return { origin: `${root}/src/${rel}`, originEntry, dest, expected: null, temp: `${dest}.conduit-tmp-test`, versioned: false, ancestors: [] };
        }));
      } finally {
        await batches.close();
      }
      expect(results.map((r) => r.ok && r.result.status)).toEqual(['landed', 'landed']);
      expect(fsSync.readFileSync(raw(root, 'dst/d', [0xe9], '/bad', [0xff, 0xfe], '.txt'), 'utf8')).toBe('walked and copied');
      expect(fsSync.readFileSync(raw(root, 'dst/pua\uF780'), 'utf8')).toBe('valid UTF-8 in the escape range');
      expect(listBytes(`${root}/dst`)).toEqual(listBytes(`${root}/src`));
    } finally {
      await stopScanWorkers();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('hashes byte names in its workers, through the same edge', async () => {
    const root = await mkdtemp(join(tmpdir(), 'conduit-fs-bytes-'));
    const fs = new NodeFileSystem();
    try {
      fsSync.mkdirSync(raw(root, 'd', [0xe9]));
      fsSync.writeFileSync(raw(root, 'd', [0xe9], '/bad', [0xff, 0xfe], '.txt'), 'hashed by its bytes');
      fsSync.writeFileSync(raw(root, 'pua\uF780'), 'valid UTF-8 in the escape range');
      const outcomes = await fs.hashFiles(root, ['d\uF7E9/bad\uF7FF\uF7FE.txt', 'pua\uF7EF\uF79E\uF780', 'd\uF7E9/bad\uF7FF.txt']);
      expect(outcomes.slice(0, 2)).toEqual([
        { hash: createHash('sha256').update('hashed by its bytes').digest('hex') },
        { hash: createHash('sha256').update('valid UTF-8 in the escape range').digest('hex') },
      ]);
      // A name that is not there fails as `hash` fails on it.
      const missing = await fs.hash(`${root}/d\uF7E9/bad\uF7FF.txt`).then(() => null, (e: FsError) => ({ code: e.code, message: e.message }));
      expect(outcomes[2]).toEqual({ error: missing });
      expect(missing?.code).toBe('ENOENT');
    } finally {
      await stopScanWorkers();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('watch: a change to a name chokidar cannot spell is reported as its directory (or, in the root, as a full-scan fault)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'conduit-fs-bytes-'));
    const fs = new NodeFileSystem();
    fsSync.mkdirSync(join(root, 'w/sub'), { recursive: true });
    const events: WatchEvent[] = [];
    const watcher = fs.watch([join(root, 'w')], {}, (batch) => events.push(...batch));
    try {
      await watcher.ready;
      fsSync.writeFileSync(raw(root, 'w/sub/bad', [0xff]), 'x');
      await until(() => events.some((e) => e.type === 'change' && e.path === 'sub' && e.state.kind === 'dir'));
      fsSync.writeFileSync(raw(root, 'w/top', [0xfe]), 'y');
      await until(() => events.some((e) => e.type === 'error' && e.message.includes('not valid UTF-8')));
      fsSync.writeFileSync(join(root, 'w/sub/pua\uF780'), 'z');
      await until(() => events.some((e) => e.type === 'change' && e.path === 'sub/pua\uF7EF\uF79E\uF780' && e.state.kind === 'file'));
      expect(events.some((e) => e.type === 'change' && e.path.includes('\uFFFD'))).toBe(false);
    } finally {
      await watcher.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});

async function expectCode(promise: Promise<unknown>, code: string, path: string): Promise<void> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toMatchObject({ code, path });
}

async function until(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a watch event');
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Regression (issue 8 §2, "noticed"): chmod and utimes by path follow a final link, so a
// temporary swapped for a link after its creation used to hand the link's target the
// origin's mode and mtime — anywhere on the machine. Both setters now work through a
// descriptor opened with O_NOFOLLOW.
describe('NodeFileSystem attribute setters never follow a final link', () => {
  const withVictim = async (run: (dir: string, victim: string, link: string) => Promise<void>) => {
    const dir = await mkdtemp(join(tmpdir(), 'conduit-nofollow-'));
    try {
      const victim = join(dir, 'victim');
      fsSync.writeFileSync(victim, 'not conduit\'s');
      fsSync.chmodSync(victim, 0o600);
      fsSync.utimesSync(victim, 1_000_000, 1_000_000);
      const link = join(dir, '.f.conduit-tmp-0123456789ab-1');
      fsSync.symlinkSync(victim, link);
      await run(dir, victim, link);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  const unchanged = (victim: string) => {
    const st = fsSync.statSync(victim);
    expect(st.mode & 0o7777).toBe(0o600);
    expect(st.mtimeMs).toBe(1_000_000_000);
  };

  it('setCreatedFileAttributesSync on a temporary swapped for a link fails and leaves the link target alone', async () => {
    await withVictim(async (_dir, victim, link) => {
      const fs = new NodeFileSystem();
      expect(() => fs.setCreatedFileAttributesSync(link, 0o777, 1_700_000_000_000_000_000n)).toThrow(/ELOOP/);
      unchanged(victim);
    });
  });

  it('setAttributes on a link changes the link (mtime) and never its target (mode or mtime)', async () => {
    await withVictim(async (_dir, victim, link) => {
      const fs = new NodeFileSystem();
      await fs.setAttributes(link, { mode: 0o777, mtimeNs: 1_700_000_000_000_000_000n });
      unchanged(victim);
      expect(fsSync.lstatSync(link).mtimeMs).toBe(1_700_000_000_000);
    });
  });

  it('setAttributes on a file and a directory still sets exact mode and mtime', async () => {
    await withVictim(async (dir) => {
      const fs = new NodeFileSystem();
      const sub = join(dir, 'sub');
      fsSync.mkdirSync(sub);
      await fs.setAttributes(sub, { mode: 0o750, mtimeNs: 1_600_000_000_000_000_000n });
      await fs.setAttributes(join(dir, 'victim'), { mode: 0o640 });
      expect(fsSync.statSync(sub).mode & 0o7777).toBe(0o750);
      expect(fsSync.statSync(sub).mtimeMs).toBe(1_600_000_000_000);
      expect(fsSync.statSync(join(dir, 'victim')).mode & 0o7777).toBe(0o640);
    });
  });
});

describe('NodeFileSystem copyToTempSync (how a copy worker fills a temporary)', () => {
  const withDir = async (body: (dir: string, fs: NodeFileSystem) => void | Promise<void>) => {
    const dir = await mkdtemp(join(tmpdir(), 'conduit-fill-'));
    try {
      await body(dir, new NodeFileSystem());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  it('copies the bytes exactly (empty, small, larger than its buffer), sets mode and mtime, and reports origin and temporary as lstat sees them', async () => {
    await withDir((dir, fs) => {
      // Mode and mtime are drawn apart from the content: the copy must take the ones it is given.
      const cases = [
        { name: 'empty', bytes: Buffer.alloc(0), mode: 0o640, mtimeNs: 1_600_000_000_123_456_789n },
        { name: 'small', bytes: Buffer.from('a small file\n'), mode: 0o444, mtimeNs: 1_500_000_000_000_000_001n },
        { name: 'large', bytes: createHash('sha512').update('seed').digest().toString('hex').repeat(40_000).slice(0, 2_621_447), mode: 0o755, mtimeNs: 1_700_000_000_999_999_000n },
        // Modes the usual umask (022) would cut, and a set-id bit: these get an fchmod.
        { name: 'shared', bytes: Buffer.from('group and others write'), mode: 0o666, mtimeNs: 1_650_000_000_000_000_000n },
        { name: 'setgid', bytes: Buffer.from('set-group-id'), mode: 0o2755, mtimeNs: 1_650_000_000_500_000_000n },
      ];
      for (const c of cases) {
        const from = join(dir, c.name);
        fsSync.writeFileSync(from, c.bytes);
        fsSync.chmodSync(from, 0o600);
        const to = join(dir, `.${c.name}.conduit-tmp-0123456789ab-1`);

        // The plan's entry for the origin; the temporary gets its mode and mtime whatever the origin has now.
        const planned = { ...(fs.lstatSync(from) as FileEntry), mode: c.mode, mtimeNs: c.mtimeNs };
        const filled = fs.copyToTempSync(from, to, planned);

        expect(fsSync.readFileSync(to).equals(Buffer.from(c.bytes))).toBe(true);
        expect(filled.origin).toEqual(fs.lstatSync(from));
        expect(filled.written).toEqual(fs.lstatSync(to));
        expect(filled.written).toMatchObject({ kind: 'file', size: Buffer.byteLength(c.bytes), mode: c.mode });
        const mtimeNs = (filled.written as { mtimeNs: bigint }).mtimeNs;
        expect(mtimeNs > c.mtimeNs ? mtimeNs - c.mtimeNs : c.mtimeNs - mtimeNs).toBeLessThanOrEqual(1_000n);
      }
    });
  });

  it('keeps the mode exact when the umask changed after it was first read', async () => {
    await withDir((dir, fs) => {
      fsSync.writeFileSync(join(dir, 'a'), 'one');
      fs.copyToTempSync(join(dir, 'a'), join(dir, 'first'), { ...(fs.lstatSync(join(dir, 'a')) as FileEntry), mode: 0o644 });
      const before = process.umask(0o077);
      try {
        const filled = fs.copyToTempSync(join(dir, 'a'), join(dir, 'second'), { ...(fs.lstatSync(join(dir, 'a')) as FileEntry), mode: 0o644 });
        expect(fsSync.statSync(join(dir, 'second')).mode & 0o7777).toBe(0o644);
        expect(filled.written).toEqual(fs.lstatSync(join(dir, 'second')));
      } finally {
        process.umask(before);
      }
    });
  });

  it('is exclusive: an existing temporary name is EEXIST and keeps its bytes', async () => {
    await withDir((dir, fs) => {
      fsSync.writeFileSync(join(dir, 'a'), 'new');
      fsSync.writeFileSync(join(dir, 'taken'), 'precious');
      expect(() => fs.copyToTempSync(join(dir, 'a'), join(dir, 'taken'), fs.lstatSync(join(dir, 'a')) as FileEntry)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
      expect(fsSync.readFileSync(join(dir, 'taken'), 'utf8')).toBe('precious');
    });
  });

  it('never reads an origin swapped for a link or a directory, nor blocks on a FIFO: the origin it reports is what is there', async () => {
    await withDir((dir, fs) => {
      fsSync.writeFileSync(join(dir, 'secret'), 'outside the plan');
      fsSync.symlinkSync(join(dir, 'secret'), join(dir, 'link'));
      execFileSync('mkfifo', [join(dir, 'pipe')]);
      fsSync.mkdirSync(join(dir, 'sub'));
      const to = join(dir, '.t.conduit-tmp-0123456789ab-2');
      const planned = fs.lstatSync(join(dir, 'secret')) as FileEntry;

      expect(fs.copyToTempSync(join(dir, 'link'), to, planned)).toEqual({ origin: null, written: null });
      expect(fs.copyToTempSync(join(dir, 'sub'), to, planned)).toMatchObject({ origin: { kind: 'dir' }, written: null });
      expect(fsSync.existsSync(to)).toBe(false);
      // A FIFO reads as empty without blocking; what it is shows in the origin, so the protocol discards the temporary.
      expect(fs.copyToTempSync(join(dir, 'pipe'), to, planned)).toMatchObject({ origin: { kind: 'problem' }, written: { kind: 'file', size: 0 } });
    });
  });

  it('a missing origin is ENOENT naming the origin, with nothing created', async () => {
    await withDir((dir, fs) => {
      const to = join(dir, '.t.conduit-tmp-0123456789ab-3');
      let error: FsError | undefined;
      try {
        fs.copyToTempSync(join(dir, 'missing'), to, { kind: 'file', size: 1, mode: 0o644, mtimeNs: 1_700_000_000_000_000_000n, ino: 1 });
      } catch (err) {
        error = err as FsError;
      }
      expect(error).toMatchObject({ code: 'ENOENT', op: 'copyFile', path: join(dir, 'missing') });
      expect(fsSync.existsSync(to)).toBe(false);
    });
  });
});
