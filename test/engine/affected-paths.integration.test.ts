import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanUpEngineTests, engineHarness, type EngineHarness } from '../support/engine.js';
import { readTree, tempArea, writeTree, type TempArea, type TreeValue } from '../support/tree.js';

/**
 * Generations that cost what changed (issue 9), on the real disk with the
 * real store: a generation holds the baseline rows of the affected paths only
 * (the directories, which are always rescanned, and what changed), a no-op
 * writes no row, and the inode the baseline records tells a file replaced
 * by another of the same size, mtime and mode.
 */
let harness: EngineHarness | undefined;
let area: TempArea | undefined;
cleanUpEngineTests(() => ({ harness, area }));

const DIRS = ['a', 'a/b', 'c', 'd', 'd/e'];
/** 5 directories, 40 files of independent sizes and mtimes. */
function tree(): Record<string, TreeValue> {
  const spec: Record<string, TreeValue> = {};
  for (let i = 0; i < 40; i++) {
    const dir = DIRS[i % DIRS.length]!;
    spec[`${dir}/f${i}.txt`] = { content: 'x'.repeat((i * 7) % 23 + 1), mtime: 1_700_000_000 + ((i * 13) % 17) };
  }
  return spec;
}

describe('a generation holds only the affected rows', () => {
  for (const mode of ['mirror', 'bidirectional', 'selective'] as const) {
    it(`${mode}: a no-op loads the directories' rows only and writes no row; an edit adds just that path`, async () => {
      area = tempArea('conduit-affected-');
      writeTree(area.source, tree());
      harness = await engineHarness(area.db, { mode, source: area.source, target: area.target, ...(mode === 'selective' ? { include: ['a/', 'd/'] } : {}) });
      expect((await harness.run()).record.status).toBe('completed');
      const dirs = mode === 'selective' ? ['a', 'a/b', 'd', 'd/e'] : DIRS;

      harness.rowLoads.length = 0;
      const noop = await harness.run();
      expect(noop.record).toMatchObject({ status: 'completed', filesCopied: 0, filesDeleted: 0 });
      expect(harness.rowLoads).toEqual([dirs]);
      expect(harness.commits.at(-1)!.baselineUpserts.size).toBe(0);
      expect(harness.commits.at(-1)!.baselineDeletes).toEqual([]);

      fs.writeFileSync(join(area.source, 'a/b/f1.txt'), 'edited, longer than before');
      harness.rowLoads.length = 0;
      const edit = await harness.run();
      expect(edit.record).toMatchObject({ status: 'completed', filesCopied: 1 });
      expect(harness.rowLoads).toEqual([[...dirs, 'a/b/f1.txt'].sort()]);
      expect(fs.readFileSync(join(area.target, 'a/b/f1.txt'), 'utf8')).toBe('edited, longer than before');
    });
  }

  it('mirror: a deleted directory reaches the target whole, though its files were never reported', async () => {
    area = tempArea('conduit-affected-');
    writeTree(area.source, tree());
    harness = await engineHarness(area.db, { mode: 'mirror', source: area.source, target: area.target, maxDeletePercent: 100 });
    await harness.run();
    fs.rmSync(join(area.source, 'd'), { recursive: true });
    const { record } = await harness.run();
    expect(record).toMatchObject({ status: 'completed', filesDeleted: 16, dirsDeleted: 2 });
    expect(readTree(area.target)).toEqual(readTree(area.source));
  });
});

describe('the baseline\'s inode', () => {
  it('bidirectional: a file replaced on the target by another of the same size, mtime and mode reaches the source', async () => {
    area = tempArea('conduit-inode-');
    writeTree(area.source, { 'notes.txt': { content: 'AAAA', mtime: 1_700_000_000, mode: 0o644 }, 'k.txt': 'k' });
    harness = await engineHarness(area.db, { mode: 'bidirectional', source: area.source, target: area.target });
    await harness.run();
    // An editor's save: a new file renamed over the old one, its stat made equal to the old one's.
    const temp = join(area.target, '.notes.txt.swp');
    fs.writeFileSync(temp, 'BBBB');
    fs.chmodSync(temp, 0o644);
    fs.utimesSync(temp, 1_700_000_000, 1_700_000_000);
    fs.renameSync(temp, join(area.target, 'notes.txt'));
    const { record } = await harness.run();
    expect(record).toMatchObject({ status: 'completed', filesCopied: 1 });
    expect(fs.readFileSync(join(area.source, 'notes.txt'), 'utf8')).toBe('BBBB');
  });
});
