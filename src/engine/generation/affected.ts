import type { ScanChanges } from '../../core/change-set.js';
import { fileRowCount, type BaselineColumns } from '../../core/change-set/columns.js';
import { reportAgainstBaseline } from '../../core/change-set/report.js';
import { affectedPaths, restrictToAffected, type AffectedInput } from '../../core/change-set/restrict.js';
import type { Side } from '../../core/entry.js';
import type { Store } from '../../db/store.js';
import type { FileSystem } from '../../fs/file-system.js';
import { answeredAgainst } from '../scan-against.js';
import { scanRoot, type ScanOptions, type ScanResult } from '../scan.js';
import type { BaselineCounts } from './guards.js';

/**
 * A generation that costs what changed (issue 9, core/change-set.ts): both
 * roots scanned against their side of the baseline, so that only the paths
 * the baseline cannot tell come back, and then only the affected paths'
 * rows loaded and rebuilt into the small maps reconcile, the hashing and
 * nextBaseline run over. Used by a generation, the verifier's final check and
 * resolve alike.
 */

/** A scan with its changes (core/change-set.ts `ScanChanges`): `entries` holds only what was reported. */
export type AnsweredScan = ScanResult & { readonly changes: ScanChanges };

export interface ScansAgainstBaseline {
  readonly source: AnsweredScan;
  readonly target: AnsweredScan;
  /** The whole baseline's counts, for the guards. */
  readonly baseline: BaselineCounts;
}

/**
 * Scan both roots, each against its side of the conduit's baseline (the
 * columns: no per-path objects on this thread). A filesystem that ignored
 * `against` answered in full: the comparison is made here instead.
 *
 * `checksum`: every file is hashed, so every file is affected; the scans run
 * without `against` (the walk then sends every entry, as it did before
 * issue 9) and every entry is reported. Hashing reads every byte anyway, so
 * the walk's cost does not matter there.
 */
export function scanAgainstBaseline(
  store: Store, fs: FileSystem, conduitId: number, roots: Record<Side, string>, options: ScanOptions, checksum: boolean,
): Promise<ScansAgainstBaseline> {
  return scanAgainstColumns(fs, store.loadBaselineColumns(conduitId), roots, options, checksum);
}

/** `scanAgainstBaseline` with the columns already loaded (resolve reads them first for its subtree's rows). */
export async function scanAgainstColumns(
  fs: FileSystem, columns: BaselineColumns, roots: Record<Side, string>, options: ScanOptions, checksum: boolean,
): Promise<ScansAgainstBaseline> {
  // Counted before the scans: a scan worker may take the columns' buffers over.
  const baseline: BaselineCounts = { rows: columns.count, files: fileRowCount(columns.source) };
  const asked = options.onlyPaths ? { onlyPaths: options.onlyPaths } : {};
  const scan = async (side: Side): Promise<AnsweredScan> => {
    const against = columns[side];
    if (checksum) return reportAgainstBaseline(await scanRoot(fs, roots[side], options), against, { ...asked, everything: true });
    const withAgainst: ScanOptions = { ...options, against };
    return answeredAgainst(await scanRoot(fs, roots[side], withAgainst), withAgainst) as AnsweredScan;
  };
  const [source, target] = await Promise.all([scan('source'), scan('target')]);
  return { source, target, baseline };
}

/**
 * The affected paths' rows, point-loaded, and both sides' entries over them
 * (core/change-set/restrict.ts). `extra` paths join the affected ones (resolve
 * wants its conflict's path whatever its scans said); `within` keeps only
 * part of them (resolve: the conflict's subtree).
 */
export function affectedInput(
  store: Store, conduitId: number, source: AnsweredScan, target: AnsweredScan,
  extra: readonly string[] = [], within?: (path: string) => boolean,
): AffectedInput {
  let paths = affectedPaths(source, target, extra);
  if (within) paths = paths.filter(within);
  const rows = store.loadBaselineRows(conduitId, paths);
  const input = restrictToAffected(rows, source, target, extra);
  if (!within) return input;
  const only = <T>(m: ReadonlyMap<string, T>) => new Map([...m].filter(([p]) => within(p)));
  return { baseline: input.baseline, source: only(input.source), target: only(input.target) };
}
