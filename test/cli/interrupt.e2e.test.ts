import * as fs from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { conduit, ensureBuilt } from './cli-harness.js';
import { generationRows, landedFiles, startConduit, tempFiles, waitFor, type ConduitProcess } from '../support/processes.js';

/**
 * Issue 8 §6: a graceful stop is recorded truthfully. A run copying many
 * small files (the copy-worker path: no bandwidth limit, no versioning) is
 * stopped once some files have landed; the generation must read
 * `interrupted` with exactly the files that are on disk, and the next run
 * copies only the rest. Real processes, real signals, files counted on disk.
 */

const FILES = 20_000;
const DIRS = 100;
const API_TOKEN = 'interrupt-e2e-token-0123456789';

let base: string;
let source: string;
const started: ConduitProcess[] = [];

beforeAll(() => {
  ensureBuilt();
  base = mkdtempSync(join(tmpdir(), 'conduit-interrupt-e2e-'));
  source = join(base, 'source');
  // 20,000 files of 1 KiB: content differs per file, mtimes are whatever the disk gives.
  for (let d = 0; d < DIRS; d++) {
    const dir = join(source, `d${String(d).padStart(2, '0')}`);
    fs.mkdirSync(dir, { recursive: true });
    for (let i = 0; i < FILES / DIRS; i++) fs.writeFileSync(join(dir, `f${i}.txt`), `${d}/${i} `.padEnd(1024, 'x'));
  }
});
afterEach(async () => {
  for (const p of started.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGKILL');
      await p.exited;
    }
  }
});
// Removing the 20,000-file trees took over a minute on a machine at load 20 (and on an ext4 without a journal).
afterAll(() => fs.rmSync(base, { recursive: true, force: true }), 300_000);

/** A fresh target and database for one test, with a mirror conduit `name` from the shared source. */
function area(name: string): { target: string; db: string; cli: (...args: string[]) => ReturnType<typeof conduit> } {
  const dir = fs.mkdtempSync(join(base, `${name}-`));
  const target = join(dir, 'target');
  const db = join(dir, 'conduit.db');
  const cli = (...args: string[]) => conduit(args, { cwd: dir, env: { CONDUIT_DB: db } });
  const added = cli('add', '--name', name, '--source', source, '--target', target, '--mode', 'mirror');
  expect(added.code, added.stderr).toBe(0);
  return { target, db, cli };
}

/** Waits until some files have landed, failing clearly if the process finished first (a machine too fast for the tree). */
async function someLanded(target: string, p: ConduitProcess): Promise<void> {
  await waitFor('500 files on the target', () => (p.child.exitCode !== null ? -1 : landedFiles(target).length), (n) => n === -1 || n >= 500);
  expect(p.child.exitCode, `the run finished before it could be interrupted: ${p.stderr()}`).toBeNull();
}

describe('a graceful stop is recorded truthfully', () => {
  it('SIGINT during `conduit run` copying 20,000 small files: exit 130, interrupted, filesCopied equals the files on disk, and a re-run copies only the rest (it was recorded failed, filesCopied 0, "reading \'landed\'")', async () => {
    const { target, db, cli } = area('m1');
    const run = startConduit(['--json', 'run', 'm1'], { cwd: base, env: { CONDUIT_DB: db } });
    started.push(run);
    await someLanded(target, run);

    run.child.kill('SIGINT');
    const code = await run.exited;

    expect(code, run.stderr()).toBe(130);
    const onDisk = landedFiles(target).length;
    expect(onDisk).toBeGreaterThan(0);
    expect(onDisk).toBeLessThan(FILES);
    const out = JSON.parse(run.stdout()) as { status: string; filesCopied: number; errors: unknown[] };
    expect(out).toMatchObject({ status: 'interrupted', filesCopied: onDisk, errors: [] });
    expect(run.stderr().trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`m1 generation 1 interrupted by SIGINT: copied ${onDisk} files`))]);
    expect(generationRows(db, 'm1').map((g) => [g.status, g.files_copied])).toEqual([['interrupted', onDisk]]);
    expect(tempFiles(target)).toEqual([]);

    const again = cli('--json', 'run', 'm1');
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'completed', filesCopied: FILES - onDisk, filesDeleted: 0, conflicts: 0 });
    expect(landedFiles(target)).toHaveLength(FILES);
  });

  it('SIGTERM to `conduit serve` during an API-started generation: exit 0, interrupted with the files on disk, and the next run copies only the rest', async () => {
    const { target, db, cli } = area('m2');
    const serve = startConduit(['--log-level', 'info', 'serve', '--port', '0'], { cwd: base, env: { CONDUIT_DB: db, CONDUIT_API_TOKEN: API_TOKEN } });
    started.push(serve);
    const upLine = await waitFor('serve up', () => serve.stderr().split('\n').find((l) => l.includes('"conduit serve is up"')), (l) => l !== undefined || serve.child.exitCode !== null);
    expect(upLine, serve.stderr()).toBeDefined();
    const url = (JSON.parse(upLine!) as { url: string }).url;
    const response = await fetch(`${url}/api/conduits/m2/run`, {
      method: 'POST', headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' }, body: '{}',
    });
    expect(response.status).toBe(202);
    await someLanded(target, serve);

    serve.child.kill('SIGTERM');
    const code = await serve.exited;

    expect(code, serve.stderr()).toBe(0);
    const onDisk = landedFiles(target).length;
    expect(onDisk).toBeGreaterThan(0);
    expect(onDisk).toBeLessThan(FILES);
    expect(generationRows(db, 'm2').map((g) => [g.trigger, g.status, g.files_copied])).toEqual([['api', 'interrupted', onDisk]]);
    expect(tempFiles(target)).toEqual([]);

    const again = cli('--json', 'run', 'm2');
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'completed', filesCopied: FILES - onDisk, filesDeleted: 0, conflicts: 0 });
    expect(landedFiles(target)).toHaveLength(FILES);
  });
});
