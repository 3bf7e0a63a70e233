import type { ScanChanges } from '../change-set.js';
import { ancestorsOf, comparePaths, type Baseline, type Entry, type Side, type Snapshot } from '../entry.js';
import { entryFromBaseline } from './columns.js';

/**
 * From two scans run against the baseline (core/change-set.ts) to the small
 * maps reconcile, hashing and nextBaseline run over: the affected universe U
 * and, for each path of it, its baseline row and both sides' entries as the
 * full scans would have had them.
 *
 * U is every path reported or gone on either side (reported: every entry
 * that is not its row's, every directory, problem and conflict copy). A path
 * outside U is one of two kinds, and neither changes a plan or a baseline:
 * - quiet: a file or link with a row, on both sides exactly as the row says.
 *   Reconcile decides nothing for it (neither side changed); no conflict can
 *   force it from above (a directory conflict needs one side without that
 *   directory, and then every row below is gone there, so in U); it cannot
 *   keep an rmdir from happening (an rmdir needs the other side without the
 *   directory, which again puts what is below in U); it is never a parent to
 *   create or a blocker (a path created on one side comes from the other,
 *   where its parents are directories, so in U); it is never hashed (it
 *   changed on neither side) nor a conflict copy (those are always reported);
 *   and nextBaseline keeps its row as it is.
 * - below a problem (an unreadable directory) on a side, where that side
 *   knows nothing: reconcile leaves everything under a problem alone, and so
 *   does nextBaseline; on the other side it is quiet or in U.
 * The property test (test/core/change-set.property.test.ts) holds both
 * claims to the plan and baseline changes of the full snapshots.
 */

/** One side's scan as run against its baseline: the reported entries and the changes. */
export interface SideReport {
  readonly entries: Snapshot;
  readonly changes: Pick<ScanChanges, 'gone'>;
}

/** The affected paths whose baseline rows the engine loads: every path reported or gone on either side, plus `extra`, in code-unit order. */
export function affectedPaths(source: SideReport, target: SideReport, extra: Iterable<string> = []): string[] {
  const all = new Set<string>(extra);
  for (const side of [source, target]) {
    for (const path of side.entries.keys()) all.add(path);
    for (const path of side.changes.gone) all.add(path);
  }
  return [...all].sort(comparePaths);
}

/** What reconcile, the hashing and nextBaseline run over: the affected paths only. */
export interface AffectedInput {
  readonly baseline: Baseline;
  readonly source: Snapshot;
  readonly target: Snapshot;
}

/**
 * The maps over U ∪ `rows`' paths. `rows` are the baseline rows of the
 * affected paths (more are allowed, e.g. the whole baseline, but only rows
 * the scans were in scope for: a row no scan could see would be rebuilt as
 * present). Each side's entry at a path: the reported one; none when gone,
 * when there is no row, or when the path lies below a problem of that side;
 * else the row's (`entryFromBaseline`).
 */
export function restrictToAffected(rows: Baseline, source: SideReport, target: SideReport, extra: Iterable<string> = []): AffectedInput {
  const paths = new Set<string>(affectedPaths(source, target, extra));
  for (const path of rows.keys()) paths.add(path);
  const sorted = [...paths].sort(comparePaths);
  const baseline = new Map(sorted.flatMap((p) => {
    const row = rows.get(p);
    return row ? [[p, row] as const] : [];
  }));
  return { baseline, source: sideOver(sorted, rows, source, 'source'), target: sideOver(sorted, rows, target, 'target') };
}

function sideOver(paths: readonly string[], rows: Baseline, report: SideReport, side: Side): Map<string, Entry> {
  const gone = new Set(report.changes.gone);
  const problems = new Set<string>();
  for (const [path, entry] of report.entries) if (entry.kind === 'problem') problems.add(path);
  const out = new Map<string, Entry>();
  for (const path of paths) {
    const reported = report.entries.get(path);
    if (reported !== undefined) {
      out.set(path, reported);
      continue;
    }
    const row = rows.get(path);
    if (row === undefined || gone.has(path)) continue;
    if (problems.size > 0 && ancestorsOf(path).some((a) => problems.has(a))) continue; // unknown on this side, as in the full scan
    out.set(path, entryFromBaseline(row, side));
  }
  return out;
}
