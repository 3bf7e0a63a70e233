import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { SideBaselineColumns } from '../../src/core/change-set.js';
import type { Baseline } from '../../src/core/entry.js';
import { buildRules } from '../../src/engine/filters.js';
import { scanRoot, stopScanWorkers, type ScanOptions, type ScanResult } from '../../src/engine/scan.js';
import { walk } from '../../src/engine/scan/walk.js';
import { FaultyFileSystem } from '../../src/fs/faulty-file-system.js';
import type { FileSystem } from '../../src/fs/file-system.js';
import { NodeFileSystem } from '../../src/fs/node-file-system.js';
import { columnsThroughStore, expectedAnswer, reportedOf, rowsOf, type AgainstAnswer } from '../support/baseline-columns.js';
import { tempArea, writeTree, type TempArea, type TreeValue } from '../support/tree.js';

/**
 * A scan run `against` a baseline (issue 9, core/change-set.ts) on real
 * directories: the baseline is what a full scan of the tree saw, written to a
 * real SQLite file and loaded as columns (BaselineRepository.loadColumns);
 * the disk is then changed and scanned again, against those columns, by the
 * scan worker (NodeFileSystem `walkTree`) and by the inline walk (what the
 * memory and faulty filesystems run). Each answer is held to the reference implementation
 * over a full scan of the same disk (`reportAgainstBaseline`, via `expectedAnswer`), and
 * to what each case is about.
 */

const disk = new NodeFileSystem();
const RULES = buildRules({ useIndexRules: false });
const T0 = 1_700_000_000; // whole seconds: a replacement can be given exactly the same mtime

let area: TempArea | undefined;
afterEach(() => {
  area?.cleanup();
  area = undefined;
});
afterAll(() => stopScanWorkers());

interface Prepared {
  readonly root: string;
  readonly rows: Baseline;
  readonly columns: SideBaselineColumns;
}

/** Write `spec` (files at mtime T0 + i), record it as the baseline through the store, and return its source-side columns. */
async function prepare(spec: Record<string, TreeValue>, options: { ino?: 'keep' | 'zero' } = {}): Promise<Prepared> {
  area = tempArea('conduit-against-');
  const root = area.source;
  let i = 0;
  writeTree(root, Object.fromEntries(Object.entries(spec).map(([p, v]) => [p, typeof v === 'string' ? { content: v, mtime: T0 + i++ } : v])));
  const first = await scanRoot(disk, root, { rules: RULES });
  const rows = rowsOf(first.entries, options);
  const { source } = await columnsThroughStore(area.db, rows);
  return { root, rows, columns: source };
}

function answerOf(result: ScanResult): AgainstAnswer {
  expect(result.changes, 'a scan against a baseline answers changes').toBeDefined();
  return { reported: reportedOf(result.entries), gone: result.changes!.gone, inScope: result.changes!.inScope, unchanged: result.changes!.unchanged };
}

/**
 * Scan against the columns in the worker and inline (through `inline`, the
 * node disk by default), check both against the contract over a full scan,
 * and return the worker's answer (or the inline one when `workerToo` is false).
 */
async function scanAgainst(p: Prepared, extra: Partial<ScanOptions> = {}, inline: FileSystem = disk, workerToo = true): Promise<AgainstAnswer> {
  const options: ScanOptions = { rules: RULES, ...extra };
  const full = inline === disk ? await scanRoot(disk, p.root, options) : walk(inline, p.root, options);
  const expected = expectedAnswer(full, p.columns, options.onlyPaths);
  const inlineAnswer = answerOf(walk(inline, p.root, { ...options, against: p.columns }));
  expect(inlineAnswer).toEqual(expected);
  if (!workerToo) return inlineAnswer;
  const workerAnswer = answerOf(await scanRoot(disk, p.root, { ...options, against: p.columns }));
  expect(workerAnswer).toEqual(expected);
  return workerAnswer;
}

const TREE: Record<string, TreeValue> = {
  'a.txt': 'alpha',
  'b.txt': 'bravo',
  'docs/guide.md': 'guide',
  'docs/api/ref.md': 'reference',
  'docs/api/old.md': 'old',
  'photos/2024/x.jpg': 'jpeg-x',
  'photos/2024/y.jpg': 'jpeg-y',
  'link': { symlink: 'a.txt' },
};

describe('a scan against the baseline reports only what the baseline cannot tell', () => {
  it('unchanged: a no-op reports the directories and nothing else; every file and link counts as unchanged', async () => {
    const p = await prepare(TREE);
    const answer = await scanAgainst(p);
    expect(Object.keys(answer.reported)).toEqual(['docs', 'docs/api', 'photos', 'photos/2024']);
    expect(answer).toMatchObject({ gone: [], unchanged: 8, inScope: 12 });
  });

  it('edited, mode-changed and replaced by another inode (same size, mtime and mode) are reported', async () => {
    const p = await prepare(TREE);
    fs.writeFileSync(join(p.root, 'a.txt'), 'alpha, edited');
    fs.chmodSync(join(p.root, 'b.txt'), 0o600);
    // Same bytes count, same mode and exactly the same mtime, but another file (inode) at the path.
    const guide = join(p.root, 'docs/guide.md');
    const before = fs.statSync(guide, { bigint: true });
    fs.writeFileSync(`${guide}.new`, 'GUIDE');
    fs.chmodSync(`${guide}.new`, Number(before.mode & 0o7777n));
    fs.renameSync(`${guide}.new`, guide);
    fs.utimesSync(guide, Number(before.mtimeNs / 1_000_000_000n), Number(before.mtimeNs / 1_000_000_000n)); // whole seconds (T0 + i)
    const after = fs.statSync(guide, { bigint: true });
    expect([after.size, after.mode, after.mtimeNs]).toEqual([before.size, before.mode, before.mtimeNs]);
    expect(after.ino).not.toBe(before.ino);
    const answer = await scanAgainst(p);
    expect(Object.keys(answer.reported).filter((k) => !answer.reported[k]!.startsWith('dir'))).toEqual(['a.txt', 'b.txt', 'docs/guide.md']);
    expect(answer.unchanged).toBe(5);
  });

  it('gone rows come back in row order, a whole directory with its subtree; new paths are reported', async () => {
    const p = await prepare(TREE);
    fs.rmSync(join(p.root, 'photos'), { recursive: true });
    fs.rmSync(join(p.root, 'b.txt'));
    fs.writeFileSync(join(p.root, 'new.txt'), 'new');
    fs.mkdirSync(join(p.root, 'docs/new-dir'));
    const answer = await scanAgainst(p);
    expect(answer.gone).toEqual(['b.txt', 'photos', 'photos/2024', 'photos/2024/x.jpg', 'photos/2024/y.jpg']);
    expect(answer.reported['new.txt']).toMatch(/^file:3:/);
    expect(answer.reported['docs/new-dir']).toMatch(/^dir:/);
  });

  it('a type change is reported: a file that became a directory, a directory that became a file, a link that became a file', async () => {
    const p = await prepare(TREE);
    fs.rmSync(join(p.root, 'a.txt'));
    fs.mkdirSync(join(p.root, 'a.txt'));
    fs.rmSync(join(p.root, 'docs/api'), { recursive: true });
    fs.writeFileSync(join(p.root, 'docs/api'), 'now a file');
    fs.rmSync(join(p.root, 'link'));
    fs.writeFileSync(join(p.root, 'link'), 'alpha');
    const answer = await scanAgainst(p);
    expect(answer.reported).toMatchObject({ 'a.txt': expect.stringMatching(/^dir:/), 'docs/api': expect.stringMatching(/^file:/), link: expect.stringMatching(/^file:5:/) });
    expect(answer.gone).toEqual(['docs/api/old.md', 'docs/api/ref.md']);
  });

  it('a link whose text changed is reported; one with the same text and inode is not', async () => {
    const p = await prepare({ ...TREE, 'other-link': { symlink: 'b.txt' } });
    fs.rmSync(join(p.root, 'link'));
    fs.symlinkSync('b.txt', join(p.root, 'link'));
    const answer = await scanAgainst(p);
    expect(answer.reported.link).toMatch(/^symlink:b\.txt:/);
    expect(answer.reported['other-link']).toBeUndefined();
  });

  it('a link whose mtime alone changed (same text, same inode) is reported: an unreported entry is exactly its row', async () => {
    const p = await prepare(TREE);
    const before = fs.lstatSync(join(p.root, 'link'), { bigint: true });
    fs.lutimesSync(join(p.root, 'link'), T0 - 100, T0 - 100);
    expect(fs.lstatSync(join(p.root, 'link'), { bigint: true }).ino).toBe(before.ino);
    const answer = await scanAgainst(p);
    expect(answer.reported.link).toMatch(/^symlink:a\.txt:/);
    expect(answer.unchanged).toBe(7);
  });

  it('an unreadable directory is reported as a problem and the rows below it are not gone', async () => {
    const p = await prepare(TREE);
    const faulty = new FaultyFileSystem(disk).failOn('readdirSync', join(p.root, 'photos'), 'EACCES');
    const answer = await scanAgainst(p, {}, faulty, false);
    expect(answer.reported.photos).toBe('problem:EACCES');
    expect(answer.gone).toEqual([]);
    expect(answer.unchanged).toBe(6);
  });

  it.skipIf(process.getuid?.() === 0)('an unreadable directory on the real disk, in the worker: its rows are not gone', async () => {
    const p = await prepare(TREE);
    fs.chmodSync(join(p.root, 'photos'), 0o000);
    try {
      const answer = await scanAgainst(p);
      expect(answer.reported.photos).toBe('problem:EACCES');
      expect(answer.gone).toEqual([]);
    } finally {
      fs.chmodSync(join(p.root, 'photos'), 0o755);
    }
  });

  it('onlyPaths: only rows at, under or above the asked-for paths can be gone; ancestors are reported', async () => {
    const p = await prepare(TREE);
    fs.rmSync(join(p.root, 'docs/api/old.md'));
    fs.rmSync(join(p.root, 'b.txt')); // gone, but not asked for
    fs.writeFileSync(join(p.root, 'docs/api/ref.md'), 'reference, edited');
    const answer = await scanAgainst(p, { onlyPaths: ['docs/api/old.md', 'docs/api/ref.md', 'photos/2024/x.jpg'] });
    expect(answer.gone).toEqual(['docs/api/old.md']);
    expect(Object.keys(answer.reported)).toEqual(['docs', 'docs/api', 'docs/api/ref.md', 'photos', 'photos/2024']);
    expect(answer).toMatchObject({ unchanged: 1, inScope: 6 });
  });

  it('onlyPaths whose ancestors are gone: the ancestors\' rows are gone too, a sibling not asked for is not', async () => {
    const p = await prepare(TREE);
    fs.rmSync(join(p.root, 'photos'), { recursive: true });
    const answer = await scanAgainst(p, { onlyPaths: ['photos/2024/x.jpg'] });
    expect(answer.gone).toEqual(['photos', 'photos/2024', 'photos/2024/x.jpg']);
    expect(answer.reported).toEqual({});
  });

  it('onlyPaths below a directory that became a file: the rows below it are gone, the file is reported once', async () => {
    const p = await prepare(TREE);
    fs.rmSync(join(p.root, 'photos/2024'), { recursive: true });
    fs.writeFileSync(join(p.root, 'photos/2024'), 'a file now');
    const answer = await scanAgainst(p, { onlyPaths: ['photos/2024/x.jpg', 'photos/2024/y.jpg'] });
    expect(answer.gone).toEqual(['photos/2024/x.jpg', 'photos/2024/y.jpg']);
    expect(answer.reported['photos/2024']).toMatch(/^file:/);
  });

  it('onlyPaths below an unchanged link: the link is placed once (not reported, counted once), nothing is looked up through it', async () => {
    const p = await prepare(TREE);
    const answer = await scanAgainst(p, { onlyPaths: ['link/x', 'link/y'] });
    expect(answer).toEqual({ reported: {}, gone: [], inScope: 1, unchanged: 1 });
  });

  it('conflict copies are always reported, unchanged or not', async () => {
    const p = await prepare({ ...TREE, 'a.conflict-target-20261122T101500Z.txt': 'alpha, theirs', 'docs/guide.conflict-source-20261122T101500Z-2.md': 'g2' });
    const answer = await scanAgainst(p);
    expect(answer.reported['a.conflict-target-20261122T101500Z.txt']).toMatch(/^file:/);
    expect(answer.reported['docs/guide.conflict-source-20261122T101500Z-2.md']).toMatch(/^file:/);
    expect(answer.unchanged).toBe(8);
  });

  it('rows without an inode (written before issue 9) never match: every file and link is reported', async () => {
    const p = await prepare(TREE, { ino: 'zero' });
    expect([...p.columns.inos]).toEqual(new Array(p.columns.count).fill(0));
    const answer = await scanAgainst(p);
    expect(answer.unchanged).toBe(0);
    expect(Object.keys(answer.reported)).toHaveLength(12);
    expect(answer.gone).toEqual([]);
  });

  it('odd byte names (not UTF-8, escape-range characters, astral and two-byte characters) match their rows', async () => {
    area = tempArea('conduit-against-');
    const root = area.source;
    const names = [Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe]), Buffer.from('pua\uF780\uF7FF.txt'), Buffer.from('caf\u00e9'), Buffer.from('emoji-\u{1F600}'), Buffer.from('\u4e2d\u6587')];
    for (const [i, name] of names.entries()) {
      const path = Buffer.concat([Buffer.from(`${root}/`), name]);
      fs.writeFileSync(path, `content ${i}`);
    }
    fs.mkdirSync(`${root}/dir-caf\u00e9`);
    fs.writeFileSync(`${root}/dir-caf\u00e9/inner-\u{1F600}`, 'inner');
    const first = await scanRoot(disk, root, { rules: RULES });
    const rows = rowsOf(first.entries);
    const { source } = await columnsThroughStore(area.db, rows);
    const p = { root, rows, columns: source };
    let answer = await scanAgainst(p);
    expect(answer).toMatchObject({ gone: [], unchanged: 6 });
    fs.writeFileSync(Buffer.concat([Buffer.from(`${root}/`), names[0]!]), 'edited, longer');
    fs.rmSync(`${root}/emoji-\u{1F600}`);
    answer = await scanAgainst(p);
    expect(Object.keys(answer.reported)).toHaveLength(2); // the edited file and the directory
    expect(answer.gone).toEqual(['emoji-\u{1F600}']);
  });

  it('on random real trees with random changes, the worker and the inline walk answer what the contract says', async () => {
    for (let seed = 1; seed <= 6; seed++) {
      const rand = mulberry32(seed);
      const spec: Record<string, TreeValue> = {};
      const dirs = ['', 'd1', 'd1/e', 'd2', 'd2/f/g'];
      for (let i = 0; i < 40; i++) {
        const dir = dirs[Math.floor(rand() * dirs.length)]!;
        const name = `${dir === '' ? '' : `${dir}/`}n${i}${rand() < 0.1 ? '.conflict-source-20261122T101500Z' : ''}.txt`;
        spec[name] = rand() < 0.15 ? { symlink: `target-${i}` } : `c${i}`.repeat(1 + Math.floor(rand() * 3));
      }
      const p = await prepare(spec);
      const files = Object.keys(spec);
      for (const rel of files) {
        const path = join(p.root, rel);
        const r = rand();
        if (r < 0.1) fs.rmSync(path);
        else if (r < 0.2 && !fs.lstatSync(path).isSymbolicLink()) fs.writeFileSync(path, 'changed content');
        else if (r < 0.25 && !fs.lstatSync(path).isSymbolicLink()) fs.chmodSync(path, 0o640);
      }
      if (rand() < 0.5) fs.rmSync(join(p.root, 'd2'), { recursive: true });
      fs.mkdirSync(join(p.root, `fresh-${seed}`));
      fs.writeFileSync(join(p.root, `fresh-${seed}/added.txt`), 'added');
      await scanAgainst(p);
      const asked = files.filter(() => rand() < 0.2);
      if (asked.length > 0) await scanAgainst(p, { onlyPaths: asked });
      area!.cleanup();
      area = undefined;
    }
  });
});

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
