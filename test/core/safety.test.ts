import { describe, expect, it } from 'vitest';
import { reconcile } from '../../src/core/reconcile.js';
import { rootEmptied, rootsOverlap, rootUnavailable, tooManyDeletes } from '../../src/core/safety.js';
import { baselineOf, tree } from './support.js';

const TEN = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`f${i}.txt`, `file ${i}`]));

function planDeleting(n: number) {
  const source = Object.fromEntries(Object.entries(TEN).slice(n));
  return {
    baseline: baselineOf(TEN),
    target: tree(TEN),
    plan: reconcile({ mode: 'mirror', policy: 'keep-both', baseline: baselineOf(TEN), source: tree(source), target: tree(TEN), stamp: 'S' }),
  };
}

describe('safety guards (SPEC §4)', () => {
  it('refuses a plan deleting more than maxDeletePercent of what the side held, not one at the limit', () => {
    const five = planDeleting(5);
    expect(tooManyDeletes(five.plan, 'target', five.target, five.baseline, 50)).toBeNull();
    const six = planDeleting(6);
    expect(tooManyDeletes(six.plan, 'target', six.target, six.baseline, 50)).toMatch(/would delete 6 of 10 files on the target \(60% > maxDeletePercent 50\)/);
    expect(tooManyDeletes(six.plan, 'source', six.target, six.baseline, 50)).toBeNull();
  });

  it('counts against what the side holds now when there is no baseline yet (first sync)', () => {
    const target = tree({ ...TEN, 'extra1.txt': 'x', 'extra2.txt': 'y' });
    const plan = reconcile({ mode: 'mirror', policy: 'keep-both', baseline: new Map(), source: tree({ 'only.txt': 'o' }), target, stamp: 'S' });
    expect(tooManyDeletes(plan, 'target', target, new Map(), 50)).toMatch(/would delete 12 of 12 files/);
  });

  it('refuses an emptied root only while the baseline holds files for it', () => {
    expect(rootEmptied('source', new Map(), baselineOf(TEN))).toMatch(/source root is empty but held 10 files/);
    expect(rootEmptied('source', new Map(), new Map())).toBeNull();
    expect(rootEmptied('source', tree({ 'a.txt': 'a' }), baselineOf(TEN))).toBeNull();
  });

  it('names a missing, non-directory or unreadable root', () => {
    expect(rootUnavailable('source', 'ok')).toBeNull();
    expect(rootUnavailable('source', 'missing')).toBe('source root is missing');
    expect(rootUnavailable('target', 'not_a_directory', '/x')).toBe('target root is not a directory (/x)');
    expect(rootUnavailable('target', 'unreadable')).toBe('target root is unreadable');
  });

  it('refuses roots that are the same directory or nested, but not siblings sharing a prefix', () => {
    expect(rootsOverlap('/data/a', '/data/a')).toMatch(/same directory/);
    expect(rootsOverlap('/data/a/', '/data/a')).toMatch(/same directory/);
    expect(rootsOverlap('/data/a', '/data/a/backup')).toMatch(/target \/data\/a\/backup is inside the source/);
    expect(rootsOverlap('/data/a/inner', '/data/a')).toMatch(/source \/data\/a\/inner is inside the target/);
    expect(rootsOverlap('/data/a', '/data/ab')).toBeNull();
    expect(rootsOverlap('/', '/data')).toMatch(/inside the source/);
  });
});
