import type { ConduitRow, Store } from '../../db/store.js';
import type { AnsweredScan, ScansAgainstBaseline } from './affected.js';
import { buildRules, compileFilter, type PathFilter } from '../filters.js';
import type { RunFilters } from './request.js';

/**
 * Per-run filters (`conduit run --exclude '*.log' --include 'docs/**'`),
 * added to the conduit's own lists for one generation, as rsync's and
 * rclone's filter flags are. What they leave out is left alone, as if the
 * run never looked: not copied, not deleted, and its baseline rows kept —
 * otherwise a path the run does not scan would look deleted on both sides,
 * and `selective` would delete from the target what "left the selection".
 */

/** The conduit as this generation scans it: its own include/exclude plus the run's. */
export function withRunFilters(conduit: ConduitRow, runFilters: RunFilters | undefined): ConduitRow {
  if (!hasRunFilters(runFilters)) return conduit;
  return { ...conduit, include: [...conduit.include, ...runFilters.include], exclude: [...conduit.exclude, ...runFilters.exclude] };
}

/**
 * The scans as this generation may judge them: a baseline row that the
 * conduit's own filters keep in scope but the run's leave out was not walked,
 * so both scans call it gone; it is not — the run did not look. Those rows
 * are taken out of `gone` (so they are not affected, and stay in the store
 * as they are: the commit only writes what the generation decided about).
 */
export function leaveOutOfRun<T extends ScansAgainstBaseline>(store: Store, conduit: ConduitRow, runFilters: RunFilters | undefined, scans: T): T {
  if (!hasRunFilters(runFilters)) return scans;
  const gone = [...new Set([...scans.source.changes.gone, ...scans.target.changes.gone])];
  if (gone.length === 0) return scans;
  const own = filterOf(conduit);
  const run = filterOf(withRunFilters(conduit, runFilters));
  const inScope = (filter: PathFilter, path: string, isDir: boolean) => (isDir ? filter.dirInScope(path) : filter.fileInScope(path));
  const rows = store.loadBaselineRows(conduit.id, gone);
  const leftOut = new Set<string>();
  for (const [path, row] of rows) {
    const isDir = row.kind === 'dir';
    if (inScope(own, path, isDir) && !inScope(run, path, isDir)) leftOut.add(path);
  }
  if (leftOut.size === 0) return scans;
  const narrow = (scan: AnsweredScan): AnsweredScan => ({
    ...scan, changes: { ...scan.changes, gone: scan.changes.gone.filter((path) => !leftOut.has(path)) },
  });
  return { ...scans, source: narrow(scans.source), target: narrow(scans.target) };
}

function hasRunFilters(runFilters: RunFilters | undefined): runFilters is RunFilters {
  return runFilters !== undefined && (runFilters.include.length > 0 || runFilters.exclude.length > 0);
}

function filterOf(conduit: ConduitRow): PathFilter {
  return compileFilter(buildRules({ include: conduit.include, exclude: conduit.exclude, useIndexRules: false }));
}
