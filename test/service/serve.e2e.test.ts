import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { API_TOKEN, conduitEntry, eventually, ServeArea, sleep, startServe, type Served } from './serve-harness.js';

let area: ServeArea;
let served: Served | undefined;

afterEach(async () => {
  await served?.stop('SIGKILL');
  served = undefined;
  area?.cleanup();
});

function setUp(conduits: Record<string, unknown>[], files: Record<string, string | Buffer> = {}): void {
  area = new ServeArea();
  for (const c of conduits) mkdirSync(area.path(String(c['source']).slice(2)), { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(area.path(rel), '..'), { recursive: true });
    writeFileSync(area.path(rel), content);
  }
  area.writeConfig(conduits);
}

const finished = (rows: { status: string }[]) => rows.filter((r) => r.status !== 'running');

describe('conduit serve: instant conduits', () => {
  it('copies a new file within seconds, its own writes trigger nothing, and a burst of 500 writes makes a handful of generations', async () => {
    setUp([conduitEntry('notes', { mode: 'bidirectional', schedule: 'instant' })], { 'notes-source/hello.txt': 'hello', 'notes-source/sub/keep.txt': 'keep' });
    served = await startServe(area);
    await eventually('the catch-up generation', () => area.generations('notes'), (g) => g[0]?.status === 'completed');
    expect(readFileSync(area.path('notes-target/hello.txt'), 'utf8')).toBe('hello');

    const before = Date.now();
    // In a subfolder: the engine touching the target's folder must not count as a change either.
    writeFileSync(area.path('notes-source/sub/new.txt'), 'new');
    await eventually('sub/new.txt on the target', () => existsSync(area.path('notes-target/sub/new.txt')), Boolean);
    expect(Date.now() - before).toBeLessThan(10_000);
    await eventually('the watch generation to finish', () => finished(area.generations('notes')).length, (n) => n >= 2);
    // Quiet period: the conduit's own writes (on the target) must not start anything.
    await sleep(3_000);
    const afterOne = area.generations('notes');
    expect(afterOne.map((g) => [g.trigger, g.status])).toEqual([['schedule', 'completed'], ['watch', 'completed']]);

    mkdirSync(area.path('notes-source/burst'));
    for (let i = 0; i < 500; i++) writeFileSync(area.path(`notes-source/burst/f${String(i).padStart(3, '0')}.txt`), `burst ${i}`);
    await eventually('500 burst files on the target', () => (existsSync(area.path('notes-target/burst')) ? readdirSync(area.path('notes-target/burst')).length : 0), (n) => n === 500);
    await sleep(3_000);
    const generations = area.generations('notes');
    const burstGenerations = generations.length - afterOne.length;
    expect(burstGenerations).toBeGreaterThanOrEqual(1);
    expect(burstGenerations).toBeLessThanOrEqual(6);
    expect(generations.every((g) => g.status === 'completed')).toBe(true);
  });

  it('source folder renamed away: nothing on the target is deleted, waiting_for_source, and it runs by itself when the folder is back', async () => {
    setUp([conduitEntry('photos', { schedule: 'instant' })], { 'photos-source/a.jpg': 'A', 'photos-source/sub/b.jpg': 'B' });
    served = await startServe(area);
    await eventually('the first generation', () => area.generations('photos'), (g) => g[0]?.status === 'completed');
    renameSync(area.path('photos-source'), area.path('photos-away'));
    await eventually('waiting_for_source', () => area.conduitState('photos'), (s) => s === 'waiting_for_source');
    expect(area.generations('photos').some((g) => g.status === 'refused')).toBe(true);
    expect(readFileSync(area.path('photos-target/a.jpg'), 'utf8')).toBe('A');
    expect(readFileSync(area.path('photos-target/sub/b.jpg'), 'utf8')).toBe('B');

    renameSync(area.path('photos-away'), area.path('photos-source'));
    writeFileSync(area.path('photos-source/c.jpg'), 'C');
    await eventually('a completed generation after the folder came back', () => area.generations('photos'),
      (g) => g.length > 2 && g[g.length - 1]!.status === 'completed');
    await eventually('state current', () => area.conduitState('photos'), (s) => s === 'current');
    expect(readFileSync(area.path('photos-target/c.jpg'), 'utf8')).toBe('C');
    expect(readFileSync(area.path('photos-target/sub/b.jpg'), 'utf8')).toBe('B');
  });
});

describe('conduit serve: schedules', () => {
  it('runs an interval conduit on time and never runs a manual one by itself', async () => {
    setUp([
      conduitEntry('every2s', { schedule: 'interval:2s' }),
      conduitEntry('byhand', { schedule: 'manual' }),
    ], { 'every2s-source/x.txt': 'x', 'byhand-source/y.txt': 'y' });
    served = await startServe(area);
    const rows = await eventually('three scheduled generations', () => area.generations('every2s'), (g) => finished(g).length >= 3);
    expect(rows.slice(0, 3).every((g) => g.trigger === 'schedule')).toBe(true);
    const db = (await import('better-sqlite3')).default;
    const conn = new db(area.db, { readonly: true });
    const starts = (conn.prepare(`SELECT started_at FROM sync_generation g JOIN sync_conduit c ON c.id = g.conduit_id WHERE c.name = 'every2s' ORDER BY generation`).all() as { started_at: string }[])
      .map((r) => Date.parse(r.started_at));
    conn.close();
    // Spaced by the interval, not back to back: runs are planned on the schedule's clock, so a start delayed
    // by a loaded machine makes the next gap look shorter by that delay (1980 ms was seen at load 20).
    for (let i = 1; i < 3; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(1_500);
    expect(area.generations('byhand')).toEqual([]);
    expect(existsSync(area.path('byhand-target/y.txt'))).toBe(false);
  });

  it('coalesces run requests made during a running generation into exactly one follow-up', async () => {
    setUp([conduitEntry('slow', { schedule: 'manual', bandwidthLimitMbps: 2, parallelTransfers: 1 })], { 'slow-source/big.bin': Buffer.alloc(1_000_000, 7) });
    served = await startServe(area);
    const run = () => fetch(`${served!.url}/api/conduits/slow/run`, { method: 'POST', headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' }, body: '{}' });
    expect((await run()).status).toBe(202);
    await eventually('generation 1 running', () => area.generations('slow'), (g) => g[0]?.status === 'running');
    for (let i = 0; i < 3; i++) expect((await run()).status).toBe(202);
    await eventually('two finished generations', () => finished(area.generations('slow')).length, (n) => n >= 2, 40_000);
    await sleep(2_000);
    const rows = area.generations('slow');
    expect(rows.map((g) => [g.generation, g.trigger, g.status])).toEqual([[1, 'api', 'completed'], [2, 'api', 'completed']]);
  });
});

describe('conduit serve: watcher verification', () => {
  it('marks a generation verified once the watcher confirmed its writes, and failed:<reason> naming a target file tampered with before the confirmation', async () => {
    setUp([
      conduitEntry('plain', { schedule: 'interval:1h' }),
      conduitEntry('tampered', { schedule: 'manual', bandwidthLimitMbps: 2, parallelTransfers: 1, verifyTimeoutSeconds: 5 }),
    ], {
      'plain-source/doc.txt': 'doc', 'plain-source/dir/inner.txt': 'inner',
      'tampered-source/a.txt': 'original', 'tampered-source/big.bin': Buffer.alloc(600_000, 1),
    });
    served = await startServe(area);
    const plain = await eventually('plain verified', () => area.generations('plain'), (g) => g[0]?.verification_status === 'verified');
    expect(plain[0]!.verified_at).not.toBeNull();

    const response = await fetch(`${served.url}/api/conduits/tampered/run`, { method: 'POST', headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(202);
    // a.txt lands first; big.bin then takes seconds under the bandwidth limit.
    await eventually('a.txt on the target', () => existsSync(area.path('tampered-target/a.txt')), Boolean);
    writeFileSync(area.path('tampered-target/a.txt'), 'tampered with!');
    const rows = await eventually('tampered verification settled', () => area.generations('tampered'),
      (g) => g[0] !== undefined && g[0].verification_status !== 'waiting_watcher' && g[0].status !== 'running', 40_000);
    expect(rows[0]!.status).toBe('completed');
    expect(rows[0]!.verification_status).toMatch(/^failed:.*a\.txt/);
    expect(rows[0]!.verified_at).toBeNull();
  });
});

describe('conduit serve: lifecycle', () => {
  it('SIGTERM during a large transfer: exit 0, generation interrupted, no temp file left, and the next start finishes the job', async () => {
    setUp([conduitEntry('big', { schedule: 'interval:1h', bandwidthLimitMbps: 1, parallelTransfers: 1 })], { 'big-source/huge.bin': Buffer.alloc(4_000_000, 3) });
    served = await startServe(area);
    await eventually('the transfer running', () => area.generations('big'), (g) => g[0]?.status === 'running');
    await sleep(1_000);
    const stoppedAt = Date.now();
    expect(await served.stop('SIGTERM')).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(20_000);
    served = undefined;
    expect(area.generations('big').map((g) => g.status)).toEqual(['interrupted']);
    const leftovers = existsSync(area.path('big-target')) ? readdirSync(area.path('big-target')) : [];
    expect(leftovers.filter((n) => n.includes('conduit-tmp'))).toEqual([]);
    expect(leftovers).not.toContain('huge.bin');

    // Next start, without the bandwidth limit: it finishes the job by itself.
    area.writeConfig([conduitEntry('big', { schedule: 'interval:1h', parallelTransfers: 1 })]);
    served = await startServe(area);
    await eventually('a completed generation', () => area.generations('big'), (g) => g[1]?.status === 'completed');
    expect(readFileSync(area.path('big-target/huge.bin')).length).toBe(4_000_000);
  });

  it('SIGHUP after adding a conduit to the config file: it starts running', async () => {
    setUp([conduitEntry('first', { schedule: 'manual' })], { 'second-source/s.txt': 'second' });
    served = await startServe(area);
    area.writeConfig([conduitEntry('first', { schedule: 'manual' }), conduitEntry('second', { schedule: 'interval:1h' })]);
    served.child.kill('SIGHUP');
    await eventually('second synced', () => area.generations('second'), (g) => g[0]?.status === 'completed').catch((e: Error) => { throw new Error(`${e.message}\n${served!.log.join('\n')}`); });
    expect(readFileSync(area.path('second-target/s.txt'), 'utf8')).toBe('second');
    // A bad file on SIGHUP is logged; serve keeps running with the old config.
    writeFileSync(area.config, '{ "conduits": [ { "name": "x", "mode": "mirorr" } ] }');
    served.child.kill('SIGHUP');
    await eventually('the one-line config error in the log', () => served!.log.some((l) => l.includes('config not re-read')), Boolean);
    expect(served.child.exitCode).toBeNull();
    expect(await served.stop('SIGTERM')).toBe(0);
    served = undefined;
  });

  it('a bad config file: one-line error naming the field, exit 2, nothing created', async () => {
    area = new ServeArea();
    writeFileSync(area.config, JSON.stringify({ database: './conduit.db', conduits: [{ name: 'x', source: './a', target: './b', mode: 'mirorr' }] }));
    await expect(startServe(area)).rejects.toThrow(/exited \(2\)[\s\S]*conduits\[0\]\.mode/);
    expect(existsSync(area.db)).toBe(false);
  });
});
