import fs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FaultyFileSystem } from '../../src/fs/faulty-file-system.js';
import { NodeFileSystem } from '../../src/fs/node-file-system.js';
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

describe('regression: mirror did not replicate directory permission bits (mkdir ORed 0o700, directory modes were never compared)', () => {
  let dir: string;
  let harness: EngineHarness;
  const modeOf = (p: string) => fs.lstatSync(p).mode & 0o7777;
  const src = (p: string) => join(dir, 'source', p);
  const tgt = (p: string) => join(dir, 'target', p);
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'conduit-dirmodes-'));
    for (const d of ['grp/sub', 'ro', 'plain', 'empty-ro']) fs.mkdirSync(src(d), { recursive: true });
    fs.writeFileSync(src('grp/sub/f.txt'), 'f');
    fs.writeFileSync(src('ro/r.txt'), 'r');
    fs.chmodSync(src('grp'), 0o750);
    fs.chmodSync(src('grp/sub'), 0o700);
    fs.chmodSync(src('plain'), 0o755);
    fs.chmodSync(src('ro'), 0o555);
    fs.chmodSync(src('empty-ro'), 0o500);
    harness = await engineHarness(join(dir, 'state/conduit.db'), { mode: 'mirror', source: join(dir, 'source'), target: join(dir, 'target') });
  });
  afterEach(() => {
    harness.close();
    for (const d of ['ro', 'empty-ro']) for (const side of ['source', 'target']) fs.chmodSync(join(dir, side, d), 0o755);
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives every target directory the source directory\'s exact mode, a read-only one included, and its mtime', async () => {
    const { record } = await harness.run();
    expect(record).toMatchObject({ status: 'completed', errorsEncountered: 0 });
    for (const d of ['grp', 'grp/sub', 'ro', 'plain', 'empty-ro']) {
      expect(modeOf(tgt(d)).toString(8), d).toBe(modeOf(src(d)).toString(8));
      expect(close(mtimeNs(tgt(d)), mtimeNs(src(d))), d).toBe(true);
    }
    expect(fs.readFileSync(tgt('ro/r.txt'), 'utf8')).toBe('r');
  });

  it('follows a chmod of an existing directory, and fills a read-only one (opened for the copy, closed again after)', async () => {
    await harness.run();
    fs.chmodSync(src('plain'), 0o711);
    fs.chmodSync(src('grp'), 0o700);
    fs.chmodSync(src('ro'), 0o755);
    fs.writeFileSync(src('ro/new.txt'), 'new');
    fs.chmodSync(src('ro'), 0o555);

    // What the target directory's mode is while the file lands in it (as root a 0555 directory is writable anyway, so look).
    const faulty = new FaultyFileSystem(new NodeFileSystem());
    const whileWriting: number[] = [];
    faulty.beforeOp('rename', tgt('ro/new.txt'), () => void whileWriting.push(modeOf(tgt('ro'))));
    const { record } = await harness.run({ fs: faulty });

    expect(whileWriting).toEqual([0o755]);
    expect(record).toMatchObject({ status: 'completed', filesCopied: 1, errorsEncountered: 0 });
    for (const d of ['grp', 'grp/sub', 'ro', 'plain', 'empty-ro']) expect(modeOf(tgt(d)).toString(8), d).toBe(modeOf(src(d)).toString(8));
    expect(fs.readFileSync(tgt('ro/new.txt'), 'utf8')).toBe('new');
    const again = await harness.run();
    expect(again.record).toMatchObject({ status: 'completed', filesCopied: 0, filesDeleted: 0, dirsCreated: 0 });
    expect(modeOf(tgt('ro'))).toBe(0o555);
  });
});
