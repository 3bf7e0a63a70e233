import { describe, expect, it } from 'vitest';
import type { SideBaselineColumns } from '../../src/core/change-set.js';
import {
  columnRuns, columnsBytesBound, columnsOfRows, concatColumns, rowsWithinPaths, sliceColumns,
} from '../../src/core/change-set/column-rows.js';
import { columnsFromBaseline, pathAt } from '../../src/core/change-set/columns.js';
import { comparePaths, type BaselineEntry } from '../../src/core/entry.js';
import { withinPaths } from '../../src/core/scope.js';

/** Rows of every kind, with names that share prefixes ("a/b" and "a/bc", "a/b c"), a link, non-ASCII names. */
function baseline(): Map<string, BaselineEntry> {
  const paths = ['a', 'a/b', 'a/b c', 'a/b/c', 'a/b/c/d.txt', 'a/bc', 'a/bc/x', 'a/link', 'é', 'é/ü.txt', 'z', 'z/1', 'z/2'];
  const out = new Map<string, BaselineEntry>();
  paths.sort(comparePaths).forEach((path, i) => {
    const state = (side: number) => ({ mtimeNs: BigInt(1_000_000_007 * (i + 1) + side), mode: 0o600 + i, ino: 100 + i * 3 + side });
    const kind = path === 'a/link' ? 'symlink' : ['a', 'a/b', 'a/b/c', 'a/bc', 'é', 'z'].includes(path) ? 'dir' : 'file';
    out.set(path, { kind, size: kind === 'file' ? i * 11 : 0, hash: null, linkTarget: kind === 'symlink' ? `../target-${i}` : null, source: state(0), target: state(1) });
  });
  return out;
}

/** Columns as plain values, for a readable diff. */
function plain(c: SideBaselineColumns) {
  return {
    side: c.side, count: c.count,
    paths: Array.from({ length: c.count }, (_, i) => pathAt(c, i)),
    kinds: [...c.kinds], sizes: [...c.sizes], mtimes: [...c.mtimes], modes: [...c.modes], inos: [...c.inos],
    links: [...c.linkRows].map((row, k) => [row, c.linkTargets[k]]),
    text: c.paths, offsets: [...c.offsets],
  };
}

describe('baseline columns in parts', () => {
  const columns = columnsFromBaseline(baseline(), 'target');

  it('rowsWithinPaths keeps exactly the rows the fast path scope holds (core/scope.ts withinPaths)', () => {
    for (const asked of [['a/b'], ['a/b/c/d.txt'], ['a/bc/x', 'z'], ['a/b/c', 'a/b/c/d.txt'], ['a/bc', 'z/2'], ['é/ü.txt'], ['missing/x'], ['a/b c']]) {
      const inScope = withinPaths(asked);
      const expected = Array.from({ length: columns.count }, (_, i) => i).filter((i) => inScope(pathAt(columns, i)));
      expect(rowsWithinPaths(columns, asked), asked.join(',')).toEqual(expected);
    }
    // "a/b" takes its subtree and its ancestor, not its neighbours "a/bc" or "a/b c".
    expect(rowsWithinPaths(columns, ['a/b']).map((i) => pathAt(columns, i))).toEqual(['a', 'a/b', 'a/b/c', 'a/b/c/d.txt']);
  });

  it('columnsOfRows keeps each chosen row whole (its link text included), in order', () => {
    const rows = [1, 4, 7, 9];
    const part = plain(columnsOfRows(columns, rows));
    const all = plain(columns);
    expect(part.paths).toEqual(rows.map((r) => all.paths[r]));
    expect(part.mtimes).toEqual(rows.map((r) => all.mtimes[r]));
    expect(part.inos).toEqual(rows.map((r) => all.inos[r]));
    expect(part.links).toEqual(all.links.filter(([row]) => rows.includes(row as number)).map(([row, text]) => [rows.indexOf(row as number), text]));
  });

  it('runs within a budget, sliced and put back together, are the columns again (on shared buffers or not)', () => {
    for (const budget of [1, 150, 400, 100_000]) {
      const runs = columnRuns(columns, budget);
      expect(runs[0]![0]).toBe(0);
      expect(runs[runs.length - 1]![1]).toBe(columns.count);
      runs.forEach(([start, end], k) => {
        if (k > 0) expect(start).toBe(runs[k - 1]![1]);
        const piece = sliceColumns(columns, start, end);
        if (end - start > 1) expect(columnsBytesBound(piece)).toBeLessThanOrEqual(budget);
      });
      for (const shared of [false, true]) {
        const back = concatColumns('target', runs.map(([s, e]) => sliceColumns(columns, s, e)), shared);
        expect(plain(back)).toEqual(plain(columns));
        expect(back.inos.buffer instanceof SharedArrayBuffer).toBe(shared);
      }
    }
    expect(columnRuns(columns, 1)).toHaveLength(columns.count);
  });

  it('an empty baseline is one empty run, and comes back empty', () => {
    const empty = columnsFromBaseline(new Map(), 'source');
    expect(columnRuns(empty, 1000)).toEqual([[0, 0]]);
    expect(plain(concatColumns('source', [sliceColumns(empty, 0, 0)]))).toEqual(plain(empty));
  });

  it('a piece that is not whole is refused by name', () => {
    const piece = sliceColumns(columns, 0, 3);
    expect(() => concatColumns('target', [{ ...piece, count: 4 }])).toThrow(/baseline columns of target: a piece of 4 rows is not whole/);
  });
});
