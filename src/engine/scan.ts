import type { ScanChanges, SideBaselineColumns } from '../core/change-set.js';
import type { Snapshot } from '../core/entry.js';
import type { FileSystem } from '../fs/file-system.js';

/**
 * What a scan is asked and what it answers, and `scanRoot`, the engine's one
 * call to scan a root. The walk itself is under scan/: walk.ts (one root into
 * a Snapshot), walker.ts (each name judged by the filter as it is met; the
 * fast path), covering-paths.ts (the fast path's asked-for paths, validated).
 */

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
  /**
   * The scanning conduit's temp token (temp-name.ts `tempTokenFor`): its own
   * temporaries in scope are listed in `staleTemps`. Any conduit's
   * temporaries are never reported as entries; without a token none is
   * listed as stale.
   */
  readonly tempToken?: string;
  /**
   * Compare with this side's baseline while walking (issue 9, core/change-set.ts):
   * `entries` then holds only what the baseline cannot tell, and `changes` the rest.
   */
  readonly against?: SideBaselineColumns;
}

export type RootState = 'ok' | 'missing' | 'not_a_directory' | 'unreadable';

export interface ScanResult {
  readonly root: RootState;
  /** The root's problem in words, when `root` is not `ok`. */
  readonly rootMessage?: string;
  readonly entries: Snapshot;
  /**
   * Relative paths of this conduit's temporaries (`ScanOptions.tempToken`)
   * whose final name is in scope: leftovers of an interrupted generation,
   * removed by the engine on the sides the mode writes.
   */
  readonly staleTemps: readonly string[];
  /** How many directory entries were looked at (for the bench and the fast-path proof). */
  readonly visited: number;
  /** Present exactly when the scan ran `against` a baseline (core/change-set.ts). */
  readonly changes?: ScanChanges;
}

/**
 * Scan one root: the filesystem's own `walkTree` (node: in a scan worker,
 * scan-pool.ts; memory: inline; a decorator: forwarded, or walked through its
 * hooks). The engine never asks which filesystem it has.
 */
export function scanRoot(fs: FileSystem, root: string, options: ScanOptions): Promise<ScanResult> {
  return fs.walkTree(root, options);
}

// The node implementation's scan workers live in scan-pool.ts; these stay importable from here.
export { prewarmScanWorkers, scanInWorker, stopScanWorkers } from './scan-pool.js';
