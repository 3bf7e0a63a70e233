import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stopScanWorkers } from '../../src/engine/scan.js';
import { engineHarness, type EngineHarness } from '../support/engine.js';
import { tempArea, type TempArea } from '../support/tree.js';

/**
 * SPEC §2.3: "mtimes and permission bits are replicated as in mirror" — for
 * the directories in the selection. Selective used to leave every directory
 * with the mode mkdir gave it and whatever mtime its filling left.
 *
 * Which directories are the conduit's: those the include rules select
 * (`docs/` selects `docs` and all below; `media/2024/**` selects what is
 * below `media/2024`, not `media/2024` itself). A directory that only leads
 * to selected paths (`media`, `media/2024` here) is structure, not selection:
 * one the target already had is the target's own and keeps its mode; one the
 * conduit creates gets the source's mode (owner rwx kept) from mkdir and is
 * left alone after. Directories outside the selection are never touched.
 */

const modeOf = (p: string) => fs.lstatSync(p).mode & 0o7777;
const mtimeNs = (p: string) => fs.lstatSync(p, { bigint: true }).mtimeNs;
const close = (a: bigint, b: bigint) => (a > b ? a - b : b - a) <= 1_000n;
const setDirTime = (p: string, seconds: number) => fs.utimesSync(p, seconds, seconds);

let area: TempArea;
let harness: EngineHarness;
const src = (p: string) => join(area.source, p);
const tgt = (p: string) => join(area.target, p);

/** Expect the target directory `rel` to carry the source directory's exact mode and mtime. */
function expectReplicated(rel: string): void {
  expect({ rel, mode: modeOf(tgt(rel)).toString(8) }).toEqual({ rel, mode: modeOf(src(rel)).toString(8) });
  expect(close(mtimeNs(tgt(rel)), mtimeNs(src(rel))), `${rel}: mtime ${mtimeNs(tgt(rel))} vs the source's ${mtimeNs(src(rel))}`).toBe(true);
}

beforeEach(async () => {
  area = tempArea('conduit-selective-dirattrs-', { createTarget: true });
  for (const d of ['docs/sub', 'docs/ro', 'media/2024/trip', 'media/2023', 'other']) fs.mkdirSync(src(d), { recursive: true });
  fs.writeFileSync(src('docs/sub/a.txt'), 'a');
  fs.writeFileSync(src('docs/ro/r.txt'), 'r');
  fs.writeFileSync(src('media/2024/x.jpg'), 'x');
  fs.writeFileSync(src('media/2024/trip/y.jpg'), 'y');
  fs.writeFileSync(src('media/2023/old.jpg'), 'not selected');
  fs.writeFileSync(src('other/o.txt'), 'not selected');
  fs.chmodSync(src('docs'), 0o750);
  fs.chmodSync(src('docs/sub'), 0o700);
  fs.chmodSync(src('docs/ro'), 0o555);
  fs.chmodSync(src('media'), 0o755);
  fs.chmodSync(src('media/2024'), 0o751);
  fs.chmodSync(src('media/2024/trip'), 0o750);
  // Children first, so that the parents keep their times.
  setDirTime(src('docs/sub'), 1_500_000_001);
  setDirTime(src('docs/ro'), 1_500_000_002);
  setDirTime(src('docs'), 1_500_000_003);
  setDirTime(src('media/2024/trip'), 1_500_000_004);
  setDirTime(src('media/2024'), 1_500_000_005);
  // The target's own: `media` (it leads to the selection) and `private` (outside it), with modes of their own.
  fs.mkdirSync(tgt('media'));
  fs.writeFileSync(tgt('media/own.txt'), 'the target\'s own');
  fs.chmodSync(tgt('media'), 0o700);
  fs.mkdirSync(tgt('private'));
  fs.chmodSync(tgt('private'), 0o711);
  setDirTime(tgt('private'), 1_400_000_000);
  harness = await engineHarness(area.db, { mode: 'selective', include: ['docs/', 'media/2024/**'], source: area.source, target: area.target });
});
afterEach(() => {
  harness.close();
  for (const root of [area.source, area.target]) if (fs.existsSync(join(root, 'docs/ro'))) fs.chmodSync(join(root, 'docs/ro'), 0o755);
  area.cleanup();
});
afterAll(async () => {
  await stopScanWorkers();
});

describe('regression: selective did not replicate directory mtimes and permission bits (SPEC §2.3: "as in mirror")', () => {
  it('selected directories get the source\'s exact mode (a read-only one included) and mtime, even after being filled', async () => {
    const { record } = await harness.run();

    expect(record).toMatchObject({ status: 'completed', errorsEncountered: 0, filesCopied: 4 });
    for (const d of ['docs', 'docs/sub', 'docs/ro', 'media/2024/trip']) expectReplicated(d);
  });

  it('directories that only lead to the selection: the target\'s own keeps its mode; one the conduit creates has the source\'s (owner rwx kept)', async () => {
    await harness.run();

    expect(modeOf(tgt('media')).toString(8)).toBe('700');
    expect(fs.readFileSync(tgt('media/own.txt'), 'utf8')).toBe('the target\'s own');
    expect(modeOf(tgt('media/2024')).toString(8)).toBe((0o751 | 0o700).toString(8));
    // Outside the selection nothing is read or written.
    expect(modeOf(tgt('private')).toString(8)).toBe('711');
    expect(mtimeNs(tgt('private'))).toBe(1_400_000_000_000_000_000n);
    expect(fs.existsSync(tgt('media/2023'))).toBe(false);
    expect(fs.existsSync(tgt('other'))).toBe(false);
  });

  it('a later generation: a source chmod and a new file in a read-only directory are replicated; the target\'s own directory stays as its user set it', async () => {
    await harness.run();
    fs.chmodSync(src('docs/sub'), 0o711);
    fs.chmodSync(src('docs/ro'), 0o755);
    fs.writeFileSync(src('docs/ro/new.txt'), 'new');
    fs.chmodSync(src('docs/ro'), 0o555);
    setDirTime(src('docs/ro'), 1_500_000_100);
    fs.chmodSync(tgt('media'), 0o750);

    const { record } = await harness.run();

    expect(record).toMatchObject({ status: 'completed', errorsEncountered: 0, filesCopied: 1 });
    expect(fs.readFileSync(tgt('docs/ro/new.txt'), 'utf8')).toBe('new');
    for (const d of ['docs', 'docs/sub', 'docs/ro', 'media/2024/trip']) expectReplicated(d);
    expect(modeOf(tgt('media')).toString(8)).toBe('750');
    const again = await harness.run();
    expect(again.record).toMatchObject({ status: 'completed', filesCopied: 0, filesDeleted: 0, dirsCreated: 0, errorsEncountered: 0 });
  });

  it('a selected source directory where the target holds a FIFO of its own (a path it skips): its mode is not changed, and no error; a selected directory the target had takes the source\'s attributes', async () => {
    // The target had `docs` already (selected: the source's mode and mtime replace its own), and a FIFO at docs/sub.
    fs.mkdirSync(tgt('docs'), { mode: 0o700 });
    execFileSync('mkfifo', ['-m', '0600', tgt('docs/sub')]);

    const { record } = await harness.run();

    expect(record.errorsEncountered).toBe(0);
    expect(fs.lstatSync(tgt('docs/sub')).isFIFO()).toBe(true);
    expect(modeOf(tgt('docs/sub')).toString(8)).toBe('600');
    for (const d of ['docs', 'docs/ro', 'media/2024/trip']) expectReplicated(d);
  });
});
