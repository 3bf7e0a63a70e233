import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { conduit, ensureBuilt, type CliResult } from './cli-harness.js';
import { tempArea, type TempArea } from '../support/tree.js';
import { generationRows, landedFiles, leaseRows, startConduit, waitFor, type ConduitProcess } from '../support/processes.js';

/**
 * SPEC §4 (last paragraph), issue 8 §5: one generation per conduit at a time,
 * across processes. Every test runs real `conduit` processes side by side on
 * one database and reads the outcome from the database and the disk.
 *
 * A run is kept busy for seconds by a bandwidth limit (1 Mbps = 125 kB/s)
 * over ~600 kB; waits poll the database for the state they need.
 */

const EXIT_BUSY = 4;

let area: TempArea;
let cli: (...args: string[]) => CliResult;
const started: ConduitProcess[] = [];

beforeAll(() => ensureBuilt());
afterEach(async () => {
  for (const p of started.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGCONT');
      p.child.kill('SIGKILL');
      await p.exited;
    }
  }
  area?.cleanup();
});

function setUp(env: Record<string, string> = {}): void {
  area = tempArea('conduit-lease-e2e-');
  cli = (...args) => conduit(args, { cwd: area.base, env: { CONDUIT_DB: area.db, ...env } });
}

function background(args: string[], env: Record<string, string> = {}): ConduitProcess {
  const p = startConduit(args, { cwd: area.base, env: { CONDUIT_DB: area.db, ...env } });
  started.push(p);
  return p;
}

/**
 * A mirror m1 that has synced 20 files once; then the 20 are deleted from
 * the source and ~600 kB of new files appear, so the next generation deletes
 * 20 files and copies for seconds under a 1 Mbps limit.
 */
function slowConduit(): void {
  const del = join(area.source, 'del');
  fs.mkdirSync(del);
  for (let i = 0; i < 20; i++) fs.writeFileSync(join(del, `old-${i}.txt`), `old file ${i}`);
  expect(cli('add', '--name', 'm1', '--source', area.source, '--target', area.target, '--mode', 'mirror', '--max-delete', '100').code).toBe(0);
  const first = cli('run', 'm1');
  expect(first.code, first.stderr).toBe(0);
  fs.rmSync(del, { recursive: true });
  const slow = join(area.source, 'slow');
  fs.mkdirSync(slow);
  for (let i = 0; i < 48; i++) fs.writeFileSync(join(slow, `part-${String(i).padStart(2, '0')}.bin`), Buffer.alloc(12_500, i));
  expect(cli('edit', 'm1', '--bandwidth-limit', '1', '--parallel', '1').code).toBe(0);
}

const runningGeneration = (n: number) => async () =>
  waitFor(`generation ${n} running`, () => generationRows(area.db, 'm1'), (rows) => rows[n - 1]?.status === 'running');

describe('one generation per conduit at a time, across processes', () => {
  it('two `conduit run m1` 0.3 s apart: the second is refused with one line naming the holder, exit 4, nothing recorded (they used to overlap and both count the same 20 deletes)', async () => {
    setUp();
    slowConduit();
    const first = background(['--json', 'run', 'm1']);
    await runningGeneration(2)();

    const second = cli('--json', 'run', 'm1');

    expect(second.code, second.stderr).toBe(EXIT_BUSY);
    expect(second.stdout).toBe('');
    const lines = second.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^conduit: conduit m1 is running in pid ${first.pid} on host \\S+ since \\d\\d:\\d\\d:\\d\\dZ`));
    expect(await first.exited, first.stderr()).toBe(0);
    const rows = generationRows(area.db, 'm1');
    expect(rows.map((r) => [r.generation, r.status, r.files_deleted])).toEqual([[1, 'completed', 0], [2, 'completed', 20]]);
    expect(landedFiles(area.target)).toEqual(landedFiles(area.source));
  });

  it('`conduit run --wait` waits for the holder to finish, then runs its own generation', async () => {
    setUp();
    slowConduit();
    const first = background(['--json', 'run', 'm1']);
    await runningGeneration(2)();

    const waiting = background(['--json', 'run', '--wait', 'm1']);

    expect(await first.exited, first.stderr()).toBe(0);
    expect(await waiting.exited, waiting.stderr()).toBe(0);
    const rows = generationRows(area.db, 'm1');
    expect(rows.map((r) => [r.generation, r.status])).toEqual([[1, 'completed'], [2, 'completed'], [3, 'completed']]);
    // The waiter's generation began only after the holder's had finished.
    expect(rows[2]!.started_at >= rows[1]!.completed_at!).toBe(true);
    expect(rows[2]!.files_copied).toBe(0);
    expect(waiting.stderr()).toMatch(/waiting: conduit m1 is running in pid \d+/);
  });

  it('a holder killed with SIGKILL: the next run takes the lease over at once and marks the dead holder\'s generation interrupted', async () => {
    setUp();
    slowConduit();
    const victim = background(['--json', 'run', 'm1']);
    await runningGeneration(2)();
    await waitFor('a file landed', () => landedFiles(join(area.target, 'slow')).length, (n) => n >= 1);
    victim.child.kill('SIGKILL');
    await victim.exited;

    const next = cli('--json', 'run', 'm1');

    expect(next.code, next.stderr).toBe(0);
    const rows = generationRows(area.db, 'm1');
    expect(rows.map((r) => [r.generation, r.status])).toEqual([[1, 'completed'], [2, 'interrupted'], [3, 'completed']]);
    expect(rows[1]!.error_message).toMatch(new RegExp(`pid ${victim.pid}`));
    expect(landedFiles(area.target)).toEqual(landedFiles(area.source));
    const lease = leaseRows(area.db, 'm1').find((l) => l.kind === 'generation')!;
    expect(lease.token).toBe(3); // one acquire per generation, the takeover included
    expect(lease.holder_id).toBeNull(); // released
  });

  it('fencing: a holder stopped (SIGSTOP) past its lease is taken over; when it resumes it cannot record over its successor', async () => {
    const ttl = { CONDUIT_LEASE_TTL_MS: '1500' };
    setUp(ttl);
    slowConduit();
    const stalled = background(['--json', 'run', 'm1'], ttl);
    await runningGeneration(2)();
    await waitFor('a file landed', () => landedFiles(join(area.target, 'slow')).length, (n) => n >= 1);
    stalled.child.kill('SIGSTOP');
    expect(cli('edit', 'm1', '--no-bandwidth-limit').code).toBe(0);

    // The stopped process is alive, so only the lease's expiry lets the successor in.
    const successor = background(['--json', 'run', '--wait', 'm1'], ttl);
    expect(await successor.exited, successor.stderr()).toBe(0);
    const afterTakeover = generationRows(area.db, 'm1');
    expect(afterTakeover.map((r) => [r.generation, r.status])).toEqual([[1, 'completed'], [2, 'interrupted'], [3, 'completed']]);
    expect(landedFiles(area.target)).toEqual(landedFiles(area.source));

    stalled.child.kill('SIGCONT');
    const code = await stalled.exited;

    expect(code, stalled.stderr()).toBe(1);
    expect(stalled.stderr()).toMatch(/lost its lease/);
    // Its record is the one its successor wrote at the takeover, and the successor's stands.
    const rows = generationRows(area.db, 'm1');
    expect(rows).toEqual(afterTakeover);
    expect(JSON.parse(cli('--json', 'show', 'm1').stdout)).toMatchObject({ state: 'current' });
    expect(landedFiles(area.target)).toEqual(landedFiles(area.source));
  });
});
