import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FileEntry } from '../../src/core/entry.js';
import { checkAncestors } from '../../src/engine/confine.js';
import { copyViaTemp, driveAsync, SKIP_REASON, type CopyRequest, type CopyStep } from '../../src/engine/copy-protocol.js';
import type { CopyItemResult } from '../../src/engine/copy-sync.js';
import { FsError, lstatOrNull, type CopyOptions, type ReadHandle } from '../../src/fs/file-system.js';
import { NodeFileSystem } from '../../src/fs/node-file-system.js';
import { copyBatchAcross, copyFileAcross } from '../../src/remote/client/cross-copy.js';
import { agentProcessLinkSource } from '../support/agent-process.js';

// Copies between this host and an agent's host (here: a local `conduit agent` on pipes, the real protocol and framing).
// `here` is this host's side, `far` the agent's root.

const MiB = 1024 * 1024;
const disk = new NodeFileSystem();

function pseudoRandom(n: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i + 4 <= n; i += 4) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out.writeUInt32LE(x, i);
  }
  for (let i = n - (n % 4); i < n; i++) out[i] = i & 0xff;
  return out;
}

/**
 * 1 % of the bytes overwritten in place, in 16 runs scattered over the file
 * (its size stays). Blocks are 128 KiB: each run dirties one or two of them,
 * so at most 32 of 512 blocks (6.25 %) must cross the link.
 */
function scatteredEdit(data: Buffer, seed: number): Buffer {
  const out = Buffer.from(data);
  const runs = 16;
  const run = Math.floor((data.length * 0.01) / runs);
  for (let k = 0; k < runs; k++) {
    const at = Math.floor(((k + 0.37) * data.length) / runs);
    pseudoRandom(run, seed + k).copy(out, Math.min(at, data.length - run));
  }
  return out;
}

function fileEntry(path: string): FileEntry {
  const entry = disk.lstatSync(path);
  if (entry.kind !== 'file') throw new Error(`${path} is not a file`);
  return entry;
}

function temps(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.includes('.tmp-'));
}

describe('copies across the link (agent process)', () => {
  let dir: string;
  let here: string;
  let far: string;
  let source: ReturnType<typeof agentProcessLinkSource>;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'conduit-cross-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    const run = mkdtempSync(join(dir, 'run-'));
    here = join(run, 'here');
    far = join(run, 'far');
    mkdirSync(here);
    mkdirSync(far);
    source = agentProcessLinkSource(far);
  });
  afterEach(async () => {
    await source.close();
  });

  const hosts = () => ({ local: disk, link: source });

  for (const [what, size] of [['an empty file', 0], ['a small file', 1000], ['a large file', 5 * MiB + 123]] as const) {
    it(`pushes and pulls ${what} exactly, with its mode, through a new temporary`, async () => {
      const data = pseudoRandom(size, size + 1);
      writeFileSync(join(here, 'a'), data);
      chmodSync(join(here, 'a'), 0o640);
      const progress: number[] = [];
      expect(await copyFileAcross(hosts(), 'push', join(here, 'a'), join(far, '.a.tmp-1'), { onProgress: (n) => progress.push(n) })).toBe(size);
      expect(readFileSync(join(far, '.a.tmp-1')).equals(data)).toBe(true);
      expect(lstatSync(join(far, '.a.tmp-1')).mode & 0o7777).toBe(0o640);
      expect(progress.at(-1)).toBe(size);

      writeFileSync(join(far, 'b'), data);
      chmodSync(join(far, 'b'), 0o604);
      expect(await copyFileAcross(hosts(), 'pull', join(far, 'b'), join(here, '.b.tmp-1'))).toBe(size);
      expect(readFileSync(join(here, '.b.tmp-1')).equals(data)).toBe(true);
      expect(lstatSync(join(here, '.b.tmp-1')).mode & 0o7777).toBe(0o604);
    });
  }

  it('never overwrites: the temporary must not exist (EEXIST), on either host', async () => {
    writeFileSync(join(here, 'a'), 'new');
    writeFileSync(join(far, 'taken'), 'theirs');
    await expect(copyFileAcross(hosts(), 'push', join(here, 'a'), join(far, 'taken'))).rejects.toMatchObject({ code: 'EEXIST' });
    expect(readFileSync(join(far, 'taken'), 'utf8')).toBe('theirs');
    writeFileSync(join(here, 'taken'), 'mine');
    await expect(copyFileAcross(hosts(), 'pull', join(far, 'taken'), join(here, 'taken'))).rejects.toMatchObject({ code: 'EEXIST' });
    expect(readFileSync(join(here, 'taken'), 'utf8')).toBe('mine');
  });

  describe('large files with a basis: only the blocks that changed cross the link', () => {
    const size = 64 * MiB;
    const old = pseudoRandom(size, 42);
    const edited = scatteredEdit(old, 1000);

    it('push: a 1 % scattered change in 64 MiB sends < 10 % of its bytes, and lands exactly', async () => {
      writeFileSync(join(here, 'big'), edited);
      writeFileSync(join(far, 'big'), old);
      const link = await source.link();
      const before = link.stats.bytesSent;
      expect(await copyFileAcross(hosts(), 'push', join(here, 'big'), join(far, '.big.tmp-1'), { basis: join(far, 'big') })).toBe(size);
      const sent = link.stats.bytesSent - before;
      expect(readFileSync(join(far, '.big.tmp-1')).equals(edited)).toBe(true);
      expect(sent).toBeLessThan(size * 0.1);
      expect(readFileSync(join(far, 'big')).equals(old)).toBe(true); // the basis is only read
    });

    it('pull: the same, the other way', async () => {
      writeFileSync(join(far, 'big'), edited);
      writeFileSync(join(here, 'big'), old);
      const link = await source.link();
      const before = link.stats.bytesReceived;
      expect(await copyFileAcross(hosts(), 'pull', join(far, 'big'), join(here, '.big.tmp-1'), { basis: join(here, 'big') })).toBe(size);
      const received = link.stats.bytesReceived - before;
      expect(readFileSync(join(here, '.big.tmp-1')).equals(edited)).toBe(true);
      expect(received).toBeLessThan(size * 0.1);
    });

    it('bytes inserted near the start (everything after shifts): the shifted blocks are still found, < 10 % crosses', async () => {
      const basis = pseudoRandom(16 * MiB, 31);
      const origin = Buffer.concat([basis.subarray(0, 1000), Buffer.from('a few inserted bytes'), basis.subarray(1000)]);
      writeFileSync(join(here, 'shifted'), origin);
      writeFileSync(join(far, 'shifted'), basis);
      const link = await source.link();
      const before = link.stats.bytesSent;
      expect(await copyFileAcross(hosts(), 'push', join(here, 'shifted'), join(far, '.shifted.tmp-1'), { basis: join(far, 'shifted') })).toBe(origin.length);
      expect(readFileSync(join(far, '.shifted.tmp-1')).equals(origin)).toBe(true);
      expect(link.stats.bytesSent - before).toBeLessThan(origin.length * 0.1);
    });

    it('a basis that is unrelated, shorter or not a file still lands the origin exactly', async () => {
      const origin = pseudoRandom(3 * MiB + 17, 5);
      writeFileSync(join(here, 'o'), origin);
      writeFileSync(join(far, 'unrelated'), pseudoRandom(2 * MiB, 6));
      writeFileSync(join(far, 'shorter'), origin.subarray(0, MiB + 3));
      mkdirSync(join(far, 'adir'));
      symlinkSync(join(far, 'unrelated'), join(far, 'alink'));
      let n = 0;
      for (const basis of ['unrelated', 'shorter', 'adir', 'alink', 'absent']) {
        const to = join(far, `.o.tmp-${++n}`);
        expect(await copyFileAcross(hosts(), 'push', join(here, 'o'), to, { basis: join(far, basis) })).toBe(origin.length);
        expect(readFileSync(to).equals(origin)).toBe(true);
      }
      writeFileSync(join(far, 'o'), origin);
      writeFileSync(join(here, 'unrelated'), pseudoRandom(2 * MiB, 7));
      expect(await copyFileAcross(hosts(), 'pull', join(far, 'o'), join(here, '.o.tmp-1'), { basis: join(here, 'unrelated') })).toBe(origin.length);
      expect(readFileSync(join(here, '.o.tmp-1')).equals(origin)).toBe(true);
    });

    it('a basis that changed after its signature was taken: the built file does not hash right, the whole file is copied instead', async () => {
      const origin = pseudoRandom(2 * MiB, 8);
      writeFileSync(join(far, 'o'), origin);
      writeFileSync(join(here, 'basis'), origin);
      // The basis is opened twice on this host (signature, then its blocks): change it in between, on the real disk.
      let opens = 0;
      const changing = Object.create(disk) as NodeFileSystem;
      changing.openForRead = async (path: string): Promise<ReadHandle> => {
        if (path === join(here, 'basis') && ++opens === 2) writeFileSync(join(here, 'basis'), pseudoRandom(2 * MiB, 9));
        return disk.openForRead(path);
      };
      const link = await source.link();
      const before = link.stats.bytesReceived;
      expect(await copyFileAcross({ local: changing, link: source }, 'pull', join(far, 'o'), join(here, '.o.tmp-1'), { basis: join(here, 'basis') })).toBe(origin.length);
      expect(opens).toBe(2);
      expect(readFileSync(join(here, '.o.tmp-1')).equals(origin)).toBe(true);
      expect(link.stats.bytesReceived - before).toBeGreaterThan(origin.length); // the whole file came after all
      expect(temps(here)).toEqual(['.o.tmp-1']);
    });
  });

  it('honours the throttle on the link\'s bytes and a stop (ABORTED, the temporary removed on the host that made it)', async () => {
    writeFileSync(join(here, 'a'), pseudoRandom(3 * MiB, 3));
    let taken = 0;
    const stop = new AbortController();
    const throttle = { take: async (bytes: number) => {
      taken += bytes;
      if (taken > MiB) stop.abort();
    } };
    await expect(copyFileAcross(hosts(), 'push', join(here, 'a'), join(far, '.a.tmp-1'), { throttle, signal: stop.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(taken).toBeGreaterThan(MiB);
    expect(taken).toBeLessThan(3 * MiB);
    expect(readdirSync(far)).toEqual([]);

    writeFileSync(join(far, 'b'), pseudoRandom(3 * MiB, 4));
    const stop2 = new AbortController();
    await expect(copyFileAcross(hosts(), 'pull', join(far, 'b'), join(here, '.b.tmp-1'), { signal: stop2.signal, onProgress: () => stop2.abort() })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(temps(here)).toEqual([]);
  });

  it('the agent killed mid-transfer: nothing at the final path changes, only a temporary name is left (push) or none (pull)', async () => {
    const data = pseudoRandom(32 * MiB, 11);
    writeFileSync(join(here, 'big'), data);
    writeFileSync(join(far, 'big'), 'the old version');
    await source.link();
    await expect(copyFileAcross(hosts(), 'push', join(here, 'big'), join(far, '.big.tmp-1'), { basis: join(far, 'big'), onProgress: () => source.kill() }))
      .rejects.toMatchObject({ code: 'ABORTED' });
    expect(readFileSync(join(far, 'big'), 'utf8')).toBe('the old version');
    expect(readdirSync(far).filter((name) => name !== 'big' && name !== '.big.tmp-1')).toEqual([]);

    writeFileSync(join(far, 'pulled'), data);
    writeFileSync(join(here, 'pulled'), 'the old version');
    await expect(copyFileAcross(hosts(), 'pull', join(far, 'pulled'), join(here, '.pulled.tmp-1'), { onProgress: () => source.kill() }))
      .rejects.toMatchObject({ code: 'ABORTED' });
    expect(readFileSync(join(here, 'pulled'), 'utf8')).toBe('the old version');
    expect(readdirSync(here).sort()).toEqual(['big', 'pulled']);
  });

  it('the client ends the session mid-push: the agent removes its unfinished temporary', async () => {
    writeFileSync(join(here, 'big'), pseudoRandom(16 * MiB, 12));
    const link = await source.link();
    await expect(copyFileAcross(hosts(), 'push', join(here, 'big'), join(far, '.big.tmp-1'), { onProgress: () => link.close() }))
      .rejects.toMatchObject({ code: 'ABORTED' });
    await source.close(); // waits for the agent to exit, after its session's cleanup
    expect(readdirSync(far)).toEqual([]);
  });

  describe('a large file through the copy protocol, its bytes across the link', () => {
    // The protocol's steps as the engine performs them (transfer/run.ts): the copy across the link with the
    // destination as basis; the other steps on the disk of the host they concern (here both are this machine).
    const write = (request: CopyRequest, direction: 'push' | 'pull', options: CopyOptions = {}) =>
      driveAsync(copyViaTemp(request), async (step: CopyStep) => {
        switch (step.op) {
          case 'copyToTemp': {
            await copyFileAcross(hosts(), direction, step.from, step.to, { ...options, ...(step.basis ? { basis: step.basis } : {}) });
            await disk.setAttributes(step.to, { mode: step.planned.mode, mtimeNs: step.planned.mtimeNs });
            return { origin: await lstatOrNull(disk, step.from), written: null };
          }
          case 'lstat':
            return lstatOrNull(disk, step.path);
          case 'rename':
            return disk.rename(step.from, step.to);
          case 'unlink':
            return disk.unlink(step.path);
          case 'confine':
            return checkAncestors(disk, step.ancestors, step.before, step.path);
          default:
            throw new Error(`unexpected step ${step.op}`);
        }
      });
    const replacing = (originRoot: string, destRoot: string): CopyRequest => ({
      origin: join(originRoot, 'big'), originEntry: fileEntry(join(originRoot, 'big')), dest: join(destRoot, 'big'), expected: fileEntry(join(destRoot, 'big')),
      temp: join(destRoot, '.big.tmp-1'), versioned: false, ancestors: [],
    });

    for (const direction of ['push', 'pull'] as const) {
      it(`${direction}: replaces the destination with only the changed blocks crossing, atomically`, async () => {
        const [originRoot, destRoot] = direction === 'push' ? [here, far] : [far, here];
        const old = pseudoRandom(8 * MiB, 21);
        writeFileSync(join(destRoot, 'big'), old);
        writeFileSync(join(originRoot, 'big'), scatteredEdit(old, 22));
        const link = await source.link();
        const before = link.stats.bytesSent + link.stats.bytesReceived;
        const result = await write(replacing(originRoot, destRoot), direction);
        expect(result).toMatchObject({ status: 'landed', bytes: 8 * MiB });
        expect(readFileSync(join(destRoot, 'big')).equals(scatteredEdit(old, 22))).toBe(true);
        // 16 edited runs dirty at most 32 of the 64 blocks: well under the whole 8 MiB.
        expect(link.stats.bytesSent + link.stats.bytesReceived - before).toBeLessThan(4 * MiB + 64 * 1024);
        expect(temps(destRoot)).toEqual([]);
      });

      it(`${direction}: the destination changed while the copy crossed: skipped (modified since scan), the change kept`, async () => {
        const [originRoot, destRoot] = direction === 'push' ? [here, far] : [far, here];
        writeFileSync(join(destRoot, 'big'), pseudoRandom(6 * MiB, 23));
        writeFileSync(join(originRoot, 'big'), pseudoRandom(6 * MiB, 24));
        const request = replacing(originRoot, destRoot);
        let edited = false;
        const result = await write(request, direction, { onProgress: () => {
          if (!edited) writeFileSync(join(destRoot, 'big'), 'edited on its host during the copy');
          edited = true;
        } });
        expect(result).toEqual({ status: 'skipped', reason: SKIP_REASON.modifiedSinceScan });
        expect(readFileSync(join(destRoot, 'big'), 'utf8')).toBe('edited on its host during the copy');
        expect(temps(destRoot)).toEqual([]);
      });

      it(`${direction}: the origin changed while read: skipped (changed_during_transfer), the destination untouched`, async () => {
        const [originRoot, destRoot] = direction === 'push' ? [here, far] : [far, here];
        writeFileSync(join(destRoot, 'big'), 'the old version');
        writeFileSync(join(originRoot, 'big'), pseudoRandom(6 * MiB, 25));
        let edited = false;
        const result = await write(replacing(originRoot, destRoot), direction, { onProgress: () => {
          if (!edited) writeFileSync(join(originRoot, 'big'), 'rewritten while being read');
          edited = true;
        } });
        expect(result).toEqual({ status: 'skipped', reason: SKIP_REASON.changedDuringTransfer });
        expect(readFileSync(join(destRoot, 'big'), 'utf8')).toBe('the old version');
        expect(temps(destRoot)).toEqual([]);
      });
    }
  });

  describe('batches of small files: the copy protocol on the host that holds the destination', () => {
    const request = (originRoot: string, destRoot: string, name: string, expected: FileEntry | null = null): CopyRequest => ({
      origin: join(originRoot, name), originEntry: fileEntry(join(originRoot, name)), dest: join(destRoot, name), expected,
      temp: join(destRoot, `.${name}.tmp-${name}`), versioned: false, ancestors: [],
    });
    const landed = (result: CopyItemResult | undefined) => (result?.ok && result.result.status === 'landed' ? result.result : null);

    for (const direction of ['push', 'pull'] as const) {
      it(`${direction}: many files land with their bytes, mode and mtime; a file changed since the scan and an origin changed while read are skipped`, async () => {
        const [originRoot, destRoot] = direction === 'push' ? [here, far] : [far, here];
        const names = Array.from({ length: 300 }, (_, i) => `f${i}`);
        for (const [i, name] of names.entries()) writeFileSync(join(originRoot, name), pseudoRandom(i * 97, i + 1));
        chmodSync(join(originRoot, 'f7'), 0o600);
        // Verify-before-overwrite: the planner saw `f3` at the destination; it changed since.
        writeFileSync(join(destRoot, 'f3'), 'seen by the scan');
        const seen = fileEntry(join(destRoot, 'f3'));
        const requests = names.map((name) => request(originRoot, destRoot, name, name === 'f3' ? seen : null));
        writeFileSync(join(destRoot, 'f3'), 'changed after the scan!');
        // The origin of `f5` changed after the scan (its planned entry is stale).
        writeFileSync(join(originRoot, 'f5'), 'changed since planned');

        const results = await copyBatchAcross(hosts(), direction, requests);
        expect(results).toHaveLength(names.length);
        expect(results[3]).toEqual({ ok: true, result: { status: 'skipped', reason: SKIP_REASON.modifiedSinceScan } });
        expect(readFileSync(join(destRoot, 'f3'), 'utf8')).toBe('changed after the scan!');
        expect(results[5]).toEqual({ ok: true, result: { status: 'skipped', reason: SKIP_REASON.changedDuringTransfer } });
        expect(() => lstatSync(join(destRoot, 'f5'))).toThrow(/ENOENT/);
        for (const [i, name] of names.entries()) {
          if (name === 'f3' || name === 'f5') continue;
          const result = landed(results[i]);
          expect(result, name).not.toBeNull();
          expect(readFileSync(join(destRoot, name)).equals(pseudoRandom(i * 97, i + 1))).toBe(true);
          const planned = requests[i]!.originEntry;
          const there = fileEntry(join(destRoot, name));
          expect(there.mode).toBe(planned.mode);
          expect(Number(there.mtimeNs / 1000n)).toBe(Number(planned.mtimeNs / 1000n));
          expect(result!.entry).toEqual(there);
        }
        expect(temps(destRoot)).toEqual([]);
      });
    }

    it('an origin swapped for a link after the scan is never read through (changed_during_transfer)', async () => {
      writeFileSync(join(here, 'secret'), 'outside the sync');
      writeFileSync(join(here, 'a'), 'a file');
      const req = request(here, far, 'a');
      rmSync(join(here, 'a'));
      symlinkSync(join(here, 'secret'), join(here, 'a'));
      const [pushed] = await copyBatchAcross(hosts(), 'push', [req]);
      expect(pushed).toEqual({ ok: true, result: { status: 'skipped', reason: SKIP_REASON.changedDuringTransfer } });
      expect(readdirSync(far)).toEqual([]);

      writeFileSync(join(far, 'b'), 'a file');
      const pullReq = request(far, here, 'b');
      rmSync(join(far, 'b'));
      symlinkSync(join(far, 'a-secret'), join(far, 'b'));
      writeFileSync(join(far, 'a-secret'), 'not this');
      const [pulled] = await copyBatchAcross(hosts(), 'pull', [pullReq]);
      expect(pulled).toEqual({ ok: true, result: { status: 'skipped', reason: SKIP_REASON.changedDuringTransfer } });
      expect(() => lstatSync(join(here, 'b'))).toThrow(/ENOENT/);
    });
  });

  describe('confinement on the far host', () => {
    let outside: string;
    beforeEach(() => {
      outside = mkdtempSync(join(dir, 'outside-'));
      writeFileSync(join(outside, 'secret'), 'not yours');
    });

    it('a parent swapped for a link to outside the root: pushes, pulls and batches are refused, nothing outside is read or written', async () => {
      symlinkSync(outside, join(far, 'sub'));
      writeFileSync(join(here, 'a'), 'payload');
      await expect(copyFileAcross(hosts(), 'push', join(here, 'a'), join(far, 'sub', '.a.tmp-1'))).rejects.toThrow(/parent is not the directory scanned: '.*\/sub' is now a symbolic link/);
      await expect(copyFileAcross(hosts(), 'pull', join(far, 'sub', 'secret'), join(here, '.s.tmp-1'))).rejects.toThrow(/parent is not the directory scanned/);
      await expect(copyFileAcross(hosts(), 'push', join(here, 'a'), join(far, '.a.tmp-2'), { basis: join(far, 'sub', 'secret') })).rejects.toThrow(/parent is not the directory scanned/);
      const pushReq: CopyRequest = {
        origin: join(here, 'a'), originEntry: fileEntry(join(here, 'a')), dest: join(far, 'sub', 'a'), expected: null,
        temp: join(far, 'sub', '.a.tmp-3'), versioned: false, ancestors: [],
      };
      const [pushed] = await copyBatchAcross(hosts(), 'push', [pushReq]);
      expect(pushed).toMatchObject({ ok: false, error: { message: expect.stringMatching(/parent is not the directory scanned/) } });
      const [pulled] = await copyBatchAcross(hosts(), 'pull', [{ ...pushReq, origin: join(far, 'sub', 'secret'), originEntry: fileEntry(join(outside, 'secret')), dest: join(here, 's'), temp: join(here, '.s.tmp-4') }]);
      expect(pulled).toMatchObject({ ok: false, error: { message: expect.stringMatching(/parent is not the directory scanned/) } });
      expect(readdirSync(outside)).toEqual(['secret']);
      expect(readdirSync(here)).toEqual(['a']);
    });

    it('a path outside the root, or not normalised, is refused (EACCES)', async () => {
      writeFileSync(join(here, 'a'), 'payload');
      await expect(copyFileAcross(hosts(), 'push', join(here, 'a'), join(outside, 'x'))).rejects.toMatchObject({ code: 'EACCES' });
      await expect(copyFileAcross(hosts(), 'push', join(here, 'a'), `${far}/../${outside.split('/').pop()}/x`)).rejects.toMatchObject({ code: 'EACCES' });
      await expect(copyFileAcross(hosts(), 'pull', join(outside, 'secret'), join(here, '.x'))).rejects.toBeInstanceOf(FsError);
      expect(readdirSync(outside)).toEqual(['secret']);
      expect(readdirSync(here)).toEqual(['a']);
    });
  });
});
