import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { conduit, ensureBuilt, json, type CliResult } from './cli-harness.js';
import { put, readTree, tempArea, writeTree, type TempArea } from '../support/tree.js';
import { generationRows, leaseRows, startConduit, waitFor, type ConduitProcess } from '../support/processes.js';

/**
 * `conduit resolve` writes files and the baseline like a generation does, so
 * it runs under the same generation lease (SPEC §4: one owner per conduit at a
 * time). Real processes: a `run` kept busy for seconds by a bandwidth limit,
 * and a `resolve` beside it on the same database.
 */

const EXIT_BUSY = 4;

let area: TempArea;
const started: ConduitProcess[] = [];

beforeAll(() => ensureBuilt());
afterEach(async () => {
  for (const p of started.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGKILL');
      await p.exited;
    }
  }
  area?.cleanup();
});

function cli(...args: string[]): CliResult {
  return conduit(args, { cwd: area.base, env: { CONDUIT_DB: area.db } });
}

function background(args: string[]): ConduitProcess {
  const p = startConduit(args, { cwd: area.base, env: { CONDUIT_DB: area.db } });
  started.push(p);
  return p;
}

interface ConflictJson { id: number; path: string; resolution: string; resolvedAt: string | null }

/**
 * A bidirectional conduit `n` with one open `manual` conflict on a.txt, and
 * ~600 kB of new source files that its next generation copies for seconds
 * under a 1 Mbps limit (the conflict stays open through it: manual). Returns
 * the conflict's id.
 */
function conflictedAndSlow(): number {
  area = tempArea('conduit-resolve-lease-e2e-');
  writeTree(area.source, { 'a.txt': { content: 'base', mtime: 1_700_000_000 } });
  expect(cli('add', '--name', 'n', '--source', area.source, '--target', area.target, '--mode', 'bidirectional', '--conflict', 'manual').code).toBe(0);
  expect(cli('run', 'n').code).toBe(0);
  put(area.source, 'a.txt', 'source edit', 1_700_000_100);
  put(area.target, 'a.txt', 'target edit, longer', 1_700_000_200);
  expect(cli('run', 'n').code).toBe(0);
  const open = json<ConflictJson[]>(cli('--json', 'conflicts', 'n'));
  expect(open).toMatchObject([{ path: 'a.txt' }]);
  fs.mkdirSync(join(area.source, 'slow'));
  for (let i = 0; i < 48; i++) fs.writeFileSync(join(area.source, 'slow', `part-${String(i).padStart(2, '0')}.bin`), Buffer.alloc(12_500, i));
  expect(cli('edit', 'n', '--bandwidth-limit', '1', '--parallel', '1').code).toBe(0);
  return open[0]!.id;
}

const generation3Running = () => waitFor('generation 3 running', () => generationRows(area.db, 'n'), (rows) => rows[2]?.status === 'running');

describe('regression: resolve did not take the conduit\'s generation lease, so it wrote while another process ran a generation', () => {
  it('`resolve --keep source` while a `run` of the conduit is in flight: refused with one line naming the holder, exit 4, nothing changed', async () => {
    const id = conflictedAndSlow();
    const run = background(['--json', 'run', 'n']);
    await generation3Running();

    const r = cli('resolve', String(id), '--keep', 'source');

    expect(r.code, r.stderr).toBe(EXIT_BUSY);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^conduit: conduit n is running in pid ${run.pid} on host \\S+ since \\d\\d:\\d\\d:\\d\\dZ`));
    // Nothing of the resolution happened: the target keeps its edit, the conflict stays open.
    expect(fs.readFileSync(join(area.target, 'a.txt'), 'utf8')).toBe('target edit, longer');
    expect(fs.readFileSync(join(area.source, 'a.txt'), 'utf8')).toBe('source edit');
    expect(json<ConflictJson[]>(cli('--json', 'conflicts', 'n'))).toMatchObject([{ id, resolution: 'unresolved' }]);

    expect(await run.exited, run.stderr()).toBe(0);
    // The holder's generation ran undisturbed, and once it is done the same resolve goes through.
    expect(generationRows(area.db, 'n').map((g) => g.status)).toEqual(['completed', 'completed', 'completed']);
    const after = cli('resolve', String(id), '--keep', 'source');
    expect(after.code, after.stderr).toBe(0);
    expect(fs.readFileSync(join(area.target, 'a.txt'), 'utf8')).toBe('source edit');
    // The resolve released the lease it took (a token per acquire: three runs, one resolve).
    expect(leaseRows(area.db, 'n').find((l) => l.kind === 'generation')).toMatchObject({ token: 4, holder_id: null });
  });

  it('`resolve --keep target` on a one-way conduit (it only forgets the path in the baseline) is refused the same way while a run is in flight', async () => {
    area = tempArea('conduit-resolve-lease-e2e-');
    // Selective, first sync: the target holds a directory of its own where the source has a file (an open conflict).
    writeTree(area.source, { 'a.txt': 'source file' });
    writeTree(area.target, { 'a.txt/inner.txt': 'the target\'s own' });
    expect(cli('add', '--name', 'n', '--source', area.source, '--target', area.target, '--mode', 'selective', '--include', 'a.txt', '--include', 'slow/**').code).toBe(0);
    expect(cli('run', 'n').code).toBe(0);
    expect(cli('run', 'n').code).toBe(0);
    const open = json<ConflictJson[]>(cli('--json', 'conflicts', 'n'));
    expect(open).toMatchObject([{ path: 'a.txt', resolution: 'unresolved' }]);
    fs.mkdirSync(join(area.source, 'slow'));
    for (let i = 0; i < 48; i++) fs.writeFileSync(join(area.source, 'slow', `part-${String(i).padStart(2, '0')}.bin`), Buffer.alloc(12_500, i));
    expect(cli('edit', 'n', '--bandwidth-limit', '1', '--parallel', '1').code).toBe(0);
    const run = background(['--json', 'run', 'n']);
    await generation3Running();

    const r = cli('resolve', String(open[0]!.id), '--keep', 'target');

    expect(r.code, r.stderr).toBe(EXIT_BUSY);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^conduit: conduit n is running in pid ${run.pid} `));
    expect(json<ConflictJson[]>(cli('--json', 'conflicts', 'n'))).toMatchObject([{ id: open[0]!.id, resolution: 'unresolved' }]);
    expect(await run.exited, run.stderr()).toBe(0);
  });

  it('`resolve --wait` waits for the run to finish, then resolves under its own lease', async () => {
    const id = conflictedAndSlow();
    const run = background(['--json', 'run', 'n']);
    await generation3Running();

    const waiting = background(['--json', 'resolve', String(id), '--keep', 'source', '--wait']);

    expect(await run.exited, run.stderr()).toBe(0);
    expect(await waiting.exited, waiting.stderr()).toBe(0);
    expect(waiting.stderr()).toMatch(new RegExp(`waiting: conduit n is running in pid ${run.pid}`));
    expect(JSON.parse(waiting.stdout())).toMatchObject({ id, resolution: 'accepted_source' });
    const generation3 = generationRows(area.db, 'n')[2]!;
    const resolved = json<ConflictJson[]>(cli('--json', 'conflicts', 'n', '--all')).find((c) => c.id === id)!;
    // The resolution landed only after the holder's generation had finished.
    expect(resolved.resolvedAt! >= generation3.completed_at!).toBe(true);
    expect(readTree(area.target)['a.txt']).toBe('source edit');
  });
});
