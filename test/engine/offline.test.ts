import { afterEach, describe, expect, it } from 'vitest';
import type { ConduitSpec } from '../../src/config/conduit-spec.js';
import { FaultyFileSystem, type FsOp } from '../../src/fs/faulty-file-system.js';
import { LinkLostError, UnreachableError, type FileSystem } from '../../src/fs/file-system.js';
import { MemoryFileSystem } from '../../src/fs/memory-file-system.js';
import { exitCodeOf } from '../../src/service/exit-code.js';
import { engineHarness, type EngineHarness } from '../support/engine.js';
import { tempArea, type TempArea } from '../support/tree.js';

/**
 * Issue 10, offline and a connection lost mid-generation, at the engine:
 * `runGeneration` with a real SQLite store over the in-memory filesystem,
 * wrapped in a fault injector whose `connect` stands for the link to the
 * target's host (a link cannot exist in memory: this is the one thing made
 * up). The real thing, over a real sshd, is test/remote/offline.e2e.test.ts.
 */

const SRC = '/data/src';
const DST = '/data/dst';
const HOST = 'backup.example';

/** The link to the target's host, as a remote filesystem's `connect` answers: unreachable for a reason, or up until dropped. */
class Link {
  /** Non-null: the host cannot be reached, for this reason. */
  unreachable: string | null = null;
  connects = 0;
  private controller = new AbortController();

  connect(): Promise<AbortSignal> {
    this.connects++;
    if (this.unreachable !== null) return Promise.reject(new UnreachableError(HOST, this.unreachable));
    if (this.controller.signal.aborted) this.controller = new AbortController();
    return Promise.resolve(this.controller.signal);
  }

  drop(): void {
    this.controller.abort(new LinkLostError(HOST, 'ssh exited with status 255'));
  }

  get dropped(): boolean {
    return this.controller.signal.aborted;
  }
}

/**
 * The fault injector over the in-memory disk, with the link's `connect`
 * (a decorator over it, so the injector's own rules are untouched); once the
 * link dropped, every call that reaches the target's host fails ABORTED, as
 * the remote filesystem's calls do.
 */
function linkedFileSystem(inner: MemoryFileSystem, link: Link): { fs: FileSystem; faulty: FaultyFileSystem } {
  const faulty = new FaultyFileSystem(inner);
  const ops: FsOp[] = ['lstat', 'readText', 'copyFile', 'setAttributes', 'rename', 'unlink', 'mkdir', 'rmdir', 'symlink', 'hash', 'walkTree', 'hashFiles'];
  for (const op of ops) faulty.failOn(op, (path) => link.dropped && (path === DST || path.startsWith(`${DST}/`)), 'ABORTED');
  const fs = new Proxy(faulty, {
    get(target, key) {
      if (key === 'connect') return () => link.connect();
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  }) as FileSystem;
  return { fs, faulty };
}

let area: TempArea | undefined;
let h: EngineHarness | undefined;
let mem: MemoryFileSystem;
let link: Link;
let faulty: FaultyFileSystem;
let linkedFs: FileSystem;

async function setup(overrides: Partial<ConduitSpec> = {}): Promise<EngineHarness> {
  area = tempArea('conduit-offline-');
  mem = new MemoryFileSystem();
  mem.mkdirp(SRC);
  link = new Link();
  ({ fs: linkedFs, faulty } = linkedFileSystem(mem, link));
  h = await engineHarness(area.db, { source: SRC, target: DST, maxDeletePercent: 100, parallelTransfers: 1, ...overrides });
  return h;
}
const run = (request: Parameters<EngineHarness['run']>[0] = {}) => h!.run({ fs: linkedFs, ...request });

afterEach(() => {
  h?.close();
  h = undefined;
  area?.cleanup();
  area = undefined;
});

function temps(): string[] {
  return Object.keys(mem.snapshot('/')).filter((p) => p.includes('.conduit-tmp-'));
}

/** Contents drawn apart from their mtimes (a file's age says nothing about what it holds). */
function writeTree(count: number, prefix: string): void {
  for (let i = 0; i < count; i++) {
    mem.writeFile(`${SRC}/d${i % 3}/f${i}.txt`, `${prefix} ${i} ${'x'.repeat((i * 7) % 13)}`, { mtimeNs: BigInt(1_700_000_000 + ((i * 37) % 11)) * 1_000_000_000n });
  }
}

describe('an unreachable host refuses the generation before anything is read or written', () => {
  it('refused, state unreachable with the reason, exit 3, nothing touched on either side', async () => {
    await setup({ mode: 'bidirectional' });
    writeTree(5, 'v1');
    const before = mem.snapshot('/');
    link.unreachable = 'ssh: connect to host backup.example port 22: Connection refused';

    const { record } = await run();

    expect(record.status).toBe('refused');
    expect(exitCodeOf(record.status)).toBe(3);
    expect(record.errorMessage).toBe(`cannot reach ${HOST}: ssh: connect to host backup.example port 22: Connection refused`);
    expect(record).toMatchObject({ filesCopied: 0, filesDeleted: 0, dirsCreated: 0 });
    const conduit = h!.store.getConduit('c')!;
    expect(conduit.state).toBe('unreachable');
    expect(conduit.lastSyncError).toBe(record.errorMessage);
    // Not even the target root was made, and no call reached the disk: the refusal came first.
    expect(mem.snapshot('/')).toEqual(before);
    expect(faulty.calls).toEqual([]);
    expect(h!.store.listEvents(record.id).map((e) => [e.action, e.message])).toEqual([['error', expect.stringContaining('cannot reach')]]);
  });

  it('counts attempts with a backoff that grows (2 s, then 4 s, ±20 %), and a generation that reaches the host resets them', async () => {
    await setup({ mode: 'mirror' });
    writeTree(3, 'v1');
    link.unreachable = 'Connection timed out during banner exchange';
    const t1 = new Date('2026-12-01T10:00:00.000Z');

    await run({ now: () => t1 });
    const first = h!.store.getConduit('c')!;
    expect(first.attemptCount).toBe(1);
    const wait1 = Date.parse(first.nextAttemptAt!) - t1.getTime();
    expect(wait1).toBeGreaterThanOrEqual(1_600);
    expect(wait1).toBeLessThanOrEqual(2_400);

    const t2 = new Date('2026-12-01T10:00:05.000Z');
    await run({ now: () => t2 });
    const second = h!.store.getConduit('c')!;
    expect(second.attemptCount).toBe(2);
    const wait2 = Date.parse(second.nextAttemptAt!) - t2.getTime();
    expect(wait2).toBeGreaterThanOrEqual(3_200);
    expect(wait2).toBeLessThanOrEqual(4_800);
    expect(mem.exists(DST)).toBe(false);

    link.unreachable = null;
    const { record } = await run();
    expect(record.status).toBe('completed');
    const back = h!.store.getConduit('c')!;
    expect(back).toMatchObject({ state: 'current', attemptCount: 0, nextAttemptAt: null, lastSyncError: null });
    expect(mem.snapshot(DST)).toEqual(mem.snapshot(SRC));
  });

  it('a dry run against an unreachable host is refused too, and leaves the state and the attempts as they were', async () => {
    await setup({ mode: 'mirror' });
    writeTree(2, 'v1');
    link.unreachable = 'Permission denied (publickey)';
    const { record } = await run({ dryRun: true });
    expect(record.status).toBe('refused');
    expect(h!.store.getConduit('c')!).toMatchObject({ state: 'never_synced', attemptCount: 0, nextAttemptAt: null });
  });
});

describe('a link lost mid-transfer (regression: the generation would go on as a failure of every path)', () => {
  it('interrupted with what landed, no partial file at a final path; the next generation converges with no false conflict', async () => {
    await setup({ mode: 'bidirectional' });
    writeTree(12, 'v1');
    expect((await run()).record.status).toBe('completed');
    // Every source file changes; the link drops after the third lands on the target.
    writeTree(12, 'v2 changed');
    let landed = 0;
    faulty.afterOp('rename', (p) => p.startsWith(`${DST}/`), () => {
      landed++;
      if (landed === 3) link.drop();
    });

    const { record } = await run();

    expect(record.status).toBe('interrupted');
    expect(exitCodeOf(record.status)).toBe(1);
    expect(record.errorMessage).toBe(`interrupted: lost the connection to ${HOST}: ssh exited with status 255`);
    // The third was renamed into place as the link dropped: whether its own last steps (its attributes) got through decides if it counts.
    expect(record.filesCopied).toBeGreaterThanOrEqual(2);
    expect(record.filesCopied).toBeLessThanOrEqual(3);
    expect(h!.store.getConduit('c')!.state).toBe('failed');
    // Each final path holds one whole version: the new one (landed) or the old one (not yet).
    const source = mem.snapshot(SRC);
    const target = mem.snapshot(DST);
    let newer = 0;
    for (const [path, content] of Object.entries(target)) {
      if (path.includes('.conduit-tmp-')) continue;
      if (typeof content === 'string' && content === source[path]) newer++;
      else if (typeof content === 'string') expect(content).toMatch(/^v1 \d+ x*$/);
    }
    expect(newer).toBe(3);
    // What landed is in the record's events, path by path; the rest is left for the next generation.
    expect(h!.store.listEvents(record.id).filter((e) => e.action === 'copy')).toHaveLength(record.filesCopied);

    // The link is back: the rest lands, nothing is a conflict (the three that landed are in the baseline).
    faulty.reset();
    const next = await run();
    expect(next.record).toMatchObject({ status: 'completed', conflicts: 0, errorsEncountered: 0 });
    expect(next.record.filesCopied).toBeLessThanOrEqual(12 - record.filesCopied);
    expect(h!.store.listConflicts({ conduit: 'c' })).toEqual([]);
    expect(mem.snapshot(DST)).toEqual(mem.snapshot(SRC));
    expect(temps()).toEqual([]);
  });

  it('a link lost while scanning: interrupted, nothing written, the next generation converges', async () => {
    await setup({ mode: 'mirror' });
    writeTree(4, 'v1');
    faulty.beforeOp('walkTree', DST, () => link.drop(), { times: 1 });
    // The first generation creates the target root: make it exist so the scan of it is what the drop meets.
    mem.mkdirp(DST);

    const { record } = await run();

    expect(record.status).toBe('interrupted');
    expect(record.errorMessage).toContain('lost the connection');
    expect(record.filesCopied).toBe(0);
    expect(mem.snapshot(DST)).toEqual({});

    faulty.reset();
    const next = await run();
    expect(next.record.status).toBe('completed');
    expect(mem.snapshot(DST)).toEqual(mem.snapshot(SRC));
  });
});

describe('offline hints', () => {
  it('are kept through refusals and cleared by the first full generation that reaches the host', async () => {
    await setup({ mode: 'mirror' });
    writeTree(2, 'v1');
    link.unreachable = 'Connection refused';
    await run();
    const id = h!.store.getConduit('c')!.id;
    h!.store.addOfflineHints(id, ['d0/f0.txt', 'd1/f1.txt'], '2026-12-01T10:00:00.000Z');
    h!.store.addOfflineHints(id, ['d0/f0.txt'], '2026-12-01T10:05:00.000Z');
    await run();
    expect(h!.store.listOfflineHints(id)).toEqual([
      { path: 'd0/f0.txt', seenAt: '2026-12-01T10:00:00.000Z' },
      { path: 'd1/f1.txt', seenAt: '2026-12-01T10:00:00.000Z' },
    ]);
    expect(h!.store.getConduit('c')!.offlineHints).toBe(2);

    link.unreachable = null;
    // A fast-path generation (only some paths) does not clear them: it did not look at everything they name.
    await run({ onlyPaths: ['d0/f0.txt'] });
    expect(h!.store.listOfflineHints(id)).toHaveLength(2);
    await run();
    expect(h!.store.listOfflineHints(id)).toEqual([]);
    expect(h!.store.getConduit('c')!.offlineHints).toBe(0);
  });
});
