import { createHash } from 'node:crypto';
import type { ScanChanges, SideBaselineColumns } from '../../core/change-set.js';
import type { Entry, Snapshot } from '../../core/entry.js';
import type { RootState, ScanOptions, ScanResult } from '../../engine/scan.js';
import { packEntries, unpackSnapshot, type PackedSnapshot } from '../../engine/snapshot-codec.js';
import { MAX_FRAME_BYTES } from '../link/protocol.js';

/**
 * What a walk of a remote root sends over the link (issue 10, "only the
 * result crosses"), both ends' shared part: remote-file-system.ts asks,
 * agent/walk-serve.ts answers.
 *
 * - The baseline's columns the walk compares with travel only as far as
 *   needed: a fast-path walk (`onlyPaths`) sends just the rows in its scope
 *   (core/change-set/column-rows.ts `rowsWithinPaths`), inline; a full walk
 *   names its columns by a digest (`columnsDigest`), and sends them, in
 *   pieces (`walkColumns` calls), only when the agent does not hold them
 *   from an earlier walk of the session (it answers `need: 'columns'`).
 * - The answer travels as events of pieces (packed entries, gone paths,
 *   stale temps) and then a small `WalkAnswer` naming how many pieces came.
 * No frame has to hold a whole baseline or a whole tree: each piece stays
 * within `pieceBytes` (a row or entry larger than that is a piece alone),
 * so a root of any size walks within MAX_FRAME_BYTES.
 */

/**
 * The default piece size: a sixteenth of the frame limit, so pieces stay far
 * from it and other calls' frames (watch hints, copies) interleave between
 * them instead of waiting behind one huge frame.
 */
export const WALK_PIECE_BYTES = Math.floor(MAX_FRAME_BYTES / 16);

/** The smallest piece size either end accepts (below that, per-piece overhead dominates). */
export const MIN_WALK_PIECE_BYTES = 1024;

/**
 * Columns the agent keeps per root, the latest sent (two conduits' baselines
 * over one root, or a full walk back on the baseline before a fast-path walk
 * whose scope was too large to go inline).
 */
export const HELD_COLUMNS_PER_ROOT = 2;

/** `walkTree`'s parameters. */
export interface WalkParams {
  readonly root: string;
  /** As asked, with `against` only when the columns travel inline (a fast-path walk's few rows). */
  readonly options: ScanOptions;
  /** A full walk's columns by their digest: the agent walks against the ones it holds, or answers `need`. */
  readonly columns?: { readonly digest: string } | null;
  /** The most bytes one piece of the answer may encode to (clamped by the agent). */
  readonly pieceBytes?: number;
}

/** One event of a walk's answer, in order. */
export type WalkPiece =
  | { readonly entries: PackedSnapshot }
  | { readonly gone: readonly string[] }
  | { readonly staleTemps: readonly string[] };

/** `walkTree`'s result, after its pieces; or `need`, when the agent does not hold the named columns (nothing walked). */
export interface WalkAnswer {
  readonly need?: 'columns';
  readonly root: RootState;
  readonly rootMessage: string | null;
  readonly visited: number;
  /** `ScanChanges` without `gone` (that came in pieces), when the walk ran against columns. */
  readonly changes: { readonly inScope: number; readonly unchanged: number } | null;
  /** How many pieces were sent before this answer. */
  readonly pieces: number;
}

/** `walkColumns`'s parameters: rows `at`… of the columns named `digest`, `count` rows in all. Answers true once the agent holds them whole. */
export interface ColumnsPieceParams {
  readonly root: string;
  readonly digest: string;
  readonly count: number;
  readonly at: number;
  readonly piece: SideBaselineColumns;
}

/** The piece size the agent uses for a client's asked one. */
export function clampPieceBytes(asked: unknown): number {
  if (typeof asked !== 'number' || !Number.isFinite(asked)) return WALK_PIECE_BYTES;
  return Math.max(MIN_WALK_PIECE_BYTES, Math.min(WALK_PIECE_BYTES, Math.floor(asked)));
}

/**
 * The columns' identity: SHA-256 over everything the walk compares (side,
 * paths, kinds, sizes, mtimes, modes, inodes, link texts), so equal digests
 * mean columns the walk cannot tell apart. Cheaper than what it saves,
 * measured (scripts/bench-walk-columns.mjs, 2 loaded cores): 20,000 rows
 * hash in ~1.3 ms where sending them (1.5 MB) takes ~16 ms over bare pipes;
 * 200,000 rows in ~11 ms against ~53 ms for 15 MB — and over ssh the send
 * costs more (encryption, the network), the hash the same. A baseline
 * version from the store would cost nothing to compute, but would have to
 * be carried from the store to every walk; the digest needs only the
 * columns the walk already has.
 */
export function columnsDigest(columns: SideBaselineColumns): string {
  const hash = createHash('sha256');
  hash.update(`${columns.side}\0${columns.count}\0${columns.linkRows.length}\0`);
  hash.update(columns.paths);
  for (const array of [columns.offsets, columns.kinds, columns.sizes, columns.mtimes, columns.modes, columns.inos, columns.linkRows]) {
    hash.update(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  }
  for (const text of columns.linkTargets) hash.update(`${text}\0`);
  return hash.digest('base64url');
}

/** Upper bound of an entry's encoded bytes in a PackedSnapshot (path as UTF-8 and its NUL, the numbers, its strings). */
function entryBytesBound(path: string, entry: Entry): number {
  const strings = entry.kind === 'symlink' ? 5 + 3 * entry.linkTarget.length : entry.kind === 'problem' ? 10 + 3 * (entry.code.length + entry.message.length) : 0;
  return 3 * path.length + 1 + 1 + 8 + 8 + 2 + 8 + strings;
}

/** Paths in runs of at most `budget` encoded bytes. */
function pathRuns(paths: readonly string[], budget: number): string[][] {
  const runs: string[][] = [];
  let run: string[] = [];
  let bytes = 0;
  for (const path of paths) {
    const size = 5 + 3 * path.length;
    if (run.length > 0 && bytes + size > budget) {
      runs.push(run);
      run = [];
      bytes = 0;
    }
    run.push(path);
    bytes += size;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/** A walk's result as pieces of at most `budget` bytes each (entries in their order, then gone, then stale temps). */
export function* resultPieces(result: ScanResult, budget: number): Generator<WalkPiece> {
  let paths: string[] = [];
  let list: Entry[] = [];
  let bytes = 0;
  for (const [path, entry] of result.entries) {
    const size = entryBytesBound(path, entry);
    if (paths.length > 0 && bytes + size > budget) {
      yield { entries: packEntries(paths, list) };
      paths = [];
      list = [];
      bytes = 0;
    }
    paths.push(path);
    list.push(entry);
    bytes += size;
  }
  if (paths.length > 0) yield { entries: packEntries(paths, list) };
  for (const gone of pathRuns(result.changes?.gone ?? [], budget)) yield { gone };
  for (const staleTemps of pathRuns(result.staleTemps, budget)) yield { staleTemps };
}

/** The answer that closes a walk's pieces. */
export function walkAnswer(result: ScanResult, pieces: number): WalkAnswer {
  return {
    root: result.root, rootMessage: result.rootMessage ?? null, visited: result.visited, pieces,
    changes: result.changes === undefined ? null : { inScope: result.changes.inScope, unchanged: result.changes.unchanged },
  };
}

/** The client's side: pieces as they arrive, then the ScanResult as a local scan worker's reply would be (scan-pool.ts). */
export class WalkAssembly {
  private entries: Map<string, Entry> | null = null;
  private readonly gone: string[] = [];
  private readonly staleTemps: string[] = [];
  private pieces = 0;
  private failed: Error | null = null;

  /** Called from the link's frame handler: never throws (that would end the link); a bad piece fails `result` instead. */
  add(value: unknown): void {
    this.pieces++;
    try {
      this.take(value as Partial<{ entries: PackedSnapshot; gone: string[]; staleTemps: string[] }>);
    } catch (err) {
      this.failed ??= err instanceof Error ? err : new Error(String(err));
    }
  }

  private take(piece: Partial<{ entries: PackedSnapshot; gone: string[]; staleTemps: string[] }>): void {
    if (piece.entries !== undefined) {
      const unpacked = unpackSnapshot(piece.entries);
      if (this.entries === null) this.entries = unpacked;
      else for (const [path, entry] of unpacked) this.entries.set(path, entry);
    } else if (piece.gone !== undefined) {
      for (const path of piece.gone) this.gone.push(path);
    } else if (piece.staleTemps !== undefined) {
      for (const path of piece.staleTemps) this.staleTemps.push(path);
    } else {
      throw new Error('the agent sent a piece of no known kind');
    }
  }

  result(answer: WalkAnswer, root: string): ScanResult {
    if (this.failed !== null) throw new Error(`walkTree ${root}: ${this.failed.message}`, { cause: this.failed });
    if (answer.pieces !== this.pieces) throw new Error(`walkTree ${root}: the agent sent ${this.pieces} pieces of ${answer.pieces}`);
    const entries: Snapshot = this.entries ?? new Map();
    const result: ScanResult = {
      root: answer.root, rootMessage: answer.rootMessage ?? undefined, entries, staleTemps: this.staleTemps, visited: answer.visited,
    };
    if (answer.changes === null || answer.changes === undefined) return result;
    const changes: ScanChanges = { gone: this.gone, inScope: answer.changes.inScope, unchanged: answer.changes.unchanged };
    return { ...result, changes };
  }
}
