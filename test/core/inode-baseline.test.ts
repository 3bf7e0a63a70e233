import { describe, expect, it } from 'vitest';
import { baselineFromWrittenPair, changedSinceBaseline, type BaselineEntry, type Entry, type FileEntry } from '../../src/core/entry.js';
import { nextBaseline } from '../../src/core/next-baseline.js';
import type { Plan } from '../../src/core/plan.js';
import { baselineOf, fileEntry, generationInMemory, reconcileAsEngine, tree } from './support.js';

/**
 * The baseline records each side's inode (issue 9): a file replaced by
 * another of the same size, mtime and mode is a change; a row that does not
 * know an inode (written before issue 9) says nothing either way and learns
 * it once; the next baseline writes a refreshed inode back.
 */

const STAMP = '20261122T101500Z';
const NOTHING: Plan = { actions: [], conflicts: [], skips: [], forget: [], hold: [], identity: 'content' };
const withIno = (e: FileEntry, ino: number): FileEntry => ({ ...e, ino });
const rowOf = (e: Entry, sourceIno: number | undefined, targetIno: number | undefined): BaselineEntry => {
  const b = baselineFromWrittenPair(e, e, null)!;
  const side = (ino: number | undefined) => (ino === undefined ? { mtimeNs: b.source.mtimeNs, mode: b.source.mode } : { ...b.source, ino });
  return { ...b, source: side(sourceIno), target: side(targetIno) };
};

describe('changedSinceBaseline and the inode', () => {
  const file = fileEntry('AAAA', 50);
  const link: Entry = { kind: 'symlink', linkTarget: 'x', mtimeNs: 5n, ino: 7 };
  const rows: Array<{ does: string; entry: Entry; row: BaselineEntry; changed: boolean }> = [
    { does: 'a file with the recorded inode and stat: unchanged', entry: withIno(file, 11), row: rowOf(file, 11, 12), changed: false },
    { does: 'another inode, same size, mtime and mode: changed (replaced)', entry: withIno(file, 99), row: rowOf(file, 11, 12), changed: true },
    { does: 'a row without an inode: the stat decides alone', entry: withIno(file, 99), row: rowOf(file, undefined, undefined), changed: false },
    { does: 'a row with inode 0 (unknown): the stat decides alone', entry: withIno(file, 99), row: rowOf(file, 0, 0), changed: false },
    { does: 'an entry with inode 0 (a filesystem without them): the stat decides alone', entry: withIno(file, 0), row: rowOf(file, 11, 12), changed: false },
    { does: 'a link with the recorded inode and text: unchanged', entry: link, row: rowOf(link, 7, 8), changed: false },
    { does: 'a link with another inode, same text: changed', entry: { ...link, ino: 70 }, row: rowOf(link, 7, 8), changed: true },
  ];
  for (const r of rows) {
    it(r.does, () => {
      expect(changedSinceBaseline(r.entry, r.row, 'source')).toBe(r.changed);
    });
  }
  it('a directory\'s inode is not compared (its children carry the change)', () => {
    const dir: Entry = { kind: 'dir', mode: 0o755, mtimeNs: 1n, ino: 5 };
    expect(changedSinceBaseline({ ...dir, ino: 6 }, rowOf(dir, undefined, undefined), 'source')).toBe(false);
  });
});

describe('the baseline records and refreshes inodes', () => {
  it('a written pair records each side\'s inode (files and links), none for directories', () => {
    const s = withIno(fileEntry('AAAA', 50), 11);
    const t = withIno(fileEntry('AAAA', 50), 12);
    expect(baselineFromWrittenPair(s, t, null)).toMatchObject({ source: { ino: 11 }, target: { ino: 12 } });
    const dir = baselineFromWrittenPair({ kind: 'dir', mode: 0o755, mtimeNs: 1n, ino: 5 }, { kind: 'dir', mode: 0o755, mtimeNs: 1n, ino: 6 }, null)!;
    expect(dir.source.ino).toBeUndefined();
    expect(dir.target.ino).toBeUndefined();
  });

  it('an unchanged pair whose row knows no inode is written back once with both inodes', () => {
    const s = withIno(fileEntry('AAAA', 50), 11);
    const t = withIno(fileEntry('AAAA', 50), 12);
    const baseline = new Map([['a', rowOf(s, undefined, undefined)]]);
    const first = nextBaseline(baseline, new Map([['a', s]]), new Map([['a', t]]), NOTHING, []);
    expect(first.upserts.get('a')).toMatchObject({ hash: null, source: { ino: 11, mtimeNs: s.mtimeNs }, target: { ino: 12 } });
    expect(first.deletes).toEqual([]);
    const again = nextBaseline(new Map([['a', first.upserts.get('a')!]]), new Map([['a', s]]), new Map([['a', t]]), NOTHING, []);
    expect(again.upserts.size).toBe(0);
  });

  it('an unchanged link whose mtime moved (its text did not) is written back with the new mtime', () => {
    const link: Entry = { kind: 'symlink', linkTarget: 'x', mtimeNs: 5n, ino: 7 };
    const baseline = new Map([['l', rowOf(link, 7, 7)]]);
    const moved: Entry = { ...link, mtimeNs: 9n };
    const changes = nextBaseline(baseline, new Map([['l', moved]]), new Map([['l', link]]), NOTHING, []);
    expect(changes.upserts.get('l')).toMatchObject({ source: { mtimeNs: 9n, ino: 7 }, target: { mtimeNs: 5n } });
  });

  it('bidirectional: a file replaced on the target by another of the same size, mtime and mode is propagated', () => {
    const spec = { 'a.txt': ['AAAA', 50] as [string, number] };
    const source = tree(spec);
    const target = tree(spec);
    const baseline = new Map(baselineOf(spec));
    const inoOf = (snap: ReadonlyMap<string, Entry>) => (snap.get('a.txt') as FileEntry).ino;
    baseline.set('a.txt', rowOf(source.get('a.txt')!, inoOf(source), inoOf(target)));
    const replaced = new Map(target).set('a.txt', { ...fileEntry('BBBB', 50), ino: 4242 });
    const { plan } = reconcileAsEngine({ mode: 'bidirectional', policy: 'keep-both', baseline, source, target: replaced, stamp: STAMP });
    expect(plan.actions.map((a) => `${a.op} ${a.path}`)).toEqual(['copy a.txt']);
    expect(plan.actions[0]).toMatchObject({ from: 'target', to: 'source' });
    // Nothing replaced: nothing to do, and a generation leaves the row as it is.
    const g = generationInMemory({ mode: 'bidirectional', policy: 'keep-both', baseline, source, target, stamp: STAMP });
    expect(g.plan.actions).toEqual([]);
    expect(g.baseline.get('a.txt')).toEqual(baseline.get('a.txt'));
  });
});

describe('nextBaseline below an unreadable directory', () => {
  it('rows below a directory unreadable on both sides are kept, not forgotten (the next readable scan still knows what was synced)', () => {
    const baseline = baselineOf({ 'd/x': 'x', 'd/y': 'y', 'k': 'k' });
    const unreadable: Entry = { kind: 'problem', code: 'EACCES', message: 'permission denied' };
    const side = () => new Map<string, Entry>([...tree({ 'k': 'k' })].concat([['d', unreadable]]));
    const changes = nextBaseline(baseline, side(), side(), NOTHING, []);
    expect(changes.deletes).toEqual([]);
  });
});
