import { BASELINE_KIND, type SideBaselineColumns } from '../change-set.js';
import type { Baseline, BaselineEntry, Entry, Side } from '../entry.js';

/**
 * One side's baseline as columns (core/change-set.ts), built from a Baseline
 * Map, and the way back from a row to the entry a scan would have reported.
 * The store's columnar loader builds the same columns without the Map; these
 * are the reference (and what the naive loader uses).
 */

/** Both sides' columns of one conduit's baseline, as the store hands them out. */
export interface BaselineColumns {
  readonly source: SideBaselineColumns;
  readonly target: SideBaselineColumns;
  /** Rows in the baseline (the same on both sides). */
  readonly count: number;
}

const KIND_OF_CODE = ['file', 'dir', 'symlink'] as const;

/** `baseline`'s rows as `side`'s columns, row i the Map's i-th entry. */
export function columnsFromBaseline(baseline: Baseline, side: Side): SideBaselineColumns {
  const count = baseline.size;
  const offsets = new Uint32Array(count + 1);
  const kinds = new Uint8Array(count);
  const sizes = new Float64Array(count);
  const mtimes = new BigInt64Array(count);
  const modes = new Uint16Array(count);
  const inos = new Float64Array(count);
  const parts: string[] = [];
  const linkRows: number[] = [];
  const linkTargets: string[] = [];
  let i = 0;
  let at = 0;
  for (const [path, row] of baseline) {
    offsets[i] = at;
    parts.push(path, '\0');
    at += path.length + 1;
    kinds[i] = BASELINE_KIND[row.kind];
    sizes[i] = row.kind === 'file' ? row.size : 0;
    const state = row[side];
    mtimes[i] = state.mtimeNs;
    modes[i] = state.mode;
    inos[i] = state.ino ?? 0;
    if (row.kind === 'symlink') {
      linkRows.push(i);
      linkTargets.push(row.linkTarget ?? '');
    }
    i++;
  }
  offsets[count] = at;
  return {
    side, count, paths: parts.join(''), offsets, kinds, sizes, mtimes, modes, inos,
    linkRows: Uint32Array.from(linkRows), linkTargets,
  };
}

/** Path of row `i`. */
export function pathAt(columns: SideBaselineColumns, i: number): string {
  return columns.paths.slice(columns.offsets[i]!, columns.offsets[i + 1]! - 1);
}

/** Path → row, for lookups on this thread (the reference comparison; a scan worker merges in path order instead). */
export function rowIndex(columns: SideBaselineColumns): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i < columns.count; i++) out.set(pathAt(columns, i), i);
  return out;
}

/** Row → link text, for the symlink rows. */
export function linkTargetsByRow(columns: SideBaselineColumns): Map<number, string> {
  const out = new Map<number, string>();
  columns.linkRows.forEach((row, k) => out.set(row, columns.linkTargets[k]!));
  return out;
}

/** Files and links the baseline holds (the guards' "held at the last generation": `baselineFileCount`). */
export function fileRowCount(columns: SideBaselineColumns): number {
  let n = 0;
  for (let i = 0; i < columns.count; i++) if (columns.kinds[i] !== BASELINE_KIND.dir) n++;
  return n;
}

/** The kind of row `i`. */
export function kindAt(columns: SideBaselineColumns, i: number): BaselineEntry['kind'] {
  return KIND_OF_CODE[columns.kinds[i]!]!;
}

/**
 * The entry `side`'s scan reports for a path that matched its baseline row
 * exactly (not reported, core/change-set.ts): the row's kind, size and link
 * text with this side's mtime, mode and inode (0 when the row does not know
 * it). Never a hash: the row's hash says what was synced, not what the file
 * holds now (`sameContent` must not take it as known).
 */
export function entryFromBaseline(row: BaselineEntry, side: Side): Entry {
  const state = row[side];
  const ino = state.ino ?? 0;
  switch (row.kind) {
    case 'file':
      return { kind: 'file', size: row.size, mtimeNs: state.mtimeNs, mode: state.mode, ino };
    case 'dir':
      return { kind: 'dir', mode: state.mode, mtimeNs: state.mtimeNs, ino };
    case 'symlink':
      return { kind: 'symlink', linkTarget: row.linkTarget ?? '', mtimeNs: state.mtimeNs, ino };
  }
}
