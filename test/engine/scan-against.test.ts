import { describe, expect, test } from 'vitest';
import { columnsFromBaseline } from '../../src/core/change-set/columns.js';
import { baselineFromWrittenPair, type BaselineEntry, type Entry } from '../../src/core/entry.js';
import { buildRules } from '../../src/engine/filters.js';
import { scanRoot } from '../../src/engine/scan.js';
import { FaultyFileSystem } from '../../src/fs/faulty-file-system.js';
import { MemoryFileSystem } from '../../src/fs/memory-file-system.js';

/**
 * The in-memory filesystem and the faulty decorator's inline walk answer a
 * scan asked `against` a baseline as the contract says (core/change-set.ts):
 * only what differs reported, the rest counted, the rows not found gone.
 */
const ROOT = '/r';

async function synced(): Promise<{ fs: MemoryFileSystem; baseline: Map<string, BaselineEntry> }> {
  const fs = new MemoryFileSystem();
  fs.mkdirp(`${ROOT}/d`);
  for (const name of ['a.txt', 'd/b.txt', 'd/c.txt', 'gone.txt']) fs.writeFile(`${ROOT}/${name}`, `content of ${name}`);
  const full = await scanRoot(fs, ROOT, { rules: buildRules({}) });
  const baseline = new Map<string, BaselineEntry>();
  for (const [p, e] of full.entries) baseline.set(p, baselineFromWrittenPair(e, e as Entry, null)!);
  return { fs, baseline };
}

describe('a scan against the baseline', () => {
  for (const decorated of [false, true]) {
    test(decorated ? 'the faulty decorator, walking inline' : 'the in-memory filesystem', async () => {
      const { fs: memory, baseline } = await synced();
      memory.writeFile(`${ROOT}/d/b.txt`, 'edited, and longer');
      await memory.unlink(`${ROOT}/gone.txt`);
      memory.writeFile(`${ROOT}/new.txt`, 'new');
      const fs = decorated ? new FaultyFileSystem(memory, { inlineWalks: true }) : memory;
      const result = await scanRoot(fs, ROOT, { rules: buildRules({}), against: columnsFromBaseline(baseline, 'source') });
      expect([...result.entries.keys()].sort()).toEqual(['d', 'd/b.txt', 'new.txt']);
      expect(result.changes).toEqual({ gone: ['gone.txt'], inScope: 5, unchanged: 2 });
      if (decorated) expect((fs as FaultyFileSystem).calls.some((c) => c.op === 'readdirSync')).toBe(true);
    });
  }

  test('without against, the full entries and no changes', async () => {
    const { fs } = await synced();
    const result = await scanRoot(fs, ROOT, { rules: buildRules({}) });
    expect(result.entries.size).toBe(5);
    expect(result.changes).toBeUndefined();
  });
});
