import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FileEntry } from '../../src/core/entry.js';
import type { Action, CopyAction, MkdirAction } from '../../src/core/plan.js';
import { SKIP_REASON } from '../../src/engine/copy-protocol.js';
import { copySync } from '../../src/engine/copy-sync.js';
import { executePlan } from '../../src/engine/transfer.js';
import type { CopyBatches } from '../../src/fs/file-system.js';
import { NodeFileSystem } from '../../src/fs/node-file-system.js';

/**
 * The copy workers run the same copy protocol as the main thread, but
 * synchronously on the real disk. These tests drive that path directly
 * (copySync) and through executePlan with the batches NodeFileSystem opens
 * (real copy workers).
 */
const node = new NodeFileSystem();
let dir: string;
const src = (p: string) => join(dir, 'source', p);
const dst = (p: string) => join(dir, 'target', p);
const temps = (root: string) => fs.readdirSync(root, { recursive: true }).map(String).filter((n) => n.includes('.conduit-tmp-'));
const entryOf = (path: string) => node.lstatSync(path) as FileEntry;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'conduit-copyworkers-'));
  fs.mkdirSync(join(dir, 'source'));
  fs.mkdirSync(join(dir, 'target'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function request(name: string, overrides: Partial<Parameters<typeof copySync>[0]> = {}) {
  return { origin: src(name), originEntry: entryOf(src(name)), dest: dst(name), expected: null, temp: dst(`.${name}.conduit-tmp-0123456789ab-test`), versioned: false, ancestors: [], ...overrides };
}

describe('the copy protocol, driven synchronously (copy workers)', () => {
  it('lands the file with its bytes, mode and mtime, and leaves no temporary', () => {
    fs.writeFileSync(src('a.txt'), 'hello there');
    fs.chmodSync(src('a.txt'), 0o640);
    fs.utimesSync(src('a.txt'), 1_600_000_000.123456, 1_600_000_000.123456);
    const item = copySync(request('a.txt'), node);
    expect(item).toMatchObject({ ok: true, result: { status: 'landed', bytes: 11 } });
    expect(fs.readFileSync(dst('a.txt'), 'utf8')).toBe('hello there');
    const s = fs.lstatSync(src('a.txt'), { bigint: true });
    const t = fs.lstatSync(dst('a.txt'), { bigint: true });
    expect(Number(t.mode & 0o7777n)).toBe(0o640);
    expect(t.mtimeNs > s.mtimeNs ? t.mtimeNs - s.mtimeNs : s.mtimeNs - t.mtimeNs).toBeLessThanOrEqual(1000n);
    expect(temps(join(dir, 'target'))).toEqual([]);
  });

  it('skips, without clobbering it, a destination that appeared since the scan', () => {
    fs.writeFileSync(src('a.txt'), 'from the source');
    fs.writeFileSync(dst('a.txt'), 'written on the target meanwhile');
    expect(copySync(request('a.txt'), node)).toEqual({ ok: true, result: { status: 'skipped', reason: SKIP_REASON.modifiedSinceScan } });
    expect(fs.readFileSync(dst('a.txt'), 'utf8')).toBe('written on the target meanwhile');
    expect(temps(join(dir, 'target'))).toEqual([]);
  });

  it('throws away a copy whose origin is not the file the planner saw (changed during transfer)', () => {
    fs.writeFileSync(src('a.txt'), 'version one');
    const planned = entryOf(src('a.txt'));
    fs.writeFileSync(src('a.txt'), 'version two, longer');
    expect(copySync(request('a.txt', { originEntry: planned }), node)).toEqual({ ok: true, result: { status: 'skipped', reason: SKIP_REASON.changedDuringTransfer } });
    expect(fs.existsSync(dst('a.txt'))).toBe(false);
    expect(temps(join(dir, 'target'))).toEqual([]);
  });

  it('reports a vanished origin as that file\'s error, with no temporary left', () => {
    fs.writeFileSync(src('a.txt'), 'soon gone');
    const req = request('a.txt');
    fs.unlinkSync(src('a.txt'));
    const item = copySync(req, node);
    expect(item.ok).toBe(false);
    expect(!item.ok && item.error).toMatchObject({ code: 'ENOENT', op: 'copyFile' });
    expect(temps(join(dir, 'target'))).toEqual([]);
  });
});

describe('executePlan with copy workers', () => {
  it('copies many small files through the pool, identical and with no temporary left; a stale destination is skipped', async () => {
    const actions: CopyAction[] = [];
    for (let i = 0; i < 150; i++) {
      const name = `f${String(i).padStart(3, '0')}.txt`;
      fs.writeFileSync(src(name), `file ${i} `.repeat(i + 1));
      actions.push({ op: 'copy', stage: 'transfer', path: name, from: 'source', to: 'target', entry: entryOf(src(name)), expected: null });
    }
    fs.writeFileSync(dst('f007.txt'), 'the target wrote this after the scan');
    const pool = node.openCopyBatches(2);
    let outcomes;
    try {
      outcomes = await executePlan({ actions }, { fs: node, roots: { source: join(dir, 'source'), target: join(dir, 'target') }, tempToken: '0123456789ab', parallelTransfers: 4, copyPool: pool });
    } finally {
      await pool.close();
    }
    expect(outcomes.filter((o) => o.status === 'applied')).toHaveLength(149);
    expect(outcomes[7]).toMatchObject({ status: 'skipped', reason: SKIP_REASON.modifiedSinceScan });
    expect(fs.readFileSync(dst('f007.txt'), 'utf8')).toBe('the target wrote this after the scan');
    for (let i = 0; i < 150; i++) {
      if (i === 7) continue;
      const name = `f${String(i).padStart(3, '0')}.txt`;
      expect(fs.readFileSync(dst(name), 'utf8')).toBe(`file ${i} `.repeat(i + 1));
    }
    const bytes = outcomes.reduce((n, o) => n + (o.status === 'applied' ? o.bytes : 0), 0);
    expect(bytes).toBe(actions.filter((_, i) => i !== 7).reduce((n, a) => n + a.entry.size, 0));
    expect(temps(join(dir, 'target'))).toEqual([]);
  });
});

describe('regression: an origin swapped for a FIFO after the scan hung its copy worker', () => {
  // Should the worker block opening the FIFO for reading (it did: the kernel copy opened it without
  // O_NONBLOCK), a writer that opens and closes it lets the worker go, so that the test can end.
  let unblock: (() => void) | undefined;
  afterEach(() => unblock?.());

  it('is never read blocking: the copy is skipped (changed during transfer), nothing lands, no temporary is left', async () => {
    fs.writeFileSync(src('a.txt'), 'a file when the scan saw it');
    const req = request('a.txt');
    fs.unlinkSync(src('a.txt'));
    execFileSync('mkfifo', [src('a.txt')]);
    unblock = () => {
      try {
        fs.closeSync(fs.openSync(src('a.txt'), fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
      } catch {
        // ENXIO: nobody has it open for reading, nothing is blocked.
      }
    };
    const pool = node.openCopyBatches(1);
    try {
      const [item] = await pool.copy([req]);
      expect(item).toEqual({ ok: true, result: { status: 'skipped', reason: SKIP_REASON.changedDuringTransfer } });
    } finally {
      unblock();
      await pool.close();
    }
    expect(fs.readdirSync(join(dir, 'target'))).toEqual([]);
  }, 30_000);
});

describe('executePlan with copy workers: a level of directories in one batch', () => {
  const mkdirAction = (path: string, mode: number | null): MkdirAction => ({
    op: 'mkdir', stage: 'mkdir', path, to: 'target', entry: mode === null ? null : { kind: 'dir', mode, mtimeNs: 1_600_000_000_000_000_000n, ino: 1 },
  });

  it('makes each directory with its exact mode (owner rwx kept), keeps one already there, fails where a file is, and fills them after', async () => {
    const actions: Action[] = [];
    const modes = [0o755, 0o700, 0o555, 0o750, 0o2775];
    for (let i = 0; i < 20; i++) {
      actions.push(mkdirAction(`d${i}`, modes[i % modes.length]!));
      actions.push(mkdirAction(`d${i}/e`, i % 2 === 0 ? null : 0o711));
      const name = `d${i}/e/f.txt`;
      fs.mkdirSync(join(dir, 'source', `d${i}/e`), { recursive: true });
      fs.writeFileSync(src(name), `file ${i}`);
      actions.push({ op: 'copy', stage: 'transfer', path: name, from: 'source', to: 'target', entry: entryOf(src(name)), expected: null });
    }
    fs.mkdirSync(dst('d3'), { mode: 0o700 }); // made meanwhile by someone else: kept
    fs.writeFileSync(dst('d4'), 'a file where the plan wants a directory');
    const inner = node.openCopyBatches(2);
    const batched: string[] = [];
    const pool: CopyBatches = {
      concurrency: inner.concurrency,
      copy: (requests) => inner.copy(requests),
      makeDirectories: (requests) => {
        batched.push(...requests.map((r) => r.path));
        return inner.makeDirectories!(requests);
      },
      close: () => inner.close(),
    };
    let outcomes;
    try {
      outcomes = await executePlan({ actions }, { fs: node, roots: { source: join(dir, 'source'), target: join(dir, 'target') }, tempToken: '0123456789ab', parallelTransfers: 4, copyPool: pool });
    } finally {
      await pool.close();
    }
    // Both levels went to the workers, the parents' level first.
    expect(batched).toHaveLength(40);
    expect(batched.slice(0, 20).every((p) => !p.endsWith('/e'))).toBe(true);
    const byPath = new Map(outcomes.map((o) => [o.action.path, o]));
    for (let i = 0; i < 20; i++) {
      if (i === 4) continue;
      expect(byPath.get(`d${i}`)).toMatchObject({ status: 'applied', landed: [{ side: 'target', path: `d${i}`, entry: { kind: 'dir', ino: fs.lstatSync(dst(`d${i}`)).ino } }] });
      if (i !== 3) expect(fs.lstatSync(dst(`d${i}`)).mode & 0o7777).toBe(modes[i % modes.length]! | 0o700);
      expect(fs.readFileSync(dst(`d${i}/e/f.txt`), 'utf8')).toBe(`file ${i}`);
      if (i % 2 === 1) expect(fs.lstatSync(dst(`d${i}/e`)).mode & 0o7777).toBe(0o711 | 0o700);
    }
    expect(fs.lstatSync(dst('d3')).mode & 0o7777).toBe(0o700);
    expect(byPath.get('d4')).toMatchObject({ status: 'failed', problem: { path: 'd4', op: 'mkdir', code: 'EEXIST' } });
    expect(fs.readFileSync(dst('d4'), 'utf8')).toBe('a file where the plan wants a directory');
    expect(byPath.get('d4/e')?.status).toBe('failed');
    expect(temps(join(dir, 'target'))).toEqual([]);
  });
});
