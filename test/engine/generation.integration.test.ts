import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConduitSpec } from '../../src/config/conduit-spec.js';
import type { ConflictPolicy } from '../../src/core/vocabulary.js';
import { FaultyFileSystem } from '../../src/fs/faulty-file-system.js';
import { NodeFileSystem } from '../../src/fs/node-file-system.js';
import { resolveConflict } from '../../src/service/resolve-conflict.js';
import { cleanUpEngineTests, engineHarness, type EngineHarness } from '../support/engine.js';
import { put, readTree, statTree, tempArea, tempFilesUnder, writeTree, type TempArea } from '../support/tree.js';

/**
 * `runGeneration` end to end on real temp directories and a real SQLite
 * file: what each mode and policy leaves on disk, asserted as whole trees.
 */

const START = new Date('2026-03-01T10:15:00.000Z');
const STAMP = '20260301T101500Z';
const at = (date: Date) => () => date;

let area: TempArea;
let h: EngineHarness | undefined;

async function setup(overrides: Partial<ConduitSpec>, options: { createTarget?: boolean } = {}): Promise<EngineHarness> {
  area = tempArea('conduit-gen-', options);
  h = await engineHarness(area.db, { source: area.source, target: area.target, ...overrides });
  return h;
}

cleanUpEngineTests(() => ({ harness: h, area }));

function expectNoTemps(): void {
  expect(tempFilesUnder(area.base)).toEqual([]);
}

describe('mirror', () => {
  it('gives an exact replica: content, empty directories, mtimes, mode bits, symlinks verbatim; never follows a link', async () => {
    const harness = await setup({ mode: 'mirror' });
    const outside = join(area.base, 'outside');
    writeTree(outside, { 'secret-1.txt': 'outside one', 'deep/secret-2.txt': 'outside two' });
    writeTree(area.source, {
      'a.txt': 'alpha',
      'exec.sh': { content: '#!/bin/sh\necho hi\n', mode: 0o755 },
      'private.txt': { content: 'mine', mode: 0o600 },
      'old.txt': { content: 'written long ago', mtime: 1_000_000_000.123456 },
      'zero.bin': '',
      'nested/deeper/c.txt': 'gamma',
      'empty/': { dir: true },
      'nested/empty-too/': { dir: true },
      'restricted/': { dir: true, mode: 0o750 },
      'restricted/r.txt': 'r',
      'link-rel': { symlink: 'nested/deeper/c.txt' },
      'link-dangling': { symlink: '../../nowhere/at/all' },
      'link-outside-dir': { symlink: outside },
      'link-outside-file': { symlink: join(outside, 'secret-1.txt') },
    });
    const outsideBefore = statTree(outside);
    // inlineWalks: the walk goes through the decorator too, so every name it looks at is in `calls`.
    const recording = new FaultyFileSystem(new NodeFileSystem(), { inlineWalks: true });

    const first = await harness.run({ fs: recording });

    expect(first.record).toMatchObject({ status: 'completed', filesCopied: 11, filesDeleted: 0, errorsEncountered: 0 });
    expect(readTree(area.target)).toEqual(readTree(area.source));
    expect(readTree(area.target)['link-outside-dir']).toEqual({ symlink: outside });
    const src = statTree(area.source);
    const dst = statTree(area.target);
    for (const [rel, s] of src) {
      const t = dst.get(rel)!;
      expect(t.kind, rel).toBe(s.kind);
      if (s.kind !== 'symlink') expect(t.mode.toString(8), rel).toBe(s.mode.toString(8));
      if (s.kind !== 'dir') {
        const diff = s.mtimeNs > t.mtimeNs ? s.mtimeNs - t.mtimeNs : t.mtimeNs - s.mtimeNs;
        expect(diff <= 1000n, `${rel}: mtime ${t.mtimeNs} vs ${s.mtimeNs}`).toBe(true);
      }
    }
    // Nothing outside the two roots was touched, read or even looked at.
    const roots = [area.source, area.target];
    const strays = recording.calls.flatMap((c) => c.paths).filter((p) => !roots.some((r) => p === r || p.startsWith(`${r}/`)));
    expect(strays).toEqual([]);
    const throughLinks = recording.calls.flatMap((c) => c.paths).filter((p) => /\/link-[a-z-]+\//.test(p));
    expect(throughLinks).toEqual([]);
    expect(statTree(outside)).toEqual(outsideBefore);
    expectNoTemps();

    // A second generation is a no-op: nothing copied, no baseline row rewritten.
    const second = await harness.run();
    expect(second.record).toMatchObject({ status: 'completed', filesCopied: 0, filesDeleted: 0, dirsCreated: 0, dirsDeleted: 0, bytesTransferred: 0 });
    const commit = harness.commits.at(-1)!;
    expect(commit.baselineUpserts.size).toBe(0);
    expect(commit.baselineDeletes).toEqual([]);
    expect(statTree(area.target)).toEqual(dst);
  });

  it('follows the source on later generations: edits, deletes (deepest first), target-side additions removed, a chmod replicated', async () => {
    const harness = await setup({ mode: 'mirror' });
    writeTree(area.source, { 'a.txt': 'a', 'b.txt': 'b', 'gone/x/y.txt': 'y', 'gone/z.txt': 'z', 'keep/k.txt': 'k' });
    await harness.run();
    put(area.source, 'a.txt', 'a, edited');
    fs.rmSync(join(area.source, 'gone'), { recursive: true });
    fs.chmodSync(join(area.source, 'b.txt'), 0o600);
    writeTree(area.target, { 'stray.txt': 'the target added this', 'keep/stray-dir/s.txt': 's' });
    // Deleting 2 of 5 files from the source plus 2 strays on the target: keep under the guard.
    harness.edit({ maxDeletePercent: 100 });

    const { record } = await harness.run();

    expect(record.status).toBe('completed');
    expect(readTree(area.target)).toEqual(readTree(area.source));
    expect(readTree(area.target)).toEqual({ 'a.txt': 'a, edited', 'b.txt': 'b', 'keep/': true, 'keep/k.txt': 'k' });
    expect(statTree(area.target).get('b.txt')!.mode).toBe(0o600);
    expectNoTemps();
  });
});

describe('regression: mirror re-copied files on a no-op generation (utimes landed mtimes up to 2 µs early)', () => {
  it('setAttributes lands every mtime within 1 µs of the asked one', async () => {
    area = tempArea('conduit-gen-');
    const file = join(area.source, 'f');
    fs.writeFileSync(file, 'x');
    const nodeFs = new NodeFileSystem();
    // 1795410587080683076 is one that landed 1076 ns early: the double rounds below .080683 and libuv truncates to µs.
    const asked = [1_795_410_587_080_683_076n, 1_795_410_587_080_683_000n, 1_700_000_000_999_999_999n, 1_763_875_200_123_456_789n];
    for (let i = 0n; i < 200n; i++) asked.push(1_795_410_587_000_000_000n + i * 7_919_113n + (i % 1000n));
    for (const ns of asked) {
      await nodeFs.setAttributes(file, { mtimeNs: ns });
      const landed = fs.statSync(file, { bigint: true }).mtimeNs;
      const diff = landed > ns ? landed - ns : ns - landed;
      expect(diff < 1000n, `asked ${ns}, landed ${landed}`).toBe(true);
    }
  });
});

describe('selective', () => {
  it('never touches the target\'s own files, keeps a same-path file it did not write as a conflict copy, and deletes only what it synced', async () => {
    const harness = await setup({ mode: 'selective', include: ['docs/'] }, { createTarget: true });
    writeTree(area.source, { 'docs/a.txt': 'source a', 'docs/sub/b.txt': 'source b', 'other/x.txt': 'source x, not selected' });
    writeTree(area.target, {
      'own.txt': 'the target\'s own',
      'other/x.txt': 'target x, outside the selection',
      'docs/a.txt': 'target a, written by the user',
      'docs/target-only.txt': 'inside the selection, but the target\'s own',
    });

    const first = await harness.run({ now: at(START) });

    expect(first.record).toMatchObject({ status: 'completed', filesCopied: 2, conflicts: 1, conflictsResolved: 1 });
    expect(readTree(area.target)).toEqual({
      'docs/': true,
      'docs/a.txt': 'source a',
      [`docs/a.conflict-target-${STAMP}.txt`]: 'target a, written by the user',
      'docs/sub/': true,
      'docs/sub/b.txt': 'source b',
      'docs/target-only.txt': 'inside the selection, but the target\'s own',
      'other/': true,
      'other/x.txt': 'target x, outside the selection',
      'own.txt': 'the target\'s own',
    });
    expect(harness.store.listConflicts({ conduit: 'c', all: true })).toMatchObject([
      { path: 'docs/a.txt', kind: 'first_sync_differs', resolution: 'kept_both', conflictCopy: `docs/a.conflict-target-${STAMP}.txt` },
    ]);

    // The source deletes b.txt: the conduit wrote it, so it goes (and the emptied directory it created too).
    fs.rmSync(join(area.source, 'docs/sub'), { recursive: true });
    const second = await harness.run();
    expect(second.record).toMatchObject({ status: 'completed', filesDeleted: 1, dirsDeleted: 1, conflicts: 0 });
    expect(readTree(area.target)).toEqual({
      'docs/': true,
      'docs/a.txt': 'source a',
      [`docs/a.conflict-target-${STAMP}.txt`]: 'target a, written by the user',
      'docs/target-only.txt': 'inside the selection, but the target\'s own',
      'other/': true,
      'other/x.txt': 'target x, outside the selection',
      'own.txt': 'the target\'s own',
    });
    expectNoTemps();
  });

  it('a path that leaves the selection is deleted on the target only if it still holds what the conduit wrote', async () => {
    const harness = await setup({ mode: 'selective', include: ['docs/'], maxDeletePercent: 100 });
    writeTree(area.source, { 'docs/a.txt': 'a', 'docs/sub/c.txt': 'c', 'docs/sub/d.txt': 'd' });
    await harness.run();
    expect(readTree(area.target)).toEqual(readTree(area.source));
    put(area.target, 'docs/sub/d.txt', 'd, edited on the target after the conduit wrote it');

    harness.edit({ include: ['docs/*.txt'] }); // docs/sub/ leaves the selection
    const { record } = await harness.run();

    expect(record.status).toBe('completed');
    expect(record.filesDeleted).toBe(1);
    expect(readTree(area.target)).toEqual({
      'docs/': true,
      'docs/a.txt': 'a',
      'docs/sub/': true,
      'docs/sub/d.txt': 'd, edited on the target after the conduit wrote it',
    });
    expect(readTree(area.source)).toEqual({ 'docs/': true, 'docs/a.txt': 'a', 'docs/sub/': true, 'docs/sub/c.txt': 'c', 'docs/sub/d.txt': 'd' });
    const conflicts = harness.store.listConflicts({ conduit: 'c', all: true });
    expect(conflicts).toMatchObject([{ path: 'docs/sub/d.txt', kind: 'modify_delete' }]);

    // The kept file is the target's own from now on: later generations leave it alone.
    const again = await harness.run();
    expect(again.record).toMatchObject({ status: 'completed', filesCopied: 0, filesDeleted: 0, conflicts: 0 });
    expect(readTree(area.target)['docs/sub/d.txt']).toBe('d, edited on the target after the conduit wrote it');
  });
});

describe('bidirectional conflict policies (a both-modified file and a modify/delete)', () => {
  const T0 = 1_700_000_000;

  async function conflicted(policy: ConflictPolicy): Promise<EngineHarness> {
    const harness = await setup({ mode: 'bidirectional', conflict: policy, maxDeletePercent: 100 });
    writeTree(area.source, { 'both.txt': { content: 'base', mtime: T0 }, 'md.txt': { content: 'base md', mtime: T0 }, 'plain.txt': 'p' });
    const first = await harness.run();
    expect(first.record).toMatchObject({ status: 'completed', filesCopied: 3 });
    // Both sides edit both.txt (the target later, so it is the newer); the source edits md.txt, the target deletes it.
    writeTree(area.source, { 'both.txt': { content: 'source edit', mtime: T0 + 100 }, 'md.txt': { content: 'source md edit', mtime: T0 + 100 } });
    writeTree(area.target, { 'both.txt': { content: 'target edit!', mtime: T0 + 200 } });
    fs.unlinkSync(join(area.target, 'md.txt'));
    return harness;
  }

  it('keep-both: the newer stays on both sides, the other is a conflict copy on both; the modification is restored', async () => {
    const harness = await conflicted('keep-both');
    const { record } = await harness.run({ now: at(START) });
    expect(record).toMatchObject({ status: 'completed', conflicts: 2, conflictsResolved: 2, errorsEncountered: 0 });
    const expected = {
      'both.txt': 'target edit!',
      [`both.conflict-source-${STAMP}.txt`]: 'source edit',
      'md.txt': 'source md edit',
      'plain.txt': 'p',
    };
    expect(readTree(area.source)).toEqual(expected);
    expect(readTree(area.target)).toEqual(expected);
    expect(harness.store.listConflicts({ conduit: 'c', all: true }).map((c) => [c.path, c.kind, c.resolution])).toEqual([
      ['both.txt', 'both_modified', 'kept_both'],
      ['md.txt', 'modify_delete', 'kept_both'],
    ]);
    expectNoTemps();
    expect((await harness.run()).record).toMatchObject({ filesCopied: 0, filesDeleted: 0, conflicts: 0 });
  });

  it('newer: the newest mtime wins without a copy; the modification wins', async () => {
    const harness = await conflicted('newer');
    const { record } = await harness.run({ now: at(START) });
    expect(record).toMatchObject({ status: 'completed', conflicts: 2, conflictsResolved: 2 });
    const expected = { 'both.txt': 'target edit!', 'md.txt': 'source md edit', 'plain.txt': 'p' };
    expect(readTree(area.source)).toEqual(expected);
    expect(readTree(area.target)).toEqual(expected);
    expect(harness.store.listConflicts({ conduit: 'c', all: true }).map((c) => [c.path, c.resolution])).toEqual([
      ['both.txt', 'accepted_target'],
      ['md.txt', 'accepted_source'],
    ]);
  });

  it('source: the source\'s state wins everywhere', async () => {
    const harness = await conflicted('source');
    const { record } = await harness.run({ now: at(START) });
    expect(record).toMatchObject({ status: 'completed', conflicts: 2, conflictsResolved: 2 });
    const expected = { 'both.txt': 'source edit', 'md.txt': 'source md edit', 'plain.txt': 'p' };
    expect(readTree(area.source)).toEqual(expected);
    expect(readTree(area.target)).toEqual(expected);
  });

  it('target: the target\'s state wins everywhere, its deletion included', async () => {
    const harness = await conflicted('target');
    const { record } = await harness.run({ now: at(START) });
    expect(record).toMatchObject({ status: 'completed', conflicts: 2, conflictsResolved: 2 });
    const expected = { 'both.txt': 'target edit!', 'plain.txt': 'p' };
    expect(readTree(area.source)).toEqual(expected);
    expect(readTree(area.target)).toEqual(expected);
  });

  it('manual: nothing changes at either path, the conflicts stay open', async () => {
    const harness = await conflicted('manual');
    const { record } = await harness.run({ now: at(START) });
    expect(record).toMatchObject({ status: 'completed', conflicts: 2, conflictsResolved: 0, filesCopied: 0, filesDeleted: 0 });
    expect(readTree(area.source)).toEqual({ 'both.txt': 'source edit', 'md.txt': 'source md edit', 'plain.txt': 'p' });
    expect(readTree(area.target)).toEqual({ 'both.txt': 'target edit!', 'plain.txt': 'p' });
    expect(harness.store.listConflicts({ conduit: 'c' }).map((c) => [c.path, c.kind, c.resolution])).toEqual([
      ['both.txt', 'both_modified', 'unresolved'],
      ['md.txt', 'modify_delete', 'unresolved'],
    ]);
  });
});

describe('dry run', () => {
  it('changes no file and no baseline, and records a dry-run generation with the planned counters', async () => {
    const harness = await setup({ mode: 'mirror', maxDeletePercent: 100 });
    writeTree(area.source, { 'a.txt': 'a', 'b.txt': 'b', 'c.txt': 'c' });
    await harness.run();
    put(area.source, 'a.txt', 'a edited, longer');
    put(area.source, 'new/n.txt', 'new');
    fs.unlinkSync(join(area.source, 'c.txt'));
    const before = { source: statTree(area.source), target: statTree(area.target), baseline: harness.store.loadBaseline(1) };
    const stateBefore = harness.store.getConduit('c')!.state;

    const { record } = await harness.run({ dryRun: true });

    expect(record).toMatchObject({
      status: 'completed', dryRun: true, filesCopied: 2, filesDeleted: 1, dirsCreated: 1,
      bytesTransferred: 'a edited, longer'.length + 'new'.length,
    });
    expect(statTree(area.source)).toEqual(before.source);
    expect(statTree(area.target)).toEqual(before.target);
    expect(harness.store.loadBaseline(1)).toEqual(before.baseline);
    expect(harness.store.getConduit('c')!.state).toBe(stateBefore);
    expect(harness.store.listGenerations(1).map((g) => [g.generation, g.dryRun])).toEqual([[2, true], [1, false]]);

    // The real run afterwards does what the dry run said.
    const real = await harness.run();
    expect(real.record).toMatchObject({ dryRun: false, filesCopied: 2, filesDeleted: 1, dirsCreated: 1 });
  });

  it('a dry first generation does not even create the target root', async () => {
    const harness = await setup({ mode: 'mirror' });
    writeTree(area.source, { 'a.txt': 'a' });
    const { record } = await harness.run({ dryRun: true });
    expect(record).toMatchObject({ status: 'completed', dryRun: true, filesCopied: 1 });
    expect(fs.existsSync(area.target)).toBe(false);
    expect(harness.store.loadBaseline(1).size).toBe(0);
  });
});

describe('manual conflicts stay put until resolved', () => {
  it('one open record per path across generations, then resolve with source / target / both / dismiss', async () => {
    const harness = await setup({ mode: 'bidirectional', conflict: 'manual' });
    const T0 = 1_700_000_000;
    const names = ['a', 'b', 'c', 'd'];
    for (const n of names) put(area.source, `${n}.txt`, `base ${n}`, T0);
    await harness.run();
    for (const n of names) {
      put(area.source, `${n}.txt`, `source ${n}`, T0 + 100);
      put(area.target, `${n}.txt`, `target ${n}!`, T0 + 200);
    }
    const sourceState = readTree(area.source);
    const targetState = readTree(area.target);

    const second = await harness.run();
    expect(second.record).toMatchObject({ conflicts: 4, conflictsResolved: 0, filesCopied: 0 });
    const open = harness.store.listConflicts({ conduit: 'c' });
    expect(open.map((c) => c.path)).toEqual(['a.txt', 'b.txt', 'c.txt', 'd.txt']);

    // Met again: not counted again, still one open record per path, files as they were.
    const third = await harness.run();
    expect(third.record).toMatchObject({ conflicts: 0, filesCopied: 0 });
    expect(harness.store.listConflicts({ conduit: 'c' }).map((c) => c.id)).toEqual(open.map((c) => c.id));
    expect(harness.store.listConflicts({ conduit: 'c', all: true })).toHaveLength(4);
    expect(readTree(area.source)).toEqual(sourceState);
    expect(readTree(area.target)).toEqual(targetState);

    const id = (path: string) => open.find((c) => c.path === path)!.id;
    const nodeFs = new NodeFileSystem();
    const when = new Date('2026-03-02T08:00:00.000Z');

    expect(await resolveConflict(harness.store, nodeFs, id('a.txt'), 'source', when)).toMatchObject({ resolution: 'accepted_source' });
    expect(fs.readFileSync(join(area.source, 'a.txt'), 'utf8')).toBe('source a');
    expect(fs.readFileSync(join(area.target, 'a.txt'), 'utf8')).toBe('source a');

    expect(await resolveConflict(harness.store, nodeFs, id('b.txt'), 'target', when)).toMatchObject({ resolution: 'accepted_target' });
    expect(fs.readFileSync(join(area.source, 'b.txt'), 'utf8')).toBe('target b!');
    expect(fs.readFileSync(join(area.target, 'b.txt'), 'utf8')).toBe('target b!');

    expect(await resolveConflict(harness.store, nodeFs, id('c.txt'), 'both', when)).toMatchObject({ resolution: 'kept_both' });
    const copy = 'c.conflict-source-20260302T080000Z.txt';
    for (const root of [area.source, area.target]) {
      expect(fs.readFileSync(join(root, 'c.txt'), 'utf8')).toBe('target c!'); // the newer
      expect(fs.readFileSync(join(root, copy), 'utf8')).toBe('source c');
    }

    expect(await resolveConflict(harness.store, nodeFs, id('d.txt'), 'dismiss', when)).toMatchObject({ resolution: 'dismissed' });
    expect(fs.readFileSync(join(area.source, 'd.txt'), 'utf8')).toBe('source d');
    expect(fs.readFileSync(join(area.target, 'd.txt'), 'utf8')).toBe('target d!');
    expect(harness.store.listConflicts({ conduit: 'c' })).toEqual([]);
    expectNoTemps();

    // The resolved paths are settled: the next generation has nothing to do for them.
    const after = await harness.run();
    expect(after.record).toMatchObject({ status: 'completed', filesCopied: 0, filesDeleted: 0 });
    const reopened = harness.store.listConflicts({ conduit: 'c' }).map((c) => c.path);
    expect(reopened.filter((p) => p !== 'd.txt')).toEqual([]);
  });
});

describe('versioning (SPEC §6)', () => {
  it('an overwritten and a deleted file end up in the versions dir, which is itself never synced', async () => {
    const harness = await setup({ mode: 'mirror', versioning: { dir: '.conduit-versions', keepDays: 30 }, maxDeletePercent: 100 });
    writeTree(area.source, { 'docs/a.txt': 'a v1', 'b.txt': 'b v1', 'c.txt': 'c' });
    await harness.run();
    put(area.source, 'docs/a.txt', 'a v2');
    fs.unlinkSync(join(area.source, 'b.txt'));
    put(area.source, '.conduit-versions/source-own.txt', 'the source side\'s own versions dir');

    const { record } = await harness.run({ now: at(START) });

    expect(record).toMatchObject({ status: 'completed', filesCopied: 1, filesDeleted: 1 });
    expect(readTree(area.target)).toEqual({
      '.conduit-versions/': true,
      '.conduit-versions/b.20260301T101500Z.txt': 'b v1',
      '.conduit-versions/docs/': true,
      '.conduit-versions/docs/a.20260301T101500Z.txt': 'a v1',
      'c.txt': 'c',
      'docs/': true,
      'docs/a.txt': 'a v2',
    });
    // Mirror neither deletes the target's versions nor copies the source's (a day later: within keepDays).
    const again = await harness.run({ now: at(new Date(START.getTime() + 86_400_000)) });
    expect(again.record).toMatchObject({ filesCopied: 0, filesDeleted: 0 });
    expect(readTree(area.target, { skip: ['.conduit-versions'] })).toEqual(readTree(area.source, { skip: ['.conduit-versions'] }));
    expect(fs.existsSync(join(area.target, '.conduit-versions/source-own.txt'))).toBe(false);
    expect(fs.readdirSync(join(area.target, '.conduit-versions')).sort()).toEqual(['b.20260301T101500Z.txt', 'docs']);

    // Past keepDays the versions are pruned; the synced files are untouched.
    await harness.run({ now: at(new Date(START.getTime() + 31 * 86_400_000)) });
    expect(fs.existsSync(join(area.target, '.conduit-versions/b.20260301T101500Z.txt'))).toBe(false);
    expect(fs.existsSync(join(area.target, '.conduit-versions/docs/a.20260301T101500Z.txt'))).toBe(false);
    expect(readTree(area.target, { skip: ['.conduit-versions'] })).toEqual(readTree(area.source, { skip: ['.conduit-versions'] }));
  });

  it('bidirectional: the versions dir of one side never reaches the other', async () => {
    const harness = await setup({ mode: 'bidirectional', versioning: { dir: '.conduit-versions', keepDays: 30 } });
    writeTree(area.source, { 'a.txt': 'a v1' });
    await harness.run();
    put(area.source, 'a.txt', 'a v2, from the source');
    await harness.run({ now: at(START) });
    expect(readTree(area.target)).toEqual({
      '.conduit-versions/': true,
      '.conduit-versions/a.20260301T101500Z.txt': 'a v1',
      'a.txt': 'a v2, from the source',
    });
    const again = await harness.run();
    expect(again.record).toMatchObject({ filesCopied: 0, filesDeleted: 0, conflicts: 0 });
    expect(readTree(area.source)).toEqual({ 'a.txt': 'a v2, from the source' });
  });
});
