import type Database from 'better-sqlite3';
import { BASELINE_KIND, type SideBaselineColumns } from '../../core/change-set.js';
import type { Baseline, BaselineEntry, SideState } from '../../core/entry.js';

/** One `index_entry` row in column order, read raw with safe integers (every integer is a bigint). */
type BaselineDbRow = [
  path: string, kind: string, size: bigint, hash: string | null, linkTarget: string | null,
  sourceMtimeNs: bigint, sourceMode: bigint, sourceIno: bigint, targetMtimeNs: bigint, targetMode: bigint, targetIno: bigint,
];

/**
 * One row as the columnar loader reads it: plain numbers only (no bigint, no
 * kind text), mtimes split by SQL into their high and low 32 bits, which a
 * double holds exactly and which land in the BigInt64Array's memory as they
 * are: no bigint is made per row.
 */
type ColumnDbRow = [
  path: string, kind: number, size: number, linkTarget: string | null,
  sourceMtimeHi: number, sourceMtimeLo: number, sourceMode: number, sourceIno: number,
  targetMtimeHi: number, targetMtimeLo: number, targetMode: number, targetIno: number,
];

const SELECT_COLUMNS = `path, kind, size, hash, link_target, source_mtime_ns, source_mode, source_ino, target_mtime_ns, target_mode, target_ino`;
const ROW_PARAMS = 12;
/**
 * Rows per multi-row INSERT ... ON CONFLICT (12 parameters each) and paths per
 * DELETE ... IN: one statement per chunk instead of one per row. Measured on
 * 20,000 new rows (test/db/baseline-columns.medium.test.ts prints it): see
 * docs/PERFORMANCE.md.
 */
const WRITE_CHUNK = 256;
/**
 * `loadRows` pads each chunk of asked-for paths up to one of these sizes (the
 * last path repeated: `IN` does not mind), so a handful of prepared
 * statements serve every count.
 */
const POINT_BUCKETS = [1, 8, 64, 512] as const;

/** Unknown kind text in a row (a corrupt or foreign row): the loader names it rather than guessing. */
const KIND_UNKNOWN = 255;

/**
 * `index_entry`: the baseline, the hot path of every generation. Three ways in:
 * - `load`: a conduit's whole baseline as a Map (one query, rows stepped);
 * - `loadColumns`: both sides' `SideBaselineColumns` (core/change-set.ts), from
 *   one query in the table's key order, into typed arrays and one string:
 *   what the scans compare against, with no per-row object kept;
 * - `loadRows`: the full rows of a few paths (those a scan reported).
 * Writes go through multi-row statements, inside the caller's transaction.
 */
export class BaselineRepository {
  private readonly selectAll;
  private readonly selectColumns;
  private readonly deleteAll: Database.Statement<[number]>;
  private readonly upsertStatements = new Map<number, Database.Statement<unknown[]>>();
  private readonly deleteStatements = new Map<number, Database.Statement<unknown[]>>();
  private readonly pointStatements = new Map<number, Database.Statement<unknown[], BaselineDbRow>>();
  /** A read transaction (a savepoint inside the caller's, if any): several point queries see one state. */
  private readonly readTogether: Database.Transaction<(work: () => unknown) => unknown>;

  constructor(private readonly db: Database.Database) {
    // Safe integers: mtimes are int64 nanoseconds, beyond a double's 53 bits.
    this.selectAll = db
      .prepare<[number], BaselineDbRow>(`SELECT ${SELECT_COLUMNS} FROM index_entry WHERE conduit_id = ?`)
      .raw(true)
      .safeIntegers(true);
    // ORDER BY the key of a WITHOUT ROWID table: the B-tree's own order, no sort step.
    this.selectColumns = db
      .prepare<[number], ColumnDbRow>(
        `SELECT path,
                CASE kind WHEN 'file' THEN ${BASELINE_KIND.file} WHEN 'dir' THEN ${BASELINE_KIND.dir} WHEN 'symlink' THEN ${BASELINE_KIND.symlink} ELSE ${KIND_UNKNOWN} END,
                size, link_target,
                source_mtime_ns >> 32, source_mtime_ns & 4294967295, source_mode, source_ino,
                target_mtime_ns >> 32, target_mtime_ns & 4294967295, target_mode, target_ino
         FROM index_entry WHERE conduit_id = ? ORDER BY path`,
      )
      .raw(true);
    this.deleteAll = db.prepare<[number]>('DELETE FROM index_entry WHERE conduit_id = ?');
    this.readTogether = db.transaction((work: () => unknown) => work());
  }

  /**
   * Rows are stepped one at a time (`iterate`), not collected first (`all`):
   * for 200,000 rows the array of raw rows was ~70 MB of short-lived garbage
   * that raised the CLI's peak RSS by as much, and cost ~20% more CPU.
   */
  load(conduitId: number): Baseline {
    const baseline = new Map<string, BaselineEntry>();
    for (const row of this.selectAll.iterate(conduitId)) baseline.set(row[0], entryOfRow(row));
    return baseline;
  }

  /**
   * Both sides' columns of a conduit's baseline (core/change-set.ts), in the
   * table's key order (SQLite's BINARY order of the UTF-8 paths). Arrays grow
   * by doubling while the rows are stepped and are then copied once into
   * SharedArrayBuffers of the exact size: posted to a scan worker they are
   * shared, not copied, and stay usable here. The columns common to both sides
   * (paths, offsets, kinds, sizes, links) are one object each, shared by the
   * two SideBaselineColumns. Paths are joined a chunk at a time, so no more
   * than a chunk's path strings live at once.
   */
  loadColumns(conduitId: number): { source: SideBaselineColumns; target: SideBaselineColumns; count: number } {
    const grow = new ColumnGrowth();
    const pathChunks: string[] = [];
    let chunk: string[] = [];
    let offset = 0;
    let row = 0;
    for (const [path, kind, size, linkTarget, sHi, sLo, sMode, sIno, tHi, tLo, tMode, tIno] of this.selectColumns.iterate(conduitId)) {
      if (kind === KIND_UNKNOWN) throw new Error(`baseline of conduit #${conduitId}: row ${JSON.stringify(path)} has an unknown kind`);
      grow.ensure(row + 1);
      grow.offsets[row] = offset;
      offset += path.length + 1;
      grow.kinds[row] = kind;
      grow.sizes[row] = size;
      grow.mtimeHalves.source[2 * row] = sLo;
      grow.mtimeHalves.source[2 * row + 1] = sHi;
      grow.modes.source[row] = sMode;
      grow.inos.source[row] = sIno;
      grow.mtimeHalves.target[2 * row] = tLo;
      grow.mtimeHalves.target[2 * row + 1] = tHi;
      grow.modes.target[row] = tMode;
      grow.inos.target[row] = tIno;
      if (linkTarget !== null && kind === BASELINE_KIND.symlink) grow.link(row, linkTarget);
      chunk.push(path);
      if (chunk.length === PATH_CHUNK) {
        pathChunks.push(`${chunk.join('\0')}\0`);
        chunk = [];
      }
      row++;
    }
    if (chunk.length > 0) pathChunks.push(`${chunk.join('\0')}\0`);
    const count = row;
    grow.ensure(count + 1);
    grow.offsets[count] = offset;
    const paths = pathChunks.join('');
    const offsets = shared(Uint32Array, grow.offsets, count + 1);
    const kinds = shared(Uint8Array, grow.kinds, count);
    const sizes = shared(Float64Array, grow.sizes, count);
    const linkRows = shared(Uint32Array, grow.linkRows, grow.linkCount);
    const linkTargets = grow.linkTargets;
    const side = (name: 'source' | 'target'): SideBaselineColumns => ({
      side: name, count, paths, offsets, kinds, sizes,
      mtimes: new BigInt64Array(shared(Uint32Array, grow.mtimeHalves[name], 2 * count).buffer, 0, count),
      modes: shared(Uint16Array, grow.modes[name], count),
      inos: shared(Float64Array, grow.inos[name], count),
      linkRows, linkTargets,
    });
    return { source: side('source'), target: side('target'), count };
  }

  /**
   * The full rows of `paths` (absent ones are absent from the map), in one
   * read transaction: chunked `IN (...)` point lookups on the primary key.
   */
  loadRows(conduitId: number, paths: Iterable<string>): Baseline {
    const out = new Map<string, BaselineEntry>();
    const all = [...paths];
    if (all.length === 0) return out;
    this.readTogether.deferred(() => {
      for (let at = 0; at < all.length; at += POINT_BUCKETS[POINT_BUCKETS.length - 1]!) {
        const part = all.slice(at, at + POINT_BUCKETS[POINT_BUCKETS.length - 1]!);
        const size = POINT_BUCKETS.find((b) => b >= part.length)!;
        while (part.length < size) part.push(part[part.length - 1]!);
        for (const row of this.pointStatement(size).iterate(conduitId, ...part)) out.set(row[0], entryOfRow(row));
      }
    });
    return out;
  }

  upsert(conduitId: number, path: string, entry: BaselineEntry): void {
    this.upsertMany(conduitId, [[path, entry]]);
  }

  /** Insert or replace rows, WRITE_CHUNK per statement; the caller holds the transaction. */
  upsertMany(conduitId: number, rows: Iterable<readonly [string, BaselineEntry]>): void {
    let params: unknown[] = [];
    for (const [path, entry] of rows) {
      params.push(
        conduitId, path, entry.kind, entry.size, entry.hash, entry.linkTarget,
        entry.source.mtimeNs, entry.source.mode, entry.source.ino ?? 0,
        entry.target.mtimeNs, entry.target.mode, entry.target.ino ?? 0,
      );
      if (params.length === WRITE_CHUNK * ROW_PARAMS) {
        this.upsertStatement(WRITE_CHUNK).run(params);
        params = [];
      }
    }
    if (params.length > 0) this.upsertStatement(params.length / ROW_PARAMS).run(params);
  }

  delete(conduitId: number, path: string): void {
    this.deleteMany(conduitId, [path]);
  }

  /** Forget rows, WRITE_CHUNK paths per statement; the caller holds the transaction. */
  deleteMany(conduitId: number, paths: Iterable<string>): void {
    let part: string[] = [];
    for (const path of paths) {
      part.push(path);
      if (part.length === WRITE_CHUNK) {
        this.deleteStatement(WRITE_CHUNK).run(conduitId, part);
        part = [];
      }
    }
    if (part.length > 0) this.deleteStatement(part.length).run(conduitId, part);
  }

  clear(conduitId: number): void {
    this.deleteAll.run(conduitId);
  }

  private upsertStatement(rows: number): Database.Statement<unknown[]> {
    return cached(this.upsertStatements, rows, () =>
      this.db.prepare(
        `INSERT INTO index_entry (conduit_id, path, kind, size, hash, link_target, source_mtime_ns, source_mode, source_ino, target_mtime_ns, target_mode, target_ino)
         VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
         ON CONFLICT (conduit_id, path) DO UPDATE SET
           kind = excluded.kind, size = excluded.size, hash = excluded.hash, link_target = excluded.link_target,
           source_mtime_ns = excluded.source_mtime_ns, source_mode = excluded.source_mode, source_ino = excluded.source_ino,
           target_mtime_ns = excluded.target_mtime_ns, target_mode = excluded.target_mode, target_ino = excluded.target_ino`,
      ));
  }

  private deleteStatement(paths: number): Database.Statement<unknown[]> {
    return cached(this.deleteStatements, paths, () =>
      this.db.prepare(`DELETE FROM index_entry WHERE conduit_id = ? AND path IN (${Array.from({ length: paths }, () => '?').join(', ')})`));
  }

  private pointStatement(paths: number): Database.Statement<unknown[], BaselineDbRow> {
    return cached(this.pointStatements, paths, () =>
      this.db
        .prepare<unknown[], BaselineDbRow>(
          `SELECT ${SELECT_COLUMNS} FROM index_entry WHERE conduit_id = ? AND path IN (${Array.from({ length: paths }, () => '?').join(', ')})`,
        )
        .raw(true)
        .safeIntegers(true));
  }
}

/** Paths joined per chunk while loading columns: bounds the live path strings without a rope per row. */
const PATH_CHUNK = 4096;
/** Prepared multi-row statements kept per size: the full chunk and the last few remainders. */
const STATEMENTS_KEPT = 8;

function cached<S>(cache: Map<number, S>, size: number, prepare: () => S): S {
  let statement = cache.get(size);
  if (statement === undefined) {
    if (cache.size >= STATEMENTS_KEPT) {
      // Evict a remainder size, never the full chunk (it serves every large write).
      for (const key of cache.keys()) {
        if (key !== WRITE_CHUNK) {
          cache.delete(key);
          break;
        }
      }
    }
    statement = prepare();
    cache.set(size, statement);
  }
  return statement;
}

function entryOfRow(row: BaselineDbRow): BaselineEntry {
  const [, kind, size, hash, linkTarget, sourceMtimeNs, sourceMode, sourceIno, targetMtimeNs, targetMode, targetIno] = row;
  return {
    kind: kind as BaselineEntry['kind'],
    size: Number(size),
    hash,
    linkTarget,
    source: sideState(sourceMtimeNs, sourceMode, sourceIno),
    // Equal mtimes (the rule after a mirror copy) share one bigint: ~24 bytes less per path held.
    target: sideState(targetMtimeNs === sourceMtimeNs ? sourceMtimeNs : targetMtimeNs, targetMode, targetIno),
  };
}

/** A side's state; an inode of 0 (unknown: a row from before issue 9) is left out, as `SideState.ino` says. */
function sideState(mtimeNs: bigint, mode: bigint, ino: bigint): SideState {
  return ino === 0n ? { mtimeNs, mode: Number(mode) } : { mtimeNs, mode: Number(mode), ino: Number(ino) };
}

type TypedArrayOf<T> = { new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): T; readonly BYTES_PER_ELEMENT: number };

/** The first `length` elements of `grown`, copied into a SharedArrayBuffer of exactly that size. */
function shared<T extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(Kind: TypedArrayOf<T>, grown: T, length: number): T {
  const out = new Kind(new SharedArrayBuffer(Math.max(1, length) * Kind.BYTES_PER_ELEMENT), 0, length);
  out.set(grown.subarray(0, length) as never);
  return out;
}

/** The loader's growing arrays (doubled when full). mtimes are held as 32-bit halves, little-endian, as a BigInt64Array lays them out. */
class ColumnGrowth {
  capacity = 0;
  offsets = new Uint32Array(0);
  kinds = new Uint8Array(0);
  sizes = new Float64Array(0);
  mtimeHalves = { source: new Uint32Array(0), target: new Uint32Array(0) };
  modes = { source: new Uint16Array(0), target: new Uint16Array(0) };
  inos = { source: new Float64Array(0), target: new Float64Array(0) };
  linkRows = new Uint32Array(16);
  linkCount = 0;
  readonly linkTargets: string[] = [];

  constructor() {
    if (!LITTLE_ENDIAN) throw new Error('the baseline loader lays out mtimes little-endian; this platform is big-endian');
  }

  ensure(rows: number): void {
    if (rows <= this.capacity) return;
    const capacity = Math.max(1024, this.capacity * 2, rows);
    this.offsets = grown(this.offsets, new Uint32Array(capacity));
    this.kinds = grown(this.kinds, new Uint8Array(capacity));
    this.sizes = grown(this.sizes, new Float64Array(capacity));
    for (const side of ['source', 'target'] as const) {
      this.mtimeHalves[side] = grown(this.mtimeHalves[side], new Uint32Array(2 * capacity));
      this.modes[side] = grown(this.modes[side], new Uint16Array(capacity));
      this.inos[side] = grown(this.inos[side], new Float64Array(capacity));
    }
    this.capacity = capacity;
  }

  link(row: number, linkTarget: string): void {
    if (this.linkCount === this.linkRows.length) this.linkRows = grown(this.linkRows, new Uint32Array(this.linkRows.length * 2));
    this.linkRows[this.linkCount++] = row;
    this.linkTargets.push(linkTarget);
  }
}

function grown<T extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(from: T, to: T): T {
  to.set(from as never);
  return to;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
