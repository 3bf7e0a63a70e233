import { describe, expect, it } from 'vitest';
import { BASELINE_KIND } from '../../src/core/change-set.js';
import { columnsFromBaseline, entryFromBaseline, fileRowCount, pathAt, reportAgainstBaseline, restrictToAffected } from '../../src/core/change-set/index.js';
import type { BaselineEntry, Entry } from '../../src/core/entry.js';

/**
 * The reference comparison of a scan with its side's baseline
 * (core/change-set.ts), case by case: what is reported, what is gone, what
 * the counts say; and the columns it reads.
 */

const row = (kind: BaselineEntry['kind'], over: Partial<BaselineEntry> = {}, ino = 11): BaselineEntry => ({
  kind, size: kind === 'file' ? 4 : 0, hash: null, linkTarget: kind === 'symlink' ? 'x' : null,
  source: { mtimeNs: 50n, mode: kind === 'symlink' ? 0 : 0o644, ino }, target: { mtimeNs: 60n, mode: 0o600, ino: ino + 1 }, ...over,
});
const asRow = (r: BaselineEntry) => entryFromBaseline(r, 'source');
const problem: Entry = { kind: 'problem', code: 'EACCES', message: 'permission denied' };
const COPY = 'a.conflict-target-20200101T000000Z';

describe('columnsFromBaseline', () => {
  it('one row per path in the Map\'s order, this side\'s mtime, mode and inode, link texts by row', () => {
    const baseline = new Map<string, BaselineEntry>([['é/a', row('file', { size: 9 })], ['d', row('dir')], ['l', row('symlink', { linkTarget: 'to' })]]);
    const c = columnsFromBaseline(baseline, 'target');
    expect(c.count).toBe(3);
    expect([0, 1, 2].map((i) => pathAt(c, i))).toEqual(['é/a', 'd', 'l']);
    expect([...c.kinds]).toEqual([BASELINE_KIND.file, BASELINE_KIND.dir, BASELINE_KIND.symlink]);
    expect([...c.sizes]).toEqual([9, 0, 0]);
    expect([...c.mtimes]).toEqual([60n, 60n, 60n]);
    expect([...c.modes]).toEqual([0o600, 0o600, 0o600]);
    expect([...c.inos]).toEqual([12, 12, 12]);
    expect([...c.linkRows]).toEqual([2]);
    expect(c.linkTargets).toEqual(['to']);
    expect(fileRowCount(c)).toBe(2);
    expect(columnsFromBaseline(new Map(), 'source')).toMatchObject({ count: 0, paths: '' });
  });
});

describe('reportAgainstBaseline', () => {
  const f = row('file');
  const l = row('symlink');
  const cases: Array<{ does: string; baseline?: BaselineEntry; entry: Entry; path?: string; reported: boolean }> = [
    { does: 'a file exactly as its row: not reported', baseline: f, entry: asRow(f), reported: false },
    { does: 'another size', baseline: f, entry: { ...(asRow(f) as Extract<Entry, { kind: 'file' }>), size: 5 }, reported: true },
    { does: 'another mtime', baseline: f, entry: { ...(asRow(f) as Extract<Entry, { kind: 'file' }>), mtimeNs: 51n }, reported: true },
    { does: 'another mode', baseline: f, entry: { ...(asRow(f) as Extract<Entry, { kind: 'file' }>), mode: 0o600 }, reported: true },
    { does: 'another inode', baseline: f, entry: { ...(asRow(f) as Extract<Entry, { kind: 'file' }>), ino: 99 }, reported: true },
    { does: 'a row without an inode (0) never matches', baseline: row('file', {}, 0), entry: { ...(asRow(f) as Extract<Entry, { kind: 'file' }>), ino: 0 }, reported: true },
    { does: 'another kind', baseline: f, entry: asRow(l), reported: true },
    { does: 'no row', entry: asRow(f), reported: true },
    { does: 'a link exactly as its row: not reported', baseline: l, entry: asRow(l), reported: false },
    { does: 'a link with another text', baseline: l, entry: { ...(asRow(l) as Extract<Entry, { kind: 'symlink' }>), linkTarget: 'y' }, reported: true },
    { does: 'a link with another mtime (an unreported entry is exactly its row\'s)', baseline: l, entry: { ...(asRow(l) as Extract<Entry, { kind: 'symlink' }>), mtimeNs: 1n }, reported: true },
    { does: 'a directory, even exactly as its row', baseline: row('dir'), entry: asRow(row('dir')), reported: true },
    { does: 'a problem', baseline: f, entry: problem, reported: true },
    { does: 'a conflict copy, even exactly as its row', baseline: f, entry: asRow(f), path: COPY, reported: true },
  ];
  for (const c of cases) {
    it(c.does, () => {
      const path = c.path ?? 'p';
      const baseline = new Map(c.baseline ? [[path, c.baseline]] : []);
      const r = reportAgainstBaseline({ entries: new Map([[path, c.entry]]), root: 'ok' }, columnsFromBaseline(baseline, 'source'));
      expect(r.entries.has(path)).toBe(c.reported);
      expect(r.changes).toEqual({ gone: [], inScope: 1, unchanged: c.reported ? 0 : 1 });
    });
  }

  it('rows the walk did not find are gone, in row order; not those below a problem entry (unknown, not empty)', () => {
    const baseline = new Map([['z', f], ['d', row('dir')], ['d/a', f], ['u', row('dir')], ['u/a', f], ['u/b/c', f], ['k', f]]);
    const entries = new Map<string, Entry>([['u', problem], ['k', asRow(f)]]);
    const r = reportAgainstBaseline({ entries, root: 'ok', extra: 1 }, columnsFromBaseline(baseline, 'source'));
    expect(r.changes).toEqual({ gone: ['z', 'd', 'd/a'], inScope: 2, unchanged: 1 });
    expect([...r.entries.keys()]).toEqual(['u']);
    expect(r.extra).toBe(1); // the rest of the scan result is kept
  });

  it('the fast path: only rows at, under or above the asked-for paths can be gone', () => {
    const baseline = new Map([['a', row('dir')], ['a/b', row('dir')], ['a/b/c', f], ['a/b/c/d', f], ['a/s', f], ['o', f]]);
    const r = reportAgainstBaseline({ entries: new Map(), root: 'ok' }, columnsFromBaseline(baseline, 'source'), { onlyPaths: ['a/b/c'] });
    expect(r.changes.gone).toEqual(['a', 'a/b', 'a/b/c', 'a/b/c/d']);
  });

  it('a root that is not there: nothing is gone', () => {
    const r = reportAgainstBaseline({ entries: new Map(), root: 'missing' }, columnsFromBaseline(new Map([['a', f]]), 'source'));
    expect(r.changes.gone).toEqual([]);
  });

  it('everything: every entry reported (checksum mode), gone as ever', () => {
    const baseline = new Map([['a', f], ['b', f]]);
    const r = reportAgainstBaseline({ entries: new Map([['a', asRow(f)]]) }, columnsFromBaseline(baseline, 'source'), { everything: true });
    expect([...r.entries.keys()]).toEqual(['a']);
    expect(r.changes).toEqual({ gone: ['b'], inScope: 1, unchanged: 0 });
  });
});

describe('restrictToAffected', () => {
  it('puts back, for the affected paths, the entries the scans left out; none when gone, below a problem of that side, or without a row', () => {
    const f = row('file');
    const rows = new Map([['kept', f], ['gone', f], ['u/x', f]]);
    const small = restrictToAffected(
      rows,
      { entries: new Map<string, Entry>([['new', asRow(f)], ['u', problem]]), changes: { gone: ['gone'] } },
      { entries: new Map<string, Entry>([['kept', { ...(asRow(f) as Extract<Entry, { kind: 'file' }>), mtimeNs: 1n }]]), changes: { gone: [] } },
    );
    expect([...small.baseline.keys()]).toEqual(['gone', 'kept', 'u/x']);
    expect([...small.source.keys()]).toEqual(['kept', 'new', 'u']);
    expect(small.source.get('kept')).toEqual(entryFromBaseline(f, 'source'));
    expect([...small.target.keys()]).toEqual(['gone', 'kept', 'u/x']);
    expect(small.target.get('gone')).toEqual(entryFromBaseline(f, 'target'));
    expect(small.target.get('kept')).toMatchObject({ mtimeNs: 1n });
  });
});
