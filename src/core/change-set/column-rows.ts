import type { SideBaselineColumns } from '../change-set.js';
import { ancestorsOf } from '../entry.js';

/**
 * Parts of one side's baseline columns (core/change-set.ts), for the trip to
 * a remote agent (remote/wire/walk-wire.ts): the rows a fast-path walk can need,
 * a run of rows to send as one piece, and the pieces put back together.
 * Row order is kept throughout; a part is itself a SideBaselineColumns.
 */

/**
 * The rows a scan with `onlyPaths` can look at: those at, under or above
 * (the ancestors of) an asked-for path — the fast path's scope
 * (core/scope.ts `withinPaths`, `BaselineMatch.gone`). A walk against these
 * rows answers exactly what it answers against all of them: it never meets
 * a path outside that scope, and no row outside it can be gone.
 */
export function rowsWithinPaths(columns: SideBaselineColumns, onlyPaths: readonly string[]): number[] {
  // Per row, one pass over its characters and no string made: a running hash of the path is looked
  // up at each '/' (a prefix that is an asked path: the row is under it) and at the end (the row is
  // an asked path, or an ancestor of one), and only a hash hit is compared character by character.
  // A row whose first prefixes lead away from every asked path stops there. A serve change runs this
  // over the whole side: ~10 ms for 200,000 rows on a loaded 2-core machine, where a string and a set
  // lookup per row and per prefix took ~80-130 ms.
  const asked = byHash(onlyPaths);
  const above = byHash(onlyPaths.flatMap((p) => ancestorsOf(p)));
  const { count, paths, offsets } = columns;
  const out: number[] = [];
  for (let row = 0; row < count; row++) {
    const start = offsets[row]!;
    const end = offsets[row + 1]! - 1;
    let h = FNV_BASIS;
    let inScope = false;
    let outside = false;
    for (let i = start; i < end; i++) {
      const c = paths.charCodeAt(i);
      if (c === 47) {
        if (holds(asked, h, paths, start, i)) {
          inScope = true;
          break;
        }
        // A prefix that is neither asked nor above an asked path: nothing below it is in scope (most rows end here).
        if (!holds(above, h, paths, start, i)) {
          outside = true;
          break;
        }
      }
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    if (inScope || (!outside && (holds(asked, h, paths, start, end) || holds(above, h, paths, start, end)))) out.push(row);
  }
  return out;
}

const FNV_BASIS = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

function hashOf(path: string): number {
  let h = FNV_BASIS;
  for (let i = 0; i < path.length; i++) h = Math.imul(h ^ path.charCodeAt(i), FNV_PRIME);
  return h;
}

function byHash(list: readonly string[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const path of new Set(list)) {
    const h = hashOf(path);
    const same = out.get(h);
    if (same === undefined) out.set(h, [path]);
    else same.push(path);
  }
  return out;
}

/** `text.slice(start, end)` (whose running hash is `h`) is one of `set`'s paths. */
function holds(set: ReadonlyMap<number, readonly string[]>, h: number, text: string, start: number, end: number): boolean {
  const candidates = set.get(h);
  if (candidates === undefined) return false;
  return candidates.some((p) => p.length === end - start && text.startsWith(p, start));
}

/** The given rows (ascending) as columns of their own, in that order. */
export function columnsOfRows(columns: SideBaselineColumns, rows: readonly number[]): SideBaselineColumns {
  const count = rows.length;
  const offsets = new Uint32Array(count + 1);
  const kinds = new Uint8Array(count);
  const sizes = new Float64Array(count);
  const mtimes = new BigInt64Array(count);
  const modes = new Uint16Array(count);
  const inos = new Float64Array(count);
  const parts: string[] = [];
  const linkRows: number[] = [];
  const linkTargets: string[] = [];
  const linkAt = linkIndex(columns);
  let at = 0;
  rows.forEach((row, i) => {
    const start = columns.offsets[row]!;
    const end = columns.offsets[row + 1]!;
    offsets[i] = at;
    parts.push(columns.paths.slice(start, end));
    at += end - start;
    kinds[i] = columns.kinds[row]!;
    sizes[i] = columns.sizes[row]!;
    mtimes[i] = columns.mtimes[row]!;
    modes[i] = columns.modes[row]!;
    inos[i] = columns.inos[row]!;
    const k = linkAt.get(row);
    if (k !== undefined) {
      linkRows.push(i);
      linkTargets.push(columns.linkTargets[k]!);
    }
  });
  offsets[count] = at;
  return { side: columns.side, count, paths: parts.join(''), offsets, kinds, sizes, mtimes, modes, inos, linkRows: Uint32Array.from(linkRows), linkTargets };
}

function linkIndex(columns: SideBaselineColumns): Map<number, number> {
  const out = new Map<number, number>();
  columns.linkRows.forEach((row, k) => out.set(row, k));
  return out;
}

/**
 * Rows `start` to `end` (exclusive) as columns of their own. The numeric
 * columns are views into the originals (nothing is copied but the offsets,
 * rebased, and the path text).
 */
export function sliceColumns(columns: SideBaselineColumns, start: number, end: number): SideBaselineColumns {
  const base = columns.offsets[start]!;
  const offsets = new Uint32Array(end - start + 1);
  for (let i = start; i <= end; i++) offsets[i - start] = columns.offsets[i]! - base;
  const linkRows: number[] = [];
  const linkTargets: string[] = [];
  columns.linkRows.forEach((row, k) => {
    if (row >= start && row < end) {
      linkRows.push(row - start);
      linkTargets.push(columns.linkTargets[k]!);
    }
  });
  return {
    side: columns.side, count: end - start, paths: columns.paths.slice(base, columns.offsets[end]!), offsets,
    kinds: columns.kinds.subarray(start, end), sizes: columns.sizes.subarray(start, end), mtimes: columns.mtimes.subarray(start, end),
    modes: columns.modes.subarray(start, end), inos: columns.inos.subarray(start, end),
    linkRows: Uint32Array.from(linkRows), linkTargets,
  };
}

/**
 * Upper bound of the bytes row `row` takes once encoded (MessagePack: the
 * path as UTF-8, at most 3 bytes per UTF-16 code unit; the numbers as raw
 * bytes; a link text with its string header).
 */
function rowBytesBound(columns: SideBaselineColumns, row: number, linkLength: number): number {
  const pathUnits = columns.offsets[row + 1]! - columns.offsets[row]!;
  return 3 * pathUnits + 4 + 1 + 8 + 8 + 2 + 8 + (linkLength < 0 ? 0 : 4 + 5 + 3 * linkLength);
}

/**
 * Consecutive runs of rows, each encoding to at most `budget` bytes (a row
 * larger than the budget alone is a run of its own), covering every row in
 * order. An empty baseline is one empty run, so that it still travels.
 */
export function columnRuns(columns: SideBaselineColumns, budget: number): Array<readonly [start: number, end: number]> {
  const linkLengths = new Map<number, number>();
  columns.linkRows.forEach((row, k) => linkLengths.set(row, columns.linkTargets[k]!.length));
  const runs: Array<readonly [number, number]> = [];
  let start = 0;
  let bytes = 0;
  for (let row = 0; row < columns.count; row++) {
    const size = rowBytesBound(columns, row, linkLengths.get(row) ?? -1);
    if (row > start && bytes + size > budget) {
      runs.push([start, row]);
      start = row;
      bytes = 0;
    }
    bytes += size;
  }
  if (runs.length === 0 || start < columns.count) runs.push([start, columns.count]);
  return runs;
}

/** The encoded size bound of all of `columns` (columnRuns' measure). */
export function columnsBytesBound(columns: SideBaselineColumns): number {
  let total = 0;
  const linkLengths = new Map<number, number>();
  columns.linkRows.forEach((row, k) => linkLengths.set(row, columns.linkTargets[k]!.length));
  for (let row = 0; row < columns.count; row++) total += rowBytesBound(columns, row, linkLengths.get(row) ?? -1);
  return total;
}

/**
 * Pieces (consecutive runs, in order) put back into one SideBaselineColumns.
 * `shared`: the numeric columns on SharedArrayBuffers, so that a scan worker
 * they are posted to shares them instead of copying (engine/scan-pool.ts).
 */
export function concatColumns(side: SideBaselineColumns['side'], pieces: readonly SideBaselineColumns[], shared = false): SideBaselineColumns {
  const count = pieces.reduce((n, p) => n + p.count, 0);
  const buffer = (bytes: number): ArrayBuffer | SharedArrayBuffer => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const offsets = new Uint32Array(buffer(4 * (count + 1)));
  const kinds = new Uint8Array(buffer(count));
  const sizes = new Float64Array(buffer(8 * count));
  const mtimes = new BigInt64Array(buffer(8 * count));
  const modes = new Uint16Array(buffer(2 * count));
  const inos = new Float64Array(buffer(8 * count));
  const linkRows: number[] = [];
  const linkTargets: string[] = [];
  const texts: string[] = [];
  let row = 0;
  let at = 0;
  for (const piece of pieces) {
    if (piece.offsets.length !== piece.count + 1 || piece.kinds.length !== piece.count || piece.sizes.length !== piece.count
      || piece.mtimes.length !== piece.count || piece.modes.length !== piece.count || piece.inos.length !== piece.count
      || piece.linkRows.length !== piece.linkTargets.length || piece.offsets[piece.count] !== piece.paths.length) {
      throw new Error(`baseline columns of ${side}: a piece of ${piece.count} rows is not whole`);
    }
    for (let i = 0; i < piece.count; i++) offsets[row + i] = at + piece.offsets[i]!;
    kinds.set(piece.kinds, row);
    sizes.set(piece.sizes, row);
    mtimes.set(piece.mtimes, row);
    modes.set(piece.modes, row);
    inos.set(piece.inos, row);
    piece.linkRows.forEach((r, k) => {
      linkRows.push(row + r);
      linkTargets.push(piece.linkTargets[k]!);
    });
    texts.push(piece.paths);
    at += piece.paths.length;
    row += piece.count;
  }
  offsets[count] = at;
  const rows = new Uint32Array(buffer(4 * linkRows.length));
  rows.set(linkRows);
  return { side, count, paths: texts.join(''), offsets, kinds, sizes, mtimes, modes, inos, linkRows: rows, linkTargets };
}
