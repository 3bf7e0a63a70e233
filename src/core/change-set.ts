import type { Side } from './entry.js';

/**
 * Generations that cost what changed (issue 9). The contract between the
 * store, the scan (next to the disk: a scan worker, later a remote agent) and
 * the engine; the implementations live elsewhere.
 *
 * The store hands each side's part of the baseline to that side's scan as
 * compact columns (`SideBaselineColumns`: typed arrays and one string, no
 * per-path objects; they cross a worker boundary by transfer and an SSH link
 * as bytes). The scan compares what it walks with them and answers only
 * what the engine cannot know from the baseline (`ScanOptions.against` →
 * `ScanResult.changes`). The engine rebuilds, for the few affected paths,
 * the entries of both sides and their baseline rows, and reconciles only
 * those: reconcile stays the same pure function over smaller maps, and a
 * property test holds it to the same plan as over full snapshots.
 */

/** `SideBaselineColumns.kinds` codes. */
export const BASELINE_KIND = { file: 0, dir: 1, symlink: 2 } as const;

/**
 * One side's view of a conduit's baseline, as columns in the store's path
 * order. Row i is path i. What "unchanged since the baseline" compares, and
 * nothing more: the hash and the other side's state stay in the store and
 * are read for the affected paths only.
 */
export interface SideBaselineColumns {
  readonly side: Side;
  readonly count: number;
  /** Every path followed by a NUL (no name contains one); path i is `paths.slice(offsets[i], offsets[i + 1] - 1)`. */
  readonly paths: string;
  /** count + 1 offsets into `paths`. */
  readonly offsets: Uint32Array;
  /** BASELINE_KIND codes. */
  readonly kinds: Uint8Array;
  /** Files: the size; 0 otherwise. */
  readonly sizes: Float64Array;
  /** This side's mtime, nanoseconds. */
  readonly mtimes: BigInt64Array;
  /** This side's permission bits. */
  readonly modes: Uint16Array;
  /** This side's inode number as the baseline recorded it; 0 when unknown (a row written before issue 9). */
  readonly inos: Float64Array;
  /** Symlinks' texts: `linkRows[k]` is the row of `linkTargets[k]`, rows ascending. */
  readonly linkRows: Uint32Array;
  readonly linkTargets: readonly string[];
}

/**
 * What a scan run `against` one side's baseline answers besides its entries.
 * With `against`, `ScanResult.entries` holds only the REPORTED entries:
 * - every path in scope whose entry is not exactly the baseline row's for
 *   this side: absent from the baseline, another kind, or (files) another
 *   size, mtime, mode or inode — an inode of 0 in the row never matches, so
 *   rows without one are refreshed; (symlinks) another text, mtime or inode
 *   (the mtime too, so that an entry left out is exactly the one
 *   `entryFromBaseline` rebuilds: change-set/report.ts `matchesRow`);
 * - every directory in scope (confinement checks each written path's
 *   parents against the scanned inodes; directory attributes are
 *   replicated from them);
 * - every problem entry, and every entry whose name is a conflict copy's
 *   (`conflictCopyOrigin` is not null: reconcile reuses identical copies).
 * A path in scope that the walk saw and that matched its row is not
 * reported: its entry is the row's (`entryFromBaseline`). The reference
 * implementation: change-set/report.ts `reportAgainstBaseline`.
 */
export interface ScanChanges {
  /**
   * Baseline rows in scope that the walk did not find on this side (gone),
   * in row order. Scope: the whole root, or under the fast path
   * (`ScanOptions.onlyPaths`) only the rows at, under and above (the
   * ancestors of) the asked-for paths, as `baselineWithin` (core/scope.ts
   * `withinPaths`): an ancestor the walk no longer finds is gone too.
   * A row below a directory the walk could not read is NOT gone (its subtree
   * is unknown; the problem entry is reported instead).
   */
  readonly gone: readonly string[];
  /** Entries in scope on this side, reported or not (the guards: an emptied root, a mass delete). */
  readonly inScope: number;
  /** Rows of the baseline that the walk saw unchanged (not reported). */
  readonly unchanged: number;
}
