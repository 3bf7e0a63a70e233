import fs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { engineHarness, type EngineHarness } from '../support/engine.js';

/**
 * The watcher fast path (`onlyPaths`) scans a few paths; the rest of the
 * index must survive it. Regression: reconciling the partial scan against
 * the whole baseline forgot every unscanned path ("gone from both sides"),
 * after which a bidirectional delete of such a path was copied back.
 */
describe('a generation over onlyPaths (the watcher fast path)', () => {
  let dir: string;
  let harness: EngineHarness;
  const files = ['a.txt', 'b.txt', 'c.txt', 'd/e.txt', 'd/f.txt', 'g.txt'];
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'conduit-fastpath-'));
    for (const f of files) {
      fs.mkdirSync(join(dir, 'source', f, '..'), { recursive: true });
      fs.writeFileSync(join(dir, 'source', f), `content of ${f}`);
    }
    harness = await engineHarness(join(dir, 'state/conduit.db'), { mode: 'bidirectional', source: join(dir, 'source'), target: join(dir, 'target') });
    expect((await harness.run()).record.filesCopied).toBe(files.length);
  });
  afterEach(() => {
    harness.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the index rows of every path it did not scan', async () => {
    fs.writeFileSync(join(dir, 'source/a.txt'), 'a, edited');
    const { record } = await harness.run({ onlyPaths: ['a.txt'] });
    expect(record).toMatchObject({ status: 'completed', filesCopied: 1, filesDeleted: 0 });
    const conduit = harness.store.getConduit(harness.name)!;
    expect([...harness.store.loadBaseline(conduit.id).keys()].sort()).toEqual(['a.txt', 'b.txt', 'c.txt', 'd', 'd/e.txt', 'd/f.txt', 'g.txt']);
  });

  it('propagates a later delete of a path it did not scan, instead of copying it back', async () => {
    fs.writeFileSync(join(dir, 'source/a.txt'), 'a, edited');
    await harness.run({ onlyPaths: ['a.txt'] });
    fs.unlinkSync(join(dir, 'target/b.txt'));
    const { record } = await harness.run({ onlyPaths: ['b.txt'] });
    expect(record).toMatchObject({ status: 'completed', filesCopied: 0, filesDeleted: 1 });
    expect(fs.existsSync(join(dir, 'source/b.txt'))).toBe(false);
  });

  it('judges deletions against the whole index: one delete of six passes, and four of six are refused', async () => {
    fs.unlinkSync(join(dir, 'source/c.txt'));
    expect((await harness.run({ onlyPaths: ['c.txt'] })).record).toMatchObject({ status: 'completed', filesDeleted: 1 });
    for (const f of ['a.txt', 'b.txt', 'd/e.txt', 'd/f.txt']) fs.unlinkSync(join(dir, 'source', f));
    const refused = await harness.run({ onlyPaths: ['a.txt', 'b.txt', 'd/e.txt', 'd/f.txt'] });
    expect(refused.record.status).toBe('refused');
    expect(fs.existsSync(join(dir, 'target/a.txt'))).toBe(true);
  });
});
