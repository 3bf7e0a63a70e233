import Database from 'better-sqlite3';
import type { SideBaselineColumns } from '../../src/core/change-set.js';
import { conflictCopyOrigin } from '../../src/core/conflict-name.js';
import { comparePaths, isUnder, type Baseline, type BaselineEntry, type Entry, type Side, type Snapshot } from '../../src/core/entry.js';
import { openStore } from '../../src/db/open-store.js';
import { BaselineRepository } from '../../src/db/repositories/baseline.js';
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
 * The contract (core/change-set.ts), written plainly over a full snapshot:
 * what a scan run against `rows` must answer, given what a full scan of the
 * same root saw. `order` is the rows' order in the store (the columns' paths).
 */
export function expectedAnswer(full: Snapshot, rows: Baseline, side: Side, order: readonly string[], scope?: readonly string[]): AgainstAnswer {
  const reported = new Map<string, Entry>();
  let unchanged = 0;
  for (const [path, e] of full) {
    const row = rows.get(path);
    if (row !== undefined && exactlyTheRow(e, row, side) && conflictCopyOrigin(path) === null) unchanged++;
    else reported.set(path, e);
  }
  const problems = [...full].filter(([, e]) => e.kind === 'problem').map(([p]) => p);
  const inScopeRow = (p: string): boolean => scope === undefined || scope.some((s) => p === s || isUnder(p, s));
  const gone = order.filter((p) => !full.has(p) && inScopeRow(p) && !problems.some((q) => isUnder(p, q)));
  return { reported: reportedOf(reported), gone, inScope: full.size, unchanged };
}

function exactlyTheRow(e: Entry, row: BaselineEntry, side: Side): boolean {
  const mine = row[side];
  const ino = mine.ino ?? 0;
  if (e.kind === 'file') return row.kind === 'file' && ino !== 0 && e.ino === ino && e.size === row.size && e.mtimeNs === mine.mtimeNs && e.mode === mine.mode;
  if (e.kind === 'symlink') return row.kind === 'symlink' && ino !== 0 && e.ino === ino && e.linkTarget === row.linkTarget;
  return false;
}

/** The paths of a conduit's columns, in row order. */
export function pathsOf(columns: SideBaselineColumns): string[] {
  const out: string[] = [];
  for (let i = 0; i < columns.count; i++) out.push(columns.paths.slice(columns.offsets[i]!, columns.offsets[i + 1]! - 1));
  return out;
}
