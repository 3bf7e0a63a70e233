import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/db/open-store.js';
import type { Store } from '../../src/db/store.js';
import { DatabaseChanges, type ConduitChange } from '../../src/service/database-changes.js';
import { conduitSpec, tempDir } from '../db/fixtures.js';

/** Two connections on one real database file: "serve" polls, "cli" changes things as another process would. */
describe('DatabaseChanges', () => {
  let tmp: ReturnType<typeof tempDir>;
  let serve: Store;
  let cli: Store;
  let seen: [string, ConduitChange][];
  let changes: DatabaseChanges;

  beforeEach(async () => {
    tmp = tempDir();
    serve = await openStore(tmp.db);
    cli = await openStore(tmp.db);
    seen = [];
    // A poll interval no test waits for: the tests call poll() themselves.
    changes = new DatabaseChanges(serve, { everyMs: 3_600_000, changed: (name, change) => seen.push([name, change]), failed: (error) => { throw error; } });
    changes.start();
  });
  afterEach(() => {
    changes.stop();
    serve.close();
    cli.close();
    tmp.cleanup();
  });

  it('reports what another connection added, edited, disabled, enabled and removed, once each', () => {
    cli.createConduit(conduitSpec({ name: 'a' }));
    changes.poll();
    changes.poll();
    cli.updateConduit('a', conduitSpec({ name: 'a', exclude: ['*.bak'] }));
    changes.poll();
    cli.updateConduit('a', conduitSpec({ name: 'a', exclude: ['*.bak'], enabled: false }));
    changes.poll();
    cli.updateConduit('a', conduitSpec({ name: 'a', exclude: ['*.bak'], enabled: true }));
    changes.poll();
    cli.removeConduit('a');
    changes.poll();
    expect(seen).toEqual([['a', 'added'], ['a', 'edited'], ['a', 'disabled'], ['a', 'enabled'], ['a', 'removed']]);
  });

  it('a generation recorded by another process (state, totals, updated_at) is no change of the definition', () => {
    const row = cli.createConduit(conduitSpec({ name: 'a' }));
    changes.poll();
    seen.length = 0;
    const begun = cli.beginGeneration(row.id, 'manual', false, new Date().toISOString());
    cli.setConduitState(row.id, 'syncing');
    changes.poll();
    expect(begun.generation).toBe(1);
    expect(seen).toEqual([]);
  });

  it('a rename is the old name removed and the new one added; a conduit removed and added again under its name is both', () => {
    cli.createConduit(conduitSpec({ name: 'a' }));
    changes.poll();
    seen.length = 0;
    cli.updateConduit('a', conduitSpec({ name: 'b' }));
    changes.poll();
    expect(seen).toEqual([['b', 'added'], ['a', 'removed']]);
    seen.length = 0;
    cli.removeConduit('b');
    cli.createConduit(conduitSpec({ name: 'b', source: '/data/other', target: '/backup/other' }));
    changes.poll();
    expect(seen).toEqual([['b', 'removed'], ['b', 'added']]);
  });

  it('its own connection\'s changes are not reported (they do not move data_version); noteOwn keeps them known', () => {
    serve.createConduit(conduitSpec({ name: 'mine' }));
    changes.noteOwn('mine');
    changes.poll();
    cli.createConduit(conduitSpec({ name: 'theirs', source: '/data/t', target: '/backup/t' }));
    changes.poll();
    expect(seen).toEqual([['theirs', 'added']]);
  });
});
