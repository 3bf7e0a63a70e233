import { BASELINE_KIND, type ScanChanges, type SideBaselineColumns } from '../../core/change-set.js';
import { conflictCopyOrigin } from '../../core/conflict-name.js';
import type { Entry } from '../../core/entry.js';

/**
 * A walk compared with one side's baseline as it goes (issue 9,
 * core/change-set.ts): for each walked path, its row (if any) is found and
 * marked seen, and the walk is told whether the entry is exactly the row's
 * (then it is not reported). At the end, the rows never seen are the gone
 * ones.
 *
 * The lookup from a walked path to its row allocates nothing: the walk's
 * order is not the store's, so an open-addressing hash table of row indices
 * (Int32Array, linear probing, at most half full) is built over the columns'
 * one path string, and a candidate row is compared with the walked path
 * character by character inside that string. mtimes are compared through a
 * scratch BigInt64Array as two 32-bit halves, so no bigint is read out of
 * the column per path either. What this holds per row: 8 bytes of table
 * (two slots of 4) and 1 byte of `seen`, besides the columns themselves.
 */
export class BaselineMatch {
  private readonly table: Int32Array;
  private readonly mask: number;
  /** 1 for each row whose path the walk met (whatever it found there). */
  private readonly seen: Uint8Array;
  private readonly mtimeHalves: Uint32Array;
  private readonly scratch = new BigInt64Array(1);
  private readonly scratchHalves = new Uint32Array(this.scratch.buffer);
  /** Rows the walk found exactly as the baseline has them, and did not report. */
  unchanged = 0;

  constructor(private readonly columns: SideBaselineColumns) {
    const { count, paths, offsets } = columns;
    if (offsets.length !== count + 1) throw new Error(`baseline columns of ${columns.side}: ${offsets.length} offsets for ${count} rows`);
    let size = 2;
    while (size < count * 2) size *= 2;
    this.table = new Int32Array(size);
    this.mask = size - 1;
    this.seen = new Uint8Array(count);
    this.mtimeHalves = new Uint32Array(columns.mtimes.buffer, columns.mtimes.byteOffset, 2 * count);
    const { table, mask } = this;
    for (let row = 0; row < count; row++) {
      let slot = hashRange(paths, offsets[row]!, offsets[row + 1]! - 1) & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = row + 1;
    }
  }

  /** The row of `path`, or -1. */
  rowOf(path: string): number {
    const { table, mask, columns } = this;
    const { paths, offsets } = columns;
    let slot = hashString(path) & mask;
    for (;;) {
      const at = table[slot]!;
      if (at === 0) return -1;
      const row = at - 1;
      const start = offsets[row]!;
      if (offsets[row + 1]! - 1 - start === path.length && sameChars(paths, start, path)) return row;
      slot = (slot + 1) & mask;
    }
  }

  /**
   * The walk met `path` with `entry`: marks its row seen, and says whether
   * the entry is exactly the row's for this side, so that it need not be
   * reported (core/change-set.ts `ScanChanges`): directories, problems and
   * conflict copies are always reported; a row whose inode is 0 (unknown)
   * never matches.
   */
  unchangedAt(path: string, entry: Entry): boolean {
    const row = this.rowOf(path);
    if (row < 0) return false;
    this.seen[row] = 1;
    if (entry.kind === 'dir' || entry.kind === 'problem') return false;
    const { kinds, inos } = this.columns;
    const ino = inos[row]!;
    if (ino === 0 || ino !== entry.ino) return false;
    // Exactly what `entryFromBaseline` rebuilds from the row (change-set/report.ts `matchesRow`, the reference).
    if (entry.kind === 'file') {
      if (kinds[row] !== BASELINE_KIND.file || this.columns.sizes[row] !== entry.size || this.columns.modes[row] !== entry.mode) return false;
    } else if (kinds[row] !== BASELINE_KIND.symlink || this.linkTargetOf(row) !== entry.linkTarget) {
      return false;
    }
    if (!this.sameMtime(row, entry.mtimeNs)) return false;
    // Reconcile reuses identical conflict copies, so it must see every one (rare: a regex only when the name says so).
    if (conflictCopyOrigin(path) !== null) return false;
    this.unchanged++;
    return true;
  }

  /**
   * The rows never seen, in row order, that are in scope (every row, or on
   * the fast path those at, under or above a path of `scope`, as
   * `baselineWithin`: an ancestor the walk no longer finds is gone too) and
   * not below a path the walk reported as a problem (its subtree is unknown,
   * not empty).
   */
  gone(scope: readonly string[] | undefined, problems: ReadonlySet<string>): string[] {
    const { seen, columns } = this;
    const { count, paths, offsets } = columns;
    const out: string[] = [];
    for (let row = 0; row < count; row++) {
      if (seen[row] === 1) continue;
      const start = offsets[row]!;
      const end = offsets[row + 1]! - 1;
      if (scope !== undefined && !scope.some((p) => atOrUnder(paths, start, end, p) || aboveOf(paths, start, end, p))) continue;
      const path = paths.slice(start, end);
      if (problems.size > 0 && belowOneOf(path, problems)) continue;
      out.push(path);
    }
    return out;
  }

  /** The whole answer, once the walk is over. */
  changes(reported: number, scope: readonly string[] | undefined, problems: ReadonlySet<string>): ScanChanges {
    return { gone: this.gone(scope, problems), inScope: reported + this.unchanged, unchanged: this.unchanged };
  }

  private sameMtime(row: number, mtimeNs: bigint): boolean {
    this.scratch[0] = mtimeNs;
    const { mtimeHalves, scratchHalves } = this;
    return mtimeHalves[2 * row] === scratchHalves[0] && mtimeHalves[2 * row + 1] === scratchHalves[1];
  }

  /** Binary search of `linkRows` (ascending); undefined when the row has no link text. */
  private linkTargetOf(row: number): string | undefined {
    const { linkRows, linkTargets } = this.columns;
    let lo = 0;
    let hi = linkRows.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = linkRows[mid]!;
      if (at === row) return linkTargets[mid];
      if (at < row) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }
}

/** FNV-1a over UTF-16 code units, then a final mix; `hashString` of a path equals `hashRange` of the same characters. */
function hashRange(s: string, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return mix(h);
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return mix(h);
}

function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  return (h ^ (h >>> 15)) >>> 0;
}

/** `path` equals `haystack.slice(start, start + path.length)` (the caller checked the length). */
function sameChars(haystack: string, start: number, path: string): boolean {
  for (let i = 0; i < path.length; i++) if (haystack.charCodeAt(start + i) !== path.charCodeAt(i)) return false;
  return true;
}

/** The row `haystack.slice(start, end)` is `p` or lies under it. */
function atOrUnder(haystack: string, start: number, end: number, p: string): boolean {
  const length = end - start;
  if (length < p.length || !haystack.startsWith(p, start)) return false;
  return length === p.length || haystack.charCodeAt(start + p.length) === 47;
}

/** The row `haystack.slice(start, end)` is a proper ancestor of `p` (without slicing: most rows are tested on the fast path). */
function aboveOf(haystack: string, start: number, end: number, p: string): boolean {
  const length = end - start;
  if (length >= p.length || p.charCodeAt(length) !== 47) return false;
  for (let i = 0; i < length; i++) if (haystack.charCodeAt(start + i) !== p.charCodeAt(i)) return false;
  return true;
}

function belowOneOf(path: string, problems: ReadonlySet<string>): boolean {
  for (let slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) {
    if (problems.has(path.slice(0, slash))) return true;
  }
  return false;
}
