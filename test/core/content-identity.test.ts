import { describe, expect, it } from 'vitest';
import { conflictCopyName, conflictCopyOrigin, isConflictCopy } from '../../src/core/conflict-name.js';
import { filesToHash } from '../../src/core/content-check.js';
import { baselineFromPair, baselineFromWrittenPair, quickCheckMatches, sameContent, type FileEntry } from '../../src/core/entry.js';
import { nextBaseline } from '../../src/core/next-baseline.js';
import { reconcile } from '../../src/core/reconcile.js';
import { baselineOf, fileEntry, generationInMemory, hashOf, landedOutcomes, tree, type TreeSpec } from './support.js';

/**
 * The pieces of SPEC §3's "identity across sides is decided by content":
 * which files get hashed, what counts as the same, how a conflict copy is
 * traced back to its path, and what the next baseline may record as in sync.
 */

const STAMP = '20261122T101500Z';
const OLD = '20200101T000000Z';
const hashed = (e: FileEntry, content: string): FileEntry => ({ ...e, hash: hashOf(content) });

describe('sameContent: a file whose hash is unknown is never identical', () => {
  const a = fileEntry('AAAA', 50);
  const b = fileEntry('AAAA', 50);
  it('equal size and mtime without hashes: not the same', () => {
    expect(sameContent(a, b)).toBe(false);
    expect(sameContent(hashed(a, 'AAAA'), b)).toBe(false);
  });
  it('equal hashes: the same, whatever the mtimes and modes', () => {
    expect(sameContent(hashed(fileEntry('AAAA', 1, 0o600), 'AAAA'), hashed(fileEntry('AAAA', 99), 'AAAA'))).toBe(true);
  });
  it('different hashes: not the same, even with equal size and mtime', () => {
    expect(sameContent(hashed(a, 'AAAA'), hashed(fileEntry('BBBB', 50), 'BBBB'))).toBe(false);
  });
  it('mirror\'s quick check is only size, mtime and mode (and hashes when both are known)', () => {
    expect(quickCheckMatches(fileEntry('AAAA', 50), fileEntry('BBBB', 50))).toBe(true);
    expect(quickCheckMatches(fileEntry('AAAA', 50), fileEntry('AAAA', 50, 0o600))).toBe(false);
    expect(quickCheckMatches(hashed(fileEntry('AAAA', 50), 'AAAA'), hashed(fileEntry('BBBB', 50), 'BBBB'))).toBe(false);
  });
  it('a baseline is built from a pair only with equal hashes; a written pair is in sync by construction', () => {
    expect(baselineFromPair(a, b)).toBeUndefined();
    expect(baselineFromPair(hashed(a, 'AAAA'), hashed(b, 'AAAA'))?.hash).toBe(hashOf('AAAA'));
    expect(baselineFromWrittenPair(a, b, 'h1')?.hash).toBe('h1');
    expect(baselineFromWrittenPair(a, fileEntry('AAAAA', 50), 'h1')).toBeUndefined(); // not what was written
  });
});

describe('filesToHash: exactly the files reconcile will compare', () => {
  it('bidirectional: both changed to the same size, whatever the mtimes; not different sizes, not a side unchanged since the baseline', () => {
    const baseline = baselineOf({ 'same-mtime': ['v1', 10], 'other-mtime': ['v1', 10], 'sizes': ['v1', 10], 'one-side': ['v1', 10] });
    const source = tree({ 'same-mtime': ['AAAA', 50], 'other-mtime': ['AAAA', 50], 'sizes': ['AAAA', 50], 'one-side': ['AAAA', 50], 'new': ['xx', 7] });
    const target = tree({ 'same-mtime': ['BBBB', 50], 'other-mtime': ['BBBB', 60], 'sizes': ['BBB', 60], 'one-side': ['v1', 10], 'new': ['yy', 8] });
    expect(filesToHash('bidirectional', false, baseline, source, target)).toEqual({
      source: ['new', 'other-mtime', 'same-mtime'], target: ['new', 'other-mtime', 'same-mtime'],
    });
    expect(filesToHash('selective', false, baseline, source, target)).toEqual({
      source: ['new', 'other-mtime', 'same-mtime'], target: ['new', 'other-mtime', 'same-mtime'],
    });
  });

  it('mirror hashes nothing; checksum mode hashes every file', () => {
    const source = tree({ 'a': ['AAAA', 50], 'd/b': 'b' });
    const target = tree({ 'a': ['BBBB', 50] });
    expect(filesToHash('mirror', false, new Map(), source, target)).toEqual({ source: [], target: [] });
    expect(filesToHash('mirror', true, new Map(), source, target)).toEqual({ source: ['a', 'd/b'], target: ['a'] });
  });

  it('a possible loser and the conflict copies of its path with its size, on either side, any label', () => {
    const copyT = `a.conflict-target-${OLD}.txt`;
    const copyS2 = `a.conflict-source-${OLD}-2.txt`;
    const bigger = `a.conflict-target-${OLD}-3.txt`;
    const baseline = baselineOf({ 'a.txt': ['v1', 10], [copyT]: ['lost', 5] });
    const source = tree({ 'a.txt': ['newer source', 30], [copyT]: ['lost', 5], [bigger]: ['much bigger', 5] });
    const target = tree({ 'a.txt': ['lost', 20], [copyT]: ['lost', 5], [copyS2]: ['LOST', 5] });
    expect(filesToHash('bidirectional', false, baseline, source, target)).toEqual({
      source: [copyT], target: [copyS2, copyT, 'a.txt'],
    });
    // Selective saves the target's version on the target: only copies there can hold it.
    expect(filesToHash('selective', false, baseline, source, target)).toEqual({ source: [], target: [copyS2, copyT, 'a.txt'] });
  });

  it('a file unchanged since the baseline cannot lose a conflict: its copies are not hashed for it', () => {
    const copyT = `a.conflict-target-${OLD}.txt`;
    const baseline = baselineOf({ 'a.txt': ['lost', 10], [copyT]: ['lost', 5] });
    const source = tree({ 'a.txt': ['lost', 10], [copyT]: ['lost', 5] });
    expect(filesToHash('bidirectional', false, baseline, source, source)).toEqual({ source: [], target: [] });
  });
});

describe('conflictCopyOrigin: the path a conflict copy was made of', () => {
  for (const path of ['notes.txt', 'd/e/a.tar.gz', '.env', 'README', 'x.']) {
    it(`inverts conflictCopyName for ${path}, either side, with or without -n`, () => {
      for (const side of ['source', 'target'] as const) {
        for (const suffix of ['', '-2', '-17']) {
          const copy = conflictCopyName(path, side, STAMP, suffix);
          expect(isConflictCopy(copy)).toBe(true);
          expect(conflictCopyOrigin(copy)).toBe(path);
        }
      }
    });
  }
  it('is null for a path that is not a conflict copy', () => {
    expect(conflictCopyOrigin('notes.txt')).toBeNull();
    expect(conflictCopyOrigin('a.conflict-other-20200101T000000Z.txt')).toBeNull();
    expect(conflictCopyOrigin('d/a.conflict-source-2020.txt')).toBeNull();
  });
});

describe('nextBaseline: only proven pairs are recorded as in sync', () => {
  it('bidirectional first sync of identical trees (same files, hashed): every pair is recorded, with its hash', () => {
    const spec: TreeSpec = { 'a.txt': ['AAAA', 50], 'd/b.txt': ['BB', 60] };
    const g = generationInMemory({ mode: 'bidirectional', policy: 'keep-both', baseline: new Map(), source: tree(spec), target: tree(spec), stamp: STAMP });
    expect(g.plan.actions).toEqual([]);
    expect([...g.baseline.keys()].sort()).toEqual(['a.txt', 'd', 'd/b.txt']);
    expect(g.baseline.get('a.txt')?.hash).toBe(hashOf('AAAA'));
  });

  it('mirror first sync onto a target that passes the quick check: recorded (the delete guard counts them), hash unknown', () => {
    const g = generationInMemory({
      mode: 'mirror', policy: 'keep-both', baseline: new Map(), source: tree({ 'a.txt': ['AAAA', 50] }), target: tree({ 'a.txt': ['BBBB', 50] }), stamp: STAMP,
    });
    expect(g.plan.actions).toEqual([]);
    expect(g.baseline.get('a.txt')).toMatchObject({ kind: 'file', size: 4, hash: null });
  });

  it('a copy that landed is in sync by construction and keeps the origin\'s hash', () => {
    const source = new Map(tree({ 'new.txt': ['fresh', 10] }));
    source.set('new.txt', hashed(source.get('new.txt') as FileEntry, 'fresh'));
    const plan = reconcile({ mode: 'bidirectional', policy: 'keep-both', baseline: new Map(), source, target: new Map(), stamp: STAMP });
    const after = { source: new Map(source), target: new Map([['new.txt', fileEntry('fresh', 10)]]) }; // the disk gives no hash back
    const changes = nextBaseline(new Map(), source, new Map(), plan, landedOutcomes(plan, after));
    expect(changes.upserts.get('new.txt')).toMatchObject({ kind: 'file', size: 5, hash: hashOf('fresh') });
  });

  it('an untouched pair with equal size and mtime is recorded only when hashes prove it (or, for mirror, its quick check)', () => {
    const source = tree({ 'same.txt': ['AAAA', 50] });
    const target = tree({ 'same.txt': ['BBBB', 50] });
    const nothing = { actions: [], conflicts: [], skips: [], forget: [], hold: [] };
    expect(nextBaseline(new Map(), source, target, nothing, []).upserts.size).toBe(0);
    expect(nextBaseline(new Map(), source, target, { ...nothing, identity: 'quick-check' }, []).upserts.size).toBe(1);
    const s = new Map(source).set('same.txt', hashed(source.get('same.txt') as FileEntry, 'AAAA'));
    const t = new Map(target).set('same.txt', hashed(target.get('same.txt') as FileEntry, 'AAAA'));
    expect(nextBaseline(new Map(), s, t, nothing, []).upserts.get('same.txt')?.hash).toBe(hashOf('AAAA'));
  });
});
