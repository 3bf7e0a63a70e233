import Database from 'better-sqlite3';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { LeaseHolder } from '../../src/db/lease.js';
import { openStore } from '../../src/db/open-store.js';
import type { ConduitRow, Store } from '../../src/db/store.js';
import { ServiceLeases, type ServiceLeaseEvents } from '../../src/service/service-leases.js';
import { conduitSpec, tempDir } from '../db/fixtures.js';

/**
 * Two serves' service leases on one real database (two holders in one test
 * process): one holds, the other stands by, and takes over when the first
 * lets go or stops renewing. Waits poll; nothing depends on timing.
 */

let tmp: ReturnType<typeof tempDir>;
let store: Store;
const running: ServiceLeases[] = [];
const timing = { ttlMs: 400, renewEveryMs: 40, pollMs: 40 };
const holderA: LeaseHolder = { id: 'serve-a', pid: process.pid, host: 'h1', pidSpace: 'test:a' };
const holderB: LeaseHolder = { id: 'serve-b', pid: process.pid, host: 'h2', pidSpace: 'test:b' };

beforeEach(async () => {
  tmp = tempDir();
  store = await openStore(tmp.db);
});
afterEach(() => {
  for (const leases of running.splice(0)) leases.stop();
  store.close();
  tmp.cleanup();
});

function serve(holder: LeaseHolder): { leases: ServiceLeases; log: string[] } {
  const log: string[] = [];
  const events: ServiceLeaseEvents = {
    gained: (name) => log.push(`gained ${name}`),
    lost: (name) => log.push(`lost ${name}`),
    standingBy: (name, h) => log.push(`standing by ${name} (pid ${h.pid} on ${h.host})`),
    failed: (error) => log.push(`failed ${String(error)}`),
  };
  const leases = new ServiceLeases(store, timing, holder, events);
  running.push(leases);
  return { leases, log };
}

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function conduits(): ConduitRow[] {
  return [store.createConduit(conduitSpec({ name: 'a' })), store.createConduit(conduitSpec({ name: 'b' }))];
}

it('the first serve holds every conduit and keeps them past their TTL; the second stands by, and gains them when the first stops', async () => {
  const rows = conduits();
  const first = serve(holderA);
  expect(first.leases.claim(rows).map((r) => r.name)).toEqual(['a', 'b']);
  first.leases.start();
  const second = serve(holderB);
  expect(second.leases.claim(rows)).toEqual([]);
  second.leases.start();
  expect(second.log).toEqual(['standing by a (pid ' + process.pid + ' on h1)', 'standing by b (pid ' + process.pid + ' on h1)']);

  await new Promise((r) => setTimeout(r, 3 * timing.ttlMs)); // renewed by the heartbeat all along
  expect(second.log.filter((l) => l.startsWith('gained'))).toEqual([]);

  first.leases.stop();
  await until('the second gains both', () => second.leases.holds('a') && second.leases.holds('b'));
  expect(second.log.slice(2).sort()).toEqual(['gained a', 'gained b']);
});

it('a serve that stopped renewing (stalled) loses its conduits to the one standing by, and hears so at its next heartbeat', async () => {
  const rows = conduits();
  const stalled = serve(holderA);
  stalled.leases.claim(rows); // no heartbeat: as if the process were stopped
  const other = serve(holderB);
  other.leases.claim(rows);
  other.leases.start();

  await until('the other gains both once the leases expire', () => other.leases.holds('a') && other.leases.holds('b'));
  stalled.leases.start(); // it resumes
  await until('the stalled one hears it lost them', () => stalled.log.filter((l) => l.startsWith('lost')).length === 2);
  expect(stalled.leases.holds('a')).toBe(false);
  const db = new Database(tmp.db, { readonly: true });
  try {
    expect(db.prepare(`SELECT holder_id FROM conduit_lease WHERE kind = 'service'`).pluck().all()).toEqual(['serve-b', 'serve-b']);
  } finally {
    db.close();
  }
});
