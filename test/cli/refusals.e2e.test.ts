import fs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { conduit, ensureBuilt } from './cli-harness.js';

/**
 * Bad input changes nothing (regressions): an `import` of a bad file that
 * names a new database created that database before failing; `serve` on a
 * non-loopback address without a configured token exited 1 with a wrapped
 * message instead of 2 naming --host.
 */
let dir: string;
beforeAll(() => ensureBuilt());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'conduit-refusals-'));
  fs.mkdirSync(join(dir, 'a'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('refusals that leave nothing behind', () => {
  it('import of a bad config that names a new database: exit 2, one line, and no database file', () => {
    fs.writeFileSync(join(dir, 'bad.json'), JSON.stringify({
      database: './fresh.db',
      conduits: [{ name: 'a', source: './a', target: './b', mode: 'mirorr' }],
    }));
    const r = conduit(['import', join(dir, 'bad.json')], { cwd: dir, env: { CONDUIT_DB: undefined } });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([`conduit: ${join(dir, 'bad.json')}: conduits[0].mode: expected mirror | bidirectional | selective, got "mirorr"`]);
    expect(fs.existsSync(join(dir, 'fresh.db'))).toBe(false);
  });

  it('serve on a non-loopback address without a configured token: exit 2 naming --host, no token file, nothing synced', () => {
    fs.writeFileSync(join(dir, 'a', 'f.txt'), 'f');
    fs.writeFileSync(join(dir, 'conduits.json'), JSON.stringify({
      database: './conduit.db',
      conduits: [{ name: 'a', source: './a', target: './b', mode: 'mirror', schedule: 'instant' }],
    }));
    const r = conduit(['serve', '--config', join(dir, 'conduits.json'), '--host', '0.0.0.0', '--port', '0'], { cwd: dir, env: { CONDUIT_API_TOKEN: undefined, CONDUIT_DB: undefined } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^conduit: --host: expected a loopback address .* unless an API token is configured .*, got "0\.0\.0\.0"$/m);
    expect(fs.existsSync(join(dir, 'conduit-api-token'))).toBe(false);
    expect(fs.existsSync(join(dir, 'b'))).toBe(false);
  });
});
