import fs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { engineHarness, type EngineHarness } from '../support/engine.js';

const mtimeNs = (p: string) => fs.lstatSync(p, { bigint: true }).mtimeNs;
const close = (a: bigint, b: bigint) => (a > b ? a - b : b - a) <= 1_000n;
const setDirTime = (p: string, seconds: number) => fs.utimesSync(p, seconds, seconds);

describe('mirror replicates directory mtimes (as rsync -a does)', () => {
  let dir: string;
  let harness: EngineHarness;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'conduit-dirtimes-'));
    fs.mkdirSync(join(dir, 'source/a/b'), { recursive: true });
    fs.mkdirSync(join(dir, 'source/empty'));
    fs.writeFileSync(join(dir, 'source/a/b/f.txt'), 'f');
    fs.writeFileSync(join(dir, 'source/a/g.txt'), 'g');
    // Old, distinct times, set children first so the parents keep theirs.
    setDirTime(join(dir, 'source/a/b'), 1_500_000_001);
    setDirTime(join(dir, 'source/a'), 1_500_000_002);
    setDirTime(join(dir, 'source/empty'), 1_500_000_003);
    harness = await engineHarness(join(dir, 'state/conduit.db'), { mode: 'mirror', source: join(dir, 'source'), target: join(dir, 'target') });
  });
  afterEach(() => {
    harness.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives every target directory its source mtime, even after files were written into it', async () => {
    const { record } = await harness.run();
    expect(record.status).toBe('completed');
    for (const d of ['a', 'a/b', 'empty']) {
      expect(close(mtimeNs(join(dir, 'target', d)), mtimeNs(join(dir, 'source', d))), d).toBe(true);
    }
    expect(mtimeNs(join(dir, 'target/a'))).not.toBe(mtimeNs(join(dir, 'target/a/b')));
  });

  it('restores a directory\'s time after a later generation adds a file to it', async () => {
    await harness.run();
    fs.writeFileSync(join(dir, 'source/a/new.txt'), 'new');
    setDirTime(join(dir, 'source/a'), 1_500_000_100);
    const { record } = await harness.run();
    expect(record.filesCopied).toBe(1);
    expect(close(mtimeNs(join(dir, 'target/a')), mtimeNs(join(dir, 'source/a')))).toBe(true);
    const again = await harness.run();
    expect(again.record).toMatchObject({ filesCopied: 0, filesDeleted: 0, dirsCreated: 0 });
  });
});
