import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { conduit } from '../cli/cli-harness.js';
import { conduitEntry, eventually, ServeArea, startServe, type Served } from './serve-harness.js';

/**
 * Issue 11 §1: a refused generation was recorded every ~3 s while a root was
 * missing (22 records in 80 s, ~1,200 an hour per unplugged drive). Now the
 * same refusal backs off and is counted on one record.
 */

let area: ServeArea;
let served: Served | undefined;

afterEach(async () => {
  await served?.stop('SIGKILL');
  served = undefined;
  area?.cleanup();
});

function query<T>(sql: string, ...params: unknown[]): T[] {
  const db = new Database(area.db, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

const rows = () => query<{ generation: number; status: string }>('SELECT generation, status FROM sync_generation ORDER BY generation');
const repeats = (generation: number) =>
  query<{ repeat_count: number; last_repeated_at: string | null }>('SELECT repeat_count, last_repeated_at FROM sync_generation WHERE generation = ?', generation)[0];

describe('serve: refusals while a root is gone', () => {
  it('an unplugged drive (its mount point left empty) makes one refused record that counts the repeats, not one every few seconds', async () => {
    area = new ServeArea();
    mkdirSync(area.path('drive-source'));
    for (const name of ['a', 'b', 'c']) writeFileSync(area.path(`drive-source/${name}.jpg`), name);
    // Every 2 s: without a backoff, a record every 2 s while the drive is away.
    area.writeConfig([conduitEntry('drive', { schedule: 'interval:2s' })]);
    served = await startServe(area);
    await eventually('the first generation', () => rows(), (r) => r[0]?.status === 'completed');

    renameSync(area.path('drive-source'), area.path('drive-away'));
    mkdirSync(area.path('drive-source'));
    // Three tries, as serve's log tells them: each a refusal.
    const refusedTries = () => served!.log.filter((line) => line.includes('"generation finished"') && line.includes('"status":"refused"')).length;
    await eventually('three refused tries', refusedTries, (n) => n >= 3);
    const refused = rows().filter((row) => row.status === 'refused');
    expect(refused).toHaveLength(1);
    const counted = repeats(refused[0]!.generation)!;
    expect(counted.repeat_count).toBeGreaterThanOrEqual(3);
    expect(counted.last_repeated_at).not.toBeNull();
    // history shows it as one line: refused ×N, last at …
    const history = conduit(['--db', area.db, 'history', 'drive'], { cwd: area.dir });
    expect(history.stdout).toMatch(/refused ×\d+, last at \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ/);
  });
});
