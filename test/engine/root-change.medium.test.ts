import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/db/open-store.js';
import type { Store } from '../../src/db/store.js';
import { runGeneration } from '../../src/engine/generation.js';
import { NodeFileSystem } from '../../src/fs/node-file-system.js';
import { addConduit, editConduit, requireConduit } from '../../src/service/conduit-admin.js';

describe('editing a conduit\'s source or target', () => {
  const cleanup: Array<() => void> = [];
  afterEach(() => { for (const f of cleanup.splice(0)) f(); });

  function setup(): { dir: string; store: Store } {
    const dir = mkdtempSync(join(tmpdir(), 'conduit-rootchange-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    return { dir, store: undefined as unknown as Store };
  }

  it('forgets the baseline, so a different folder is not read as "everything was deleted here"', async () => {
    const { dir } = setup();
    const store = await openStore(join(dir, 'state', 'conduit.db'));
    cleanup.unshift(() => store.close());
    const a = join(dir, 'a'); const b = join(dir, 'b'); const other = join(dir, 'other');
    for (const d of [a, b, other]) mkdirSync(d);
    for (let i = 0; i < 4; i++) writeFileSync(join(a, `f${i}.txt`), `file ${i}`);
    writeFileSync(join(other, 'unrelated.txt'), 'a different folder');

    addConduit(store, { name: 'pair', source: a, target: b, mode: 'bidirectional' }, { baseDir: dir });
    const first = await runGeneration(store, new NodeFileSystem(), { conduit: requireConduit(store, 'pair'), trigger: 'manual' });
    expect(first.record.filesCopied).toBe(4);
    expect(store.loadBaseline(requireConduit(store, 'pair').id).size).toBe(4);

    editConduit(store, 'pair', { source: other }, { baseDir: dir });
    expect(store.loadBaseline(requireConduit(store, 'pair').id).size).toBe(0);

    // With the old baseline, b's four files would be "deleted on the source" and removed from b.
    const second = await runGeneration(store, new NodeFileSystem(), { conduit: requireConduit(store, 'pair'), trigger: 'manual' });
    expect(second.record.status).toBe('completed');
    expect(second.record.filesDeleted).toBe(0);
    expect(readdirSync(b).sort()).toEqual(['f0.txt', 'f1.txt', 'f2.txt', 'f3.txt', 'unrelated.txt']);
    expect(readdirSync(other).sort()).toEqual(['f0.txt', 'f1.txt', 'f2.txt', 'f3.txt', 'unrelated.txt']);
  });

  it('keeps the baseline when only other fields change', async () => {
    const { dir } = setup();
    const store = await openStore(join(dir, 'conduit.db'));
    cleanup.unshift(() => store.close());
    const a = join(dir, 'a'); const b = join(dir, 'b');
    mkdirSync(a); mkdirSync(b);
    writeFileSync(join(a, 'x.txt'), 'x');
    addConduit(store, { name: 'pair', source: a, target: b, mode: 'mirror' }, { baseDir: dir });
    const run = await runGeneration(store, new NodeFileSystem(), { conduit: requireConduit(store, 'pair'), trigger: 'manual' });
    expect(run.record.errors).toEqual([]);
    expect(store.loadBaseline(requireConduit(store, 'pair').id).size).toBe(1);
    editConduit(store, 'pair', { parallelTransfers: 8 }, { baseDir: dir });
    expect(store.loadBaseline(requireConduit(store, 'pair').id).size).toBe(1);
  });
});
