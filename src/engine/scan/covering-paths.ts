import { ancestorsOf, comparePaths, depthOf } from '../../core/entry.js';

/**
 * The asked-for paths, validated, deduplicated, and without those that lie
 * below another asked-for path (walking that one covers them: if it is a
 * directory its subtree is walked, and if it is not, nothing can be below it).
 */
export function coveringPaths(paths: readonly string[]): string[] {
  for (const p of paths) {
    if (p === '' || p.startsWith('/') || p.endsWith('/') || p.split('/').some((s) => s === '' || s === '.' || s === '..')) {
      throw new Error(`scan onlyPaths: ${JSON.stringify(p)} is not a clean relative path`);
    }
  }
  // Shortest first, so an ancestor is kept before anything below it is considered.
  const unique = [...new Set(paths)].sort((a, b) => depthOf(a) - depthOf(b) || comparePaths(a, b));
  const kept = new Set<string>();
  for (const p of unique) {
    if (!ancestorsOf(p).some((a) => kept.has(a))) kept.add(p);
  }
  return [...kept];
}
