import Database from 'better-sqlite3';
import type { SideBaselineColumns } from '../../src/core/change-set.js';
import { reportAgainstBaseline } from '../../src/core/change-set/index.js';
import { comparePaths, type Baseline, type BaselineEntry, type Entry, type Snapshot } from '../../src/core/entry.js';
import { openStore } from '../../src/db/open-store.js';
import { BaselineRepository } from '../../src/db/repositories/baseline.js';
import type { ScanResult } from '../../src/engine/scan.js';
import { conduitSpec } from '../db/fixtures.js';

/**
 * Baselines for the scan-against tests, through the real store: rows are
 * written to a migrated SQLite file and read back as columns with
 * `BaselineRepository.loadColumns` (SharedArrayBuffers, the table's order),
 * exactly what a generation hands the scan workers.
 */

/** Baseline rows as a sync that left both sides as `entries` shows them would record them (inodes included). */
export function rowsOf(entries: Snapshot, options: { ino?: 'keep' | 'zero' } = {}): Map<string, BaselineEntry> {
  const out = new Map<string, BaselineEntry>();
  for (const [path, e] of entries) {
    if (e.kind === 'problem') continue;
    const ino = options.ino === 'zero' ? undefined : e.ino;
    const state = { mtimeNs: e.mtimeNs, mode: e.kind === 'symlink' ? 0 : e.mode, ...(ino === undefined ? {} : { ino }) };
    out.set(path, {
      kind: e.kind, size: e.kind === 'file' ? e.size : 0, hash: null, linkTarget: e.kind === 'symlink' ? e.linkTarget : null,
      source: state, target: state,
    });
  }
  return out;
}

/** Writes `rows` as conduit `photos`'s baseline in a fresh database at `dbFile` and loads both sides' columns. */
export async function columnsThroughStore(dbFile: string, rows: Baseline): Promise<{ source: SideBaselineColumns; target: SideBaselineColumns; count: number }> {
  const store = await openStore(dbFile);
  const conduit = store.createConduit(conduitSpec());
  store.close();
  const db = new Database(dbFile);
  try {
    const repo = new BaselineRepository(db);
    db.transaction(() => repo.upsertMany(conduit.id, rows))();
    return repo.loadColumns(conduit.id);
  } finally {
    db.close();
  }
}

/** What a scan against a baseline answers, in a form `toEqual` diffs readably. */
export interface AgainstAnswer {
  readonly reported: Record<string, string>;
  readonly gone: readonly string[];
  readonly inScope: number;
  readonly unchanged: number;
}

export function describeEntry(e: Entry): string {
  switch (e.kind) {
    case 'file':
      return `file:${e.size}:${e.mode.toString(8)}:${e.mtimeNs}:${e.ino}`;
    case 'dir':
      return `dir:${e.mode.toString(8)}`;
    case 'symlink':
      return `symlink:${e.linkTarget}:${e.ino}`;
    case 'problem':
      return `problem:${e.code}`;
  }
}

export function reportedOf(entries: Snapshot): Record<string, string> {
  return Object.fromEntries([...entries].sort(([a], [b]) => comparePaths(a, b)).map(([p, e]) => [p, describeEntry(e)]));
}

/**
 * What a scan run against `columns` must answer, given a full scan of the
 * same root: the reference implementation (core/change-set/report.ts
 * `reportAgainstBaseline`), the oracle of the walk's comparison.
 */
export function expectedAnswer(full: ScanResult, columns: SideBaselineColumns, onlyPaths?: readonly string[]): AgainstAnswer {
  const { entries, changes } = reportAgainstBaseline(full, columns, onlyPaths === undefined ? {} : { onlyPaths });
  return { reported: reportedOf(entries), gone: changes.gone, inScope: changes.inScope, unchanged: changes.unchanged };
}
