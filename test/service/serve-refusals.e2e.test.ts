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

interface Row { generation: number; status: string; repeat_count: number; last_repeated_at: string | null }

function rows(): Row[] {
  const db = new Database(area.db, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return db.prepare('SELECT generation, status, repeat_count, last_repeated_at FROM sync_generation ORDER BY generation').all() as Row[];
  } finally {
    db.close();
  }
}

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
    const counted = await eventually('the refusal repeated three times', () => rows(), (r) => r.some((row) => row.status === 'refused' && row.repeat_count >= 3));
    expect(counted.filter((row) => row.status === 'refused')).toHaveLength(1);
    expect(counted.filter((row) => row.status === 'refused')[0]!.last_repeated_at).not.toBeNull();
    // history shows it as one line: refused ×N, last at …
    const history = conduit(['--db', area.db, 'history', 'drive'], { cwd: area.dir });
    expect(history.stdout).toMatch(/refused ×\d+, last at \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ/);
  });
});
