import type { Baseline } from '../../core/entry.js';
import type { ConduitRow } from '../../db/store.js';
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
 * The baseline this generation may judge and change: without the paths the
 * conduit's own filters keep in scope but the run's leave out (those rows
 * stay as they are in the store: the commit only writes what the generation
 * decided about).
 */
export function baselineForRunFilters(baseline: Baseline, conduit: ConduitRow, runFilters: RunFilters | undefined): Baseline {
  if (!hasRunFilters(runFilters) || baseline.size === 0) return baseline;
  const own = filterOf(conduit);
  const run = filterOf(withRunFilters(conduit, runFilters));
  const inScope = (filter: PathFilter, path: string, isDir: boolean) => (isDir ? filter.dirInScope(path) : filter.fileInScope(path));
  const narrowed = new Map(baseline);
  for (const [path, entry] of baseline) {
    const isDir = entry.kind === 'dir';
    if (inScope(own, path, isDir) && !inScope(run, path, isDir)) narrowed.delete(path);
  }
  return narrowed.size === baseline.size ? baseline : narrowed;
}

function hasRunFilters(runFilters: RunFilters | undefined): runFilters is RunFilters {
  return runFilters !== undefined && (runFilters.include.length > 0 || runFilters.exclude.length > 0);
}

function filterOf(conduit: ConduitRow): PathFilter {
  return compileFilter(buildRules({ include: conduit.include, exclude: conduit.exclude, useIndexRules: false }));
}
