import { realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/**
 * Path facts the cross-field rules need. Comparisons use real paths, so a
 * symlinked parent or a `..` cannot hide that two roots overlap.
 */

export function resolvePath(path: string, baseDir: string): string {
  return isAbsolute(path) ? resolve(path) : resolve(baseDir, path);
}

/** The real path of the longest existing prefix, with the missing rest appended (the target may not exist yet). */
export function realPathOfExistingPart(path: string): string {
  const missing: string[] = [];
  let current = resolve(path);
  for (;;) {
    try {
      // The native realpath: one call, where the JS one lstats every component (import checks 10,000s of roots).
      const real = realpathSync.native(current);
      return missing.length === 0 ? real : join(real, ...missing);
    } catch {
      // Missing (or unreadable): resolve what is above it.
      const parent = dirname(current);
      if (parent === current) return missing.length === 0 ? current : join(current, ...missing);
      missing.unshift(basename(current));
      current = parent;
    }
  }
}

/** True when `inner` is `outer` or lies below it (both real, absolute paths). */
export function containsPath(outer: string, inner: string): boolean {
  if (outer === inner) return true;
  const prefix = outer.endsWith(sep) ? outer : outer + sep;
  return inner.startsWith(prefix);
}

/**
 * Where `path` lies strictly inside `root`, relative to `root`: compared as
 * given and as real paths, so a symlinked folder on either side cannot hide
 * it. Empty when it is not inside (or is `root` itself).
 */
export function relativePathsInside(root: string, path: string): string[] {
  const out = new Set<string>();
  for (const [outer, inner] of [[resolve(root), resolve(path)], [realPathOfExistingPart(root), realPathOfExistingPart(path)]] as const) {
    if (outer !== inner && containsPath(outer, inner)) out.add(relative(outer, inner));
  }
  return [...out];
}

export function pathsOverlap(a: string, b: string): boolean {
  return containsPath(a, b) || containsPath(b, a);
}

export type PathKind = 'directory' | 'file' | 'other' | 'missing';

export function pathKind(path: string): PathKind {
  try {
    const stats = statSync(path);
    if (stats.isDirectory()) return 'directory';
    return stats.isFile() ? 'file' : 'other';
  } catch {
    return 'missing';
  }
}
