import { ancestorsOf, type Baseline, type BaselineEntry } from './entry.js';

/**
 * The part of a baseline a partial scan (`onlyPaths`, the watcher fast path)
 * can speak for: the scanned paths, everything under them and their
 * ancestors. Reconciling a partial scan against the whole baseline would
 * read every unscanned synced path as deleted on both sides.
 */
export function baselineWithin(baseline: Baseline, paths: readonly string[]): Baseline {
  const asked = new Set(paths);
  const ancestors = new Set(paths.flatMap((p) => ancestorsOf(p)));
  const out = new Map<string, BaselineEntry>();
  for (const [path, entry] of baseline) {
    if (asked.has(path) || ancestors.has(path) || ancestorsOf(path).some((a) => asked.has(a))) out.set(path, entry);
  }
  return out;
}
