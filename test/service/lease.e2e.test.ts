import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { conduit } from '../cli/cli-harness.js';
import { generationRows, landedFiles, startConduit, waitFor, type ConduitProcess, type GenerationRow } from '../support/processes.js';
import { API_TOKEN, conduitEntry, ServeArea, startServe, type Served } from './serve-harness.js';

/**
 * Issue 8 §5 under `conduit serve`: the API, the CLI and a second serve on the
 * same database each respect the conduit's lease. Real processes side by side;
 * outcomes read from the database (`runner_pid` says which process ran a generation).
 */

const EXIT_BUSY = 4;
/** Short leases so that a takeover after a crash happens within the test. */
const SHORT_LEASE = { CONDUIT_LEASE_TTL_MS: '3000' };

let area: ServeArea;
const serves: Served[] = [];
const others: ConduitProcess[] = [];

afterEach(async () => {
  for (const s of serves.splice(0)) await s.stop('SIGKILL');
  for (const p of others.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGKILL');
      await p.exited;
    }
  }
  area?.cleanup();
});

async function serve(args?: readonly string[], env: Record<string, string> = {}): Promise<Served> {
  const s = await startServe(area, args, { env });
  serves.push(s);
  return s;
}

function cli(...args: string[]) {
  return conduit(args, { cwd: area.dir, env: { CONDUIT_DB: area.db } });
}

/** A manual conduit m1 whose generation copies ~600 kB under a 1 Mbps limit: seconds of work. */
function slowConduit(): void {
  area = new ServeArea();
  mkdirSync(area.path('m1-source'));
  for (let i = 0; i < 48; i++) writeFileSync(area.path(`m1-source/part-${String(i).padStart(2, '0')}.bin`), Buffer.alloc(12_500, i));
  area.writeConfig([conduitEntry('m1', { schedule: 'manual', bandwidthLimitMbps: 1, parallelTransfers: 1 })]);
}

function postRun(url: string, name: string): Promise<Response> {
  return fetch(`${url}/api/conduits/${name}/run`, {
    method: 'POST', headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' }, body: '{}',
  });
}

const rows = (name: string): GenerationRow[] => generationRows(area.db, name);

describe('the lease under conduit serve', () => {
  it('POST /api/conduits/m1/run while a CLI run holds m1: 409 naming the holder, no generation recorded (they used to overlap)', async () => {
    slowConduit();
    const served = await serve();
    const run = startConduit(['--json', 'run', 'm1'], { cwd: area.dir, env: { CONDUIT_DB: area.db } });
    others.push(run);
    await waitFor('the CLI generation running', () => rows('m1'), (g) => g[0]?.status === 'running');

    const response = await postRun(served.url, 'm1');

    expect(response.status).toBe(409);
    const body = await response.json() as { error: string };
    expect(body.error).toMatch(new RegExp(`conduit m1 is running in pid ${run.pid} on host \\S+ since`));
    expect(await run.exited, run.stderr()).toBe(0);
    expect(rows('m1').map((g) => [g.trigger, g.status])).toEqual([['manual', 'completed']]);
  });

  it('a CLI run while an API-started generation runs under serve: exit 4 naming serve\'s pid, nothing recorded', async () => {
    slowConduit();
    const served = await serve();
    expect((await postRun(served.url, 'm1')).status).toBe(202);
    await waitFor('the API generation running', () => rows('m1'), (g) => g[0]?.status === 'running');

    const second = cli('--json', 'run', 'm1');

    expect(second.code, second.stderr).toBe(EXIT_BUSY);
    expect(second.stderr).toMatch(new RegExp(`^conduit: conduit m1 is running in pid ${served.child.pid} on host \\S+ since`));
    await waitFor('the API generation finished', () => rows('m1'), (g) => g[0]?.status === 'completed');
    expect(rows('m1').map((g) => [g.trigger, g.status])).toEqual([['api', 'completed']]);
    expect(landedFiles(area.path('m1-target'))).toEqual(landedFiles(area.path('m1-source')));
  });

  it('POST /api/conflicts/:id/resolve while a CLI run holds the conduit: 409 naming the holder, nothing changed (resolve used to write under the running generation)', async () => {
    area = new ServeArea();
    mkdirSync(area.path('m1-source'));
    mkdirSync(area.path('m1-target'));
    writeFileSync(area.path('m1-source/a.txt'), 'source version');
    writeFileSync(area.path('m1-target/a.txt'), 'target version, longer');
    // Slow (1 Mbit/s, one transfer at a time) from the start: the config file manages m1, so the CLI may not edit it.
    area.writeConfig([conduitEntry('m1', { mode: 'bidirectional', conflict: 'manual', schedule: 'manual', bandwidthLimitMbps: 1, parallelTransfers: 1 })]);
    const served = await serve();
    expect(cli('run', 'm1').code).toBe(0);
    const open = JSON.parse(cli('--json', 'conflicts', 'm1').stdout) as Array<{ id: number; path: string }>;
    expect(open).toMatchObject([{ path: 'a.txt' }]);
    mkdirSync(area.path('m1-source/slow'));
    for (let i = 0; i < 48; i++) writeFileSync(area.path(`m1-source/slow/part-${String(i).padStart(2, '0')}.bin`), Buffer.alloc(12_500, i));
    const run = startConduit(['--json', 'run', 'm1'], { cwd: area.dir, env: { CONDUIT_DB: area.db } });
    others.push(run);
    await waitFor('the CLI generation running', () => rows('m1'), (g) => g[1]?.status === 'running');

    const response = await fetch(`${served.url}/api/conflicts/${open[0]!.id}/resolve`, {
      method: 'POST', headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' }, body: '{"choice":"source"}',
    });

    expect(response.status).toBe(409);
    const body = await response.json() as { error: string };
    expect(body.error).toMatch(new RegExp(`^conduit m1 is running in pid ${run.pid} on host \\S+ since .*; nothing was changed`));
    expect(readFileSync(area.path('m1-target/a.txt'), 'utf8')).toBe('target version, longer');
    expect(await run.exited, run.stderr()).toBe(0);
    expect(JSON.parse(cli('--json', 'conflicts', 'm1').stdout)).toMatchObject([{ id: open[0]!.id, resolution: 'unresolved' }]);
  });

  it('a CLI run while serve is idle on the conduit runs (it needs only the generation lease)', async () => {
    slowConduit();
    area.writeConfig([conduitEntry('m1', { schedule: 'interval:1h' })]);
    await serve();
    await waitFor('serve\'s first generation', () => rows('m1'), (g) => g[0]?.status === 'completed');
    writeFileSync(area.path('m1-source/new.txt'), 'new');

    const run = cli('--json', 'run', 'm1');

    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'completed', filesCopied: 1 });
  });

  describe('two serve processes on one database', () => {
    function twoConduits(): void {
      area = new ServeArea();
      for (const name of ['a', 'b']) {
        mkdirSync(area.path(`${name}-source`));
        writeFileSync(area.path(`${name}-source/${name}.txt`), name);
      }
      area.writeConfig([conduitEntry('a', { schedule: 'interval:1s' }), conduitEntry('b', { schedule: 'interval:1s' })]);
    }

    /** Generations of both conduits begun after `since` (ISO), once each conduit has at least `n` of them. */
    async function generationsAfter(since: string, n: number): Promise<GenerationRow[]> {
      const look = () => ['a', 'b'].map((name) => rows(name).filter((g) => g.started_at > since && g.status !== 'running'));
      const found = await waitFor(`${n} generations of each conduit`, look, (both) => both.every((g) => g.length >= n));
      return found.flat();
    }

    it('only the first runs the conduits (they used to both run every conduit); when it stops, the second takes them over', async () => {
      twoConduits();
      const first = await serve(['--config', area.config], SHORT_LEASE);
      await generationsAfter('', 1);
      const second = await serve(['--db', area.db], SHORT_LEASE);
      const secondUp = new Date().toISOString();

      const whileBoth = await generationsAfter(secondUp, 3);

      expect(new Set(whileBoth.map((g) => g.runner_pid))).toEqual(new Set([first.child.pid]));
      expect(second.log.some((l) => l.includes('held by another process'))).toBe(true);

      expect(await first.stop('SIGTERM')).toBe(0);
      const firstGone = new Date().toISOString();
      const afterwards = await generationsAfter(firstGone, 2);
      expect(new Set(afterwards.map((g) => g.runner_pid))).toEqual(new Set([second.child.pid]));
    });

    it('when the first is killed with SIGKILL, the second takes its conduits over (its generations are never left running)', async () => {
      twoConduits();
      const first = await serve(['--config', area.config], SHORT_LEASE);
      await generationsAfter('', 1);
      const second = await serve(['--db', area.db], SHORT_LEASE);
      const whileBoth = await generationsAfter(new Date().toISOString(), 2);
      expect(new Set(whileBoth.map((g) => g.runner_pid))).toEqual(new Set([first.child.pid]));

      await first.stop('SIGKILL');
      const killedAt = new Date().toISOString();
      const afterwards = await generationsAfter(killedAt, 2);

      expect(new Set(afterwards.map((g) => g.runner_pid))).toEqual(new Set([second.child.pid]));
      expect(rows('a').concat(rows('b')).filter((g) => g.status === 'running' && g.runner_pid === first.child.pid)).toEqual([]);
    });
  });
});
