import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { conduit } from '../cli/cli-harness.js';
import { eventually, ServeArea, sleep, startServe, type Served } from './serve-harness.js';

/**
 * Issue 11 §1: a `serve` notices what another process (the CLI) changes in
 * the database — a conduit added, edited, disabled, removed — and starts,
 * reloads or stops its scheduling and watching. Before, a conduit added with
 * `conduit add` while serve ran was never watched by it.
 */

let area: ServeArea;
let served: Served | undefined;

afterEach(async () => {
  await served?.stop('SIGKILL');
  served = undefined;
  area?.cleanup();
});

function cli(...args: string[]) {
  const result = conduit(['--db', area.db, ...args], { cwd: area.dir });
  if (result.code !== 0) throw new Error(`conduit ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result;
}

/** serve logged that it saw this change of the conduit made by another process. */
const seen = (change: string) => served!.log.some((line) => line.includes('"conduit changed in the database"') && line.includes(`"change":"${change}"`));

const finished = (rows: { status: string }[]) => rows.filter((r) => r.status !== 'running');

describe('serve and the CLI on one database', () => {
  it('a conduit added by the CLI while serve runs is watched: a file change syncs and is verified; edit, disable and remove take effect', async () => {
    area = new ServeArea();
    mkdirSync(area.path('notes-source'));
    writeFileSync(area.path('notes-source/first.txt'), 'first');
    // No config file: serve runs whatever the database holds, which is nothing yet.
    served = await startServe(area, []);

    cli('add', '--name', 'notes', '--source', './notes-source', '--target', './notes-target', '--mode', 'mirror', '--schedule', 'instant');
    // The catch-up generation of an instant conduit new to the service.
    await eventually('the catch-up generation', () => finished(area.generations('notes')), (g) => g[0]?.status === 'completed');
    writeFileSync(area.path('notes-source/second.txt'), 'second');
    await eventually('second.txt on the target', () => existsSync(area.path('notes-target/second.txt')), Boolean);
    const synced = await eventually('a verified watch generation', () => area.generations('notes'),
      (g) => g.some((row) => row.trigger === 'watch' && row.verification_status === 'verified'));
    expect(synced.every((row) => !row.verification_status.startsWith('failed'))).toBe(true);

    // edit: a new exclude takes effect in the next watch-triggered generation.
    cli('edit', 'notes', '--exclude', '*.tmp');
    await eventually('serve to see the edit', () => seen('edited'), Boolean);
    writeFileSync(area.path('notes-source/scratch.tmp'), 'scratch');
    writeFileSync(area.path('notes-source/third.txt'), 'third');
    await eventually('third.txt on the target', () => existsSync(area.path('notes-target/third.txt')), Boolean);
    expect(existsSync(area.path('notes-target/scratch.tmp'))).toBe(false);

    // disable: no more generations.
    await eventually('the watch generations to finish', () => area.generations('notes'), (g) => g.every((row) => row.status !== 'running'));
    cli('disable', 'notes');
    await eventually('serve to see the disable', () => seen('disabled'), Boolean);
    const beforeDisabled = area.generations('notes').length;
    writeFileSync(area.path('notes-source/fourth.txt'), 'fourth');
    await sleep(3_000);
    expect(area.generations('notes').length).toBe(beforeDisabled);
    expect(existsSync(area.path('notes-target/fourth.txt'))).toBe(false);

    // enable again, then remove: watching stops.
    cli('enable', 'notes');
    await eventually('fourth.txt on the target after enable', () => existsSync(area.path('notes-target/fourth.txt')), Boolean);
    await eventually('the generations to finish', () => area.generations('notes'), (g) => g.every((row) => row.status !== 'running'));
    cli('remove', 'notes');
    await eventually('serve to stop watching the removed conduit', () => served!.log.some((line) => line.includes('"stopped watching"') && line.includes('"notes"')), Boolean);
    writeFileSync(area.path('notes-source/fifth.txt'), 'fifth');
    await sleep(3_000);
    expect(existsSync(area.path('notes-target/fifth.txt'))).toBe(false);
    expect(served.log.filter((line) => line.includes('"level":50'))).toEqual([]);
  });
});
