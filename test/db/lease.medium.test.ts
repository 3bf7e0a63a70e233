import { spawn } from 'node:child_process';
import { once } from 'node:events';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeHolder, type LeaseFence, type LeaseHolder } from '../../src/db/lease.js';
import { HeldLease, leaseTiming, tryHoldLease, waitForLease } from '../../src/db/lease-keeper.js';
import { thisProcess } from '../../src/db/lease-holder.js';
import { openStore } from '../../src/db/open-store.js';
import { StoreError, type Store } from '../../src/db/store.js';
import { commitOf, conduitSpec, fileEntry, tempDir } from './fixtures.js';

/**
 * The lease rows of src/db/lease.ts on a real SQLite file: acquire, busy,
 * release, takeover of an expired or dead holder, the fencing of a
 * generation's begin and commit, and what `markInterrupted` makes of a
 * `running` generation under a lease. Holders other than this process are
 * plain values (another host is another pid space).
 */

let tmp: ReturnType<typeof tempDir>;
let store: Store;
const TTL = 60_000;
const STARTED = '2026-01-01T00:00:00.000Z';

beforeEach(async () => {
  tmp = tempDir();
  store = await openStore(tmp.db);
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid!;
}

const me = thisProcess();
const otherHost = (pid: number, id = `other-${pid}`): LeaseHolder => ({ id, pid, host: 'elsewhere', pidSpace: 'linux:another-boot:pid:[1]' });
const sameSpace = (pid: number): LeaseHolder => ({ id: `local-${pid}`, pid, host: me.host, pidSpace: me.pidSpace });

function acquired(conduitId: number, holder: LeaseHolder, ttlMs = TTL): LeaseFence {
  const a = store.acquireLease(conduitId, 'generation', holder, ttlMs);
  if (!a.acquired) throw new Error(`expected to acquire, held by ${describeHolder(a.holder)}`);
  return a.fence;
}

/** Moves a lease's expiry into the past, as if its holder had stopped renewing it long ago. */
function expire(conduitId: number): void {
  const db = new Database(tmp.db);
  try {
    db.prepare(`UPDATE conduit_lease SET expires_at = '2000-01-01T00:00:00.000Z' WHERE conduit_id = ?`).run(conduitId);
  } finally {
    db.close();
  }
}

describe('acquire, busy, release', () => {
  it('one holder at a time; the busy answer names it; the token grows on every acquire, released or not', () => {
    const { id } = store.createConduit(conduitSpec({ name: 'm1' }));
    const first = acquired(id, otherHost(4242));
    expect(first.token).toBe(1);

    const refused = store.acquireLease(id, 'generation', me, TTL);
    expect(refused.acquired).toBe(false);
    if (refused.acquired) return;
    expect(refused.holder).toMatchObject({ conduit: 'm1', pid: 4242, host: 'elsewhere', token: 1, self: false });
    expect(describeHolder(refused.holder)).toMatch(/^conduit m1 is running in pid 4242 on host elsewhere since \d\d:\d\d:\d\dZ$/);
    // The holder itself is refused too: a lease is never held twice.
    expect(store.acquireLease(id, 'generation', otherHost(4242), TTL).acquired).toBe(false);

    expect(store.releaseLease(first)).toBe(true);
    expect(store.leaseHolder(id, 'generation', me)).toBeNull();
    expect(acquired(id, me).token).toBe(2);
  });

  it('the generation and service leases of a conduit are independent', () => {
    const { id } = store.createConduit(conduitSpec());
    expect(store.acquireLease(id, 'service', otherHost(1), TTL).acquired).toBe(true);
    expect(store.acquireLease(id, 'generation', me, TTL).acquired).toBe(true);
    expect(store.leaseHolder(id, 'service', me)).toMatchObject({ kind: 'service', pid: 1 });
  });

  it('renew moves the expiry on for its holder only; release by a stale fence changes nothing', () => {
    const { id } = store.createConduit(conduitSpec());
    const fence = acquired(id, otherHost(7));
    expect(store.renewLease(fence, TTL)).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    expect(store.renewLease({ ...fence, token: fence.token + 1 }, TTL)).toBeNull();
    expect(store.releaseLease({ ...fence, holderId: 'someone else' })).toBe(false);
    expect(store.leaseHolder(id, 'generation', me)).not.toBeNull();
  });

  it('removing a conduit removes its leases', () => {
    const { id } = store.createConduit(conduitSpec());
    acquired(id, otherHost(7));
    store.removeConduit('photos');
    const db = new Database(tmp.db, { readonly: true });
    try {
      expect(db.prepare('SELECT COUNT(*) FROM conduit_lease').pluck().get()).toBe(0);
    } finally {
      db.close();
    }
  });
});

describe('takeover', () => {
  it('an expired lease is taken over and the generation it ran is marked interrupted, naming both holders', () => {
    const { id } = store.createConduit(conduitSpec());
    const stale = acquired(id, otherHost(4242));
    const g = store.beginGeneration(id, 'manual', false, STARTED, stale);
    store.setConduitState(id, 'syncing');
    expire(id);

    const takeover = store.acquireLease(id, 'generation', me, TTL);

    expect(takeover).toMatchObject({ acquired: true, fence: { token: 2 }, tookOverFrom: { pid: 4242, host: 'elsewhere', generationId: g.id } });
    expect(store.getGenerationById(g.id)).toMatchObject({
      status: 'interrupted',
      errorMessage: expect.stringMatching(new RegExp(`pid 4242 on host elsewhere\\) stopped renewing its lease.*pid ${process.pid} on host .* took the conduit over`)),
    });
    expect(store.getConduitById(id)?.state).toBe('failed');
  });

  it('a dead holder in this pid space is taken over at once; a holder on another host only at its expiry', async () => {
    const a = store.createConduit(conduitSpec({ name: 'a' }));
    const b = store.createConduit(conduitSpec({ name: 'b' }));
    const pid = await deadPid();
    acquired(a.id, sameSpace(pid));
    acquired(b.id, otherHost(pid));

    expect(store.acquireLease(a.id, 'generation', me, TTL)).toMatchObject({ acquired: true, tookOverFrom: { pid } });
    // Its pid is free here, but a pid on another host says nothing about this one.
    expect(store.acquireLease(b.id, 'generation', me, TTL)).toMatchObject({ acquired: false, holder: { pid } });
  });
});

describe('fencing', () => {
  it('a holder taken over cannot commit: lease_lost, and nothing of its commit is written', () => {
    const { id } = store.createConduit(conduitSpec());
    const stale = acquired(id, otherHost(4242));
    const g = store.beginGeneration(id, 'manual', false, STARTED, stale);
    expire(id);
    const successor = acquired(id, me);

    const commit = commitOf(id, g.id, { fence: stale, baselineUpserts: new Map([['a.txt', fileEntry(1, 1n)]]) });
    expect(() => store.commitGeneration(commit)).toThrowError(expect.objectContaining({ code: 'lease_lost' }) as Error);
    expect(() => store.commitGeneration(commit)).toThrow(/lost its lease.*pid \d+ on host .* took the conduit over.*generation 1 were not recorded/);

    expect(store.getGenerationById(g.id)?.status).toBe('interrupted');
    expect(store.loadBaseline(id).size).toBe(0);
    // The successor's own generation begins and commits.
    const g2 = store.beginGeneration(id, 'manual', false, STARTED, successor);
    store.commitGeneration(commitOf(id, g2.id, { fence: successor }));
    expect(store.getGenerationById(g2.id)?.status).toBe('completed');
  });

  // Regression (issue 8 §5, resolve): `resolve` wrote its baseline rows and the resolution one by one,
  // unfenced, so a resolver that stalled past its lease could still record over its successor.
  it('a resolver taken over cannot record its resolution: lease_lost, neither baseline rows nor the resolution are written', () => {
    const { id } = store.createConduit(conduitSpec());
    const g = store.beginGeneration(id, 'manual', false, STARTED);
    store.commitGeneration(commitOf(id, g.id, {
      conflicts: [{ path: 'c', kind: 'both_modified', severity: 'high', resolution: 'unresolved', source: null, target: null, conflictCopy: null }],
    }));
    const conflict = store.listConflicts({})[0]!;
    const stale = acquired(id, otherHost(4242));
    expire(id);
    const successor = acquired(id, me);
    const resolution = {
      conduitId: id, conflictId: conflict.id, resolution: 'accepted_source' as const, resolvedAt: STARTED,
      baselineUpserts: new Map([['c', fileEntry(1, 1n)]]), baselineDeletes: [],
    };

    expect(() => store.commitResolution({ ...resolution, fence: stale })).toThrowError(expect.objectContaining({ code: 'lease_lost' }) as Error);
    expect(store.loadBaseline(id).size).toBe(0);
    expect(store.getConflict(conflict.id)?.resolution).toBe('unresolved');

    store.commitResolution({ ...resolution, fence: successor });
    expect(store.loadBaseline(id).get('c')).toEqual(fileEntry(1, 1n));
    expect(store.getConflict(conflict.id)?.resolution).toBe('accepted_source');
  });

  it('a stale fence cannot begin a generation either', () => {
    const { id } = store.createConduit(conduitSpec());
    const stale = acquired(id, otherHost(1));
    expire(id);
    acquired(id, me);
    expect(() => store.beginGeneration(id, 'manual', false, STARTED, stale)).toThrow(StoreError);
    expect(store.listGenerations(id)).toEqual([]);
  });
});

describe('markInterrupted with leases', () => {
  it('leaves a running generation of a live lease alone even when its pid means nothing here; marks one whose lease expired or was released', async () => {
    const pid = await deadPid();
    const live = store.createConduit(conduitSpec({ name: 'live' }));
    const expired = store.createConduit(conduitSpec({ name: 'expired' }));
    const released = store.createConduit(conduitSpec({ name: 'released' }));
    const runs = [live, expired, released].map((c) => {
      const fence = acquired(c.id, otherHost(pid, `holder-of-${c.name}`));
      return { fence, g: store.beginGeneration(c.id, 'manual', false, STARTED, fence) };
    });
    withRunnerPid(runs.map((r) => r.g.id), pid);
    expire(expired.id);
    store.releaseLease(runs[2]!.fence);

    expect(store.markInterrupted()).toBe(2);
    expect(store.getGenerationById(runs[0]!.g.id)?.status).toBe('running');
    expect(store.getGenerationById(runs[1]!.g.id)).toMatchObject({ status: 'interrupted', errorMessage: expect.stringMatching(/stopped renewing its lease/) });
    expect(store.getGenerationById(runs[2]!.g.id)).toMatchObject({ status: 'interrupted', errorMessage: expect.stringMatching(/let its lease go/) });
  });
});

function withRunnerPid(generationIds: number[], pid: number): void {
  const db = new Database(tmp.db);
  try {
    for (const id of generationIds) db.prepare('UPDATE sync_generation SET runner_pid = ? WHERE id = ?').run(pid, id);
  } finally {
    db.close();
  }
}

describe('holding a lease (lease-keeper)', () => {
  it('CONDUIT_LEASE_TTL_MS sets the TTL and the heartbeat; a bad value is a ConfigError naming it', () => {
    expect(leaseTiming({})).toEqual({ ttlMs: 30_000, renewEveryMs: 10_000, pollMs: 1_000 });
    expect(leaseTiming({ CONDUIT_LEASE_TTL_MS: '1500' })).toMatchObject({ ttlMs: 1500, renewEveryMs: 500 });
    for (const bad of ['0x10', '4e3', ' 500', '-1', '10']) {
      expect(() => leaseTiming({ CONDUIT_LEASE_TTL_MS: bad })).toThrow(/^CONDUIT_LEASE_TTL_MS: expected a whole number of milliseconds/);
    }
  });

  it('the heartbeat keeps a short lease alive past its TTL, and notices a takeover', async () => {
    const { id } = store.createConduit(conduitSpec());
    const timing = { ttlMs: 500, renewEveryMs: 50, pollMs: 50 };
    let lostWhy = '';
    const held = tryHoldLease(store, id, 'generation', { timing, onLost: (why) => (lostWhy = why) });
    expect(held).toBeInstanceOf(HeldLease);
    const lease = held as HeldLease;
    await new Promise((r) => setTimeout(r, 1_200)); // over two TTLs: only the heartbeat keeps it
    expect(store.acquireLease(id, 'generation', otherHost(1), TTL).acquired).toBe(false);

    expire(id);
    expect(store.acquireLease(id, 'generation', otherHost(1), TTL).acquired).toBe(true);
    await new Promise<void>((resolve) => lease.lost.addEventListener('abort', () => resolve(), { once: true }));
    expect(lostWhy).toMatch(/another process took the lease over/);
    lease.release(); // not ours any more: the successor keeps it
    expect(store.leaseHolder(id, 'generation', me)).toMatchObject({ pid: 1 });
  });

  it('waitForLease waits for a release, and gives up when its signal aborts', async () => {
    const { id } = store.createConduit(conduitSpec());
    const timing = { ttlMs: TTL, renewEveryMs: 10_000, pollMs: 20 };
    const first = acquired(id, otherHost(1));
    const heard: string[] = [];
    const waiting = waitForLease(store, id, 'generation', { timing, onWait: (h) => heard.push(describeHolder(h)) });
    await new Promise((r) => setTimeout(r, 100));
    store.releaseLease(first);
    const lease = await waiting;
    expect(lease?.fence.token).toBe(2);
    expect(heard).toHaveLength(1);
    lease!.release();

    acquired(id, otherHost(2));
    const stop = new AbortController();
    const givingUp = waitForLease(store, id, 'generation', { timing, signal: stop.signal });
    stop.abort();
    expect(await givingUp).toBeNull();
  });
});
