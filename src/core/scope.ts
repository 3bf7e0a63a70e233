import { ancestorsOf, type Baseline, type BaselineEntry } from './entry.js';

/**
 * The part of a baseline a partial scan (`onlyPaths`, the watcher fast path)
 * can speak for: the scanned paths, everything under them and their
 * ancestors. Reconciling a partial scan against the whole baseline would
 * read every unscanned synced path as deleted on both sides.
 */
export function baselineWithin(baseline: Baseline, paths: readonly string[]): Baseline {
  const within = withinPaths(paths);
  const out = new Map<string, BaselineEntry>();
  for (const [path, entry] of baseline) {
    if (within(path)) out.set(path, entry);
  }
  return out;
}

/** The fast path's scope as a predicate: a path asked for, an ancestor of one, or under one (`baselineWithin`). */
export function withinPaths(paths: readonly string[]): (path: string) => boolean {
  const asked = new Set(paths);
  const ancestors = new Set(paths.flatMap((p) => ancestorsOf(p)));
  return (path) => asked.has(path) || ancestors.has(path) || ancestorsOf(path).some((a) => asked.has(a));
}
