import { existsSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';

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
  while (!existsSync(current)) {
    const parent = dirname(current);
    if (parent === current) break;
    missing.unshift(basename(current));
    current = parent;
  }
  let real: string;
  try {
    real = realpathSync(current);
  } catch {
    real = current;
  }
  return missing.length === 0 ? real : join(real, ...missing);
}

/** True when `inner` is `outer` or lies below it (both real, absolute paths). */
export function containsPath(outer: string, inner: string): boolean {
  if (outer === inner) return true;
  const prefix = outer.endsWith(sep) ? outer : outer + sep;
  return inner.startsWith(prefix);
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
