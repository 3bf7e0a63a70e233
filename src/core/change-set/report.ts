import { BASELINE_KIND, type ScanChanges, type SideBaselineColumns } from '../change-set.js';
import { conflictCopyOrigin } from '../conflict-name.js';
import { ancestorsOf, type Entry, type Snapshot } from '../entry.js';
import { withinPaths } from '../scope.js';
import { linkTargetsByRow, pathAt, rowIndex } from './columns.js';

/**
 * The reference implementation of a scan run `against` one side's baseline
 * (core/change-set.ts `ScanChanges`): from the full walk's entries and the
 * side's columns, the entries to report and the changes. A scan that ignored
 * `against` is brought to the same answer by the engine with this (correct,
 * only slower: every path crossed to the main thread); the in-memory
 * filesystem answers with it; and it is the oracle of the scan workers'
 * comparison during the walk.
 *
 * An entry is left out exactly when it is the entry `entryFromBaseline`
 * rebuilds from its row (kind, size, mtime, mode, inode, link text; an inode
 * of 0 in the row never matches), so the engine can put back every entry it
 * was not told about without changing anything reconcile sees.
 */
export interface ReportOptions {
  /** The fast path's asked-for paths: only rows at, under or above them can be gone (`withinPaths`, as `baselineWithin`). */
  readonly onlyPaths?: readonly string[];
  /** Report every entry, matching or not (checksum mode: every file is hashed, so every file is affected). */
  readonly everything?: boolean;
}

export function reportAgainstBaseline<T extends { readonly entries: Snapshot; readonly root?: string }>(
  full: T, columns: SideBaselineColumns, options: ReportOptions = {},
): Omit<T, 'entries' | 'changes'> & { readonly entries: Snapshot; readonly changes: ScanChanges } {
  const rows = rowIndex(columns);
  const links = linkTargetsByRow(columns);
  const entries = new Map<string, Entry>();
  const problems = new Set<string>();
  let unchanged = 0;
  for (const [path, entry] of full.entries) {
    if (entry.kind === 'problem') problems.add(path);
    const row = rows.get(path);
    if (options.everything !== true && row !== undefined && matchesRow(entry, columns, row, links) && conflictCopyOrigin(path) === null) {
      unchanged++;
      continue;
    }
    entries.set(path, entry);
  }
  const gone: string[] = [];
  // A root that is not there says nothing about its rows (the guards refuse it): none is gone.
  if (full.root === undefined || full.root === 'ok') {
    const inScope = options.onlyPaths ? withinPaths(options.onlyPaths) : () => true;
    const underProblem = (path: string) => problems.size > 0 && ancestorsOf(path).some((a) => problems.has(a));
    for (let i = 0; i < columns.count; i++) {
      const path = pathAt(columns, i);
      if (!full.entries.has(path) && inScope(path) && !underProblem(path)) gone.push(path);
    }
  }
  return { ...full, entries, changes: { gone, inScope: full.entries.size, unchanged } };
}

/** True when `entry` is exactly what `entryFromBaseline` rebuilds from row `i` (directories and problems never are: they are always reported). */
export function matchesRow(entry: Entry, columns: SideBaselineColumns, i: number, links: ReadonlyMap<number, string>): boolean {
  const ino = columns.inos[i]!;
  switch (entry.kind) {
    case 'file':
      return columns.kinds[i] === BASELINE_KIND.file && ino !== 0 && entry.ino === ino && entry.size === columns.sizes[i]
        && entry.mtimeNs === columns.mtimes[i] && entry.mode === columns.modes[i];
    case 'symlink':
      return columns.kinds[i] === BASELINE_KIND.symlink && ino !== 0 && entry.ino === ino && entry.mtimeNs === columns.mtimes[i]
        && entry.linkTarget === links.get(i);
    case 'dir':
    case 'problem':
      return false;
  }
}
