import type { Snapshot } from '../core/entry.js';

/** The filter rules of SPEC §5, in a form that can cross a worker boundary (see filters.ts). */
export interface FilterRules {
  /** .gitignore-syntax patterns; when non-empty only matching paths (and the directories leading to them) are in scope. */
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  /** Built-in ignores plus `.conduitignore` lines, applied like `exclude`. */
  readonly ignore: readonly string[];
}

export interface ScanOptions {
  readonly rules: FilterRules;
  /**
   * Scan only these relative paths (and, for directories among them, their
   * subtrees) instead of the whole root: the watcher-driven fast path. Their
   * ancestors are reported too so the plan can create parents.
   */
  readonly onlyPaths?: readonly string[];
}

export type RootState = 'ok' | 'missing' | 'not_a_directory' | 'unreadable';

export interface ScanResult {
  readonly root: RootState;
  /** The root's problem in words, when `root` is not `ok`. */
  readonly rootMessage?: string;
  readonly entries: Snapshot;
  /** Relative paths of `.<name>.conduit-tmp-*` leftovers of an interrupted generation (removed by the engine). */
  readonly staleTemps: readonly string[];
  /** How many directory entries were looked at (for the bench and the fast-path proof). */
  readonly visited: number;
}
