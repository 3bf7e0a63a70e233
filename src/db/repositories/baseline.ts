import type Database from 'better-sqlite3';
import { BASELINE_KIND, type SideBaselineColumns } from '../../core/change-set.js';
import type { Baseline, BaselineEntry, SideState } from '../../core/entry.js';

/** One `index_entry` row in column order, read raw with safe integers (every integer is a bigint). */
type BaselineDbRow = [
  path: string, kind: string, size: bigint, hash: string | null, linkTarget: string | null,
  sourceMtimeNs: bigint, sourceMode: bigint, sourceIno: bigint, targetMtimeNs: bigint, targetMode: bigint, targetIno: bigint,
];

/**
 * One chunk of the columnar loader (`loadColumns`), aggregated by SQLite
 * itself: the chunk's row count, its paths joined by NUL, its link texts
 * joined by NUL (symlink rows only, in row order), and one BLOB of fixed-size
 * binary records, one per row (`RECORD_BYTES`, big-endian, see COLUMN_CHUNK_SQL).
 */
type ColumnChunkRow = [count: number, paths: string | null, records: Buffer | null, linkTargets: string | null];

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
  private readonly selectColumnChunk;
  private readonly deleteAll: Database.Statement<[number]>;
  private readonly upsertStatements = new Map<number, Database.Statement<unknown[]>>();
  private readonly deleteStatements = new Map<number, Database.Statement<unknown[]>>();
  private readonly pointStatements = new Map<number, Database.Statement<unknown[], BaselineDbRow>>();
  /** A read transaction (a savepoint inside the caller's, if any): several point queries see one state. */
  private readonly readTogether: Database.Transaction<(work: () => unknown) => unknown>;

  /** `columnChunk`: rows per chunk of `loadColumns` (tests make it small to cross chunk boundaries). */
  constructor(private readonly db: Database.Database, private readonly columnChunk = COLUMN_CHUNK) {
    // Safe integers: mtimes are int64 nanoseconds, beyond a double's 53 bits.
    this.selectAll = db
      .prepare<[number], BaselineDbRow>(`SELECT ${SELECT_COLUMNS} FROM index_entry WHERE conduit_id = ?`)
      .raw(true)
      .safeIntegers(true);
    this.selectColumnChunk = db.prepare<[number, string, number], ColumnChunkRow>(COLUMN_CHUNK_SQL).raw(true);
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
   * table's key order (SQLite's BINARY order of the UTF-8 paths).
   *
   * Stepping rows into JavaScript costs a row array, a path string and a
   * number per column for every row (~2 µs a row here); instead SQLite
   * aggregates each chunk of COLUMN_CHUNK rows into one string of paths and
   * one BLOB of binary records (`group_concat` over `printf` hex, `unhex`),
   * and only those cross into JavaScript, where a loop without allocation
   * spreads the records into the columns. The chunks are read by key ranges
   * (`path > last`) in one read transaction, so they see one state and the
   * aggregates' size stays bounded. Arrays grow by doubling and are copied once
   * into SharedArrayBuffers of the exact size: posted to a scan worker they are
   * shared, not copied, and stay usable here. The columns common to both sides
   * (paths, offsets, kinds, sizes, links) are one object each, shared by the
   * two SideBaselineColumns.
   */
  loadColumns(conduitId: number): { source: SideBaselineColumns; target: SideBaselineColumns; count: number } {
    const grow = new ColumnGrowth();
    const pathChunks: string[] = [];
    let offset = 0;
    let row = 0;
    this.readTogether.deferred(() => {
      let after = '';
      for (;;) {
        const [count, paths, records, links] = this.selectColumnChunk.get(conduitId, after, this.columnChunk)!;
        if (count === 0) break;
        if (paths === null || records === null || records.length !== count * RECORD_BYTES) {
          throw new Error(`baseline of conduit #${conduitId}: a chunk of ${count} rows after ${JSON.stringify(after)} did not aggregate whole`);
        }
        grow.ensure(row + count + 1);
        // Offsets: each NUL ends a path (the chunk's last one is added here).
        const text = `${paths}\0`;
        for (let end = text.indexOf('\0'), from = 0, i = row; end >= 0; from = end + 1, end = text.indexOf('\0', from), i++) {
          if (i >= row + count) throw new Error(`baseline of conduit #${conduitId}: a path holds a NUL`);
          grow.offsets[i] = offset + from;
        }
        spreadRecords(records, row, count, grow, conduitId);
        if (links !== null) grow.linkTexts(links);
        pathChunks.push(text);
        offset += text.length;
        row += count;
        if (count < this.columnChunk) break;
        after = paths.slice(paths.lastIndexOf('\0') + 1);
      }
    });
    const count = row;
    grow.ensure(count + 1);
    grow.offsets[count] = offset;
    if (grow.linkCount !== grow.linkTargets.length) {
      throw new Error(`baseline of conduit #${conduitId}: ${grow.linkCount} symlink rows but ${grow.linkTargets.length} link texts`);
    }
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

/**
 * Rows per chunk of `loadColumns`: bounds what SQLite builds per aggregate
 * (~90 bytes of hex per row, then the 45-byte records) to a few MB.
 */
const COLUMN_CHUNK = 65_536;
/** size, source mtime, source ino, target mtime, target ino (8 bytes each), source mode, target mode (2 each), kind (1). */
const RECORD_BYTES = 45;
/**
 * One chunk: the rows after the given path in key order (the subquery's ORDER BY is the
 * WITHOUT ROWID key, read in order without a sort, and the aggregates consume
 * it in that order; test/db/baseline-columns.medium.test.ts holds the result
 * to SQLite's byte order on non-ASCII paths). `printf('%016x')` writes an
 * int64 as two's complement, so negative mtimes survive; `& 65535` keeps a
 * mode to its four hex digits whatever the row holds.
 */
const COLUMN_CHUNK_SQL = `SELECT count(*), group_concat(path, char(0)),
  unhex(group_concat(printf('%016x%016x%016x%016x%016x%04x%04x%02x',
    size, source_mtime_ns, source_ino, target_mtime_ns, target_ino, source_mode & 65535, target_mode & 65535,
    CASE kind WHEN 'file' THEN ${BASELINE_KIND.file} WHEN 'dir' THEN ${BASELINE_KIND.dir} WHEN 'symlink' THEN ${BASELINE_KIND.symlink} ELSE ${KIND_UNKNOWN} END), '')),
  group_concat(coalesce(link_target, ''), char(0)) FILTER (WHERE kind = 'symlink')
  FROM (SELECT path, kind, size, link_target, source_mtime_ns, source_mode, source_ino, target_mtime_ns, target_mode, target_ino
        FROM index_entry WHERE conduit_id = ? AND path > ? ORDER BY path LIMIT ?)`;

/** A chunk's binary records (big-endian) into the columns, rows `first`.. `first + count - 1`; no allocation per row. */
function spreadRecords(records: Buffer, first: number, count: number, grow: ColumnGrowth, conduitId: number): void {
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  const { sizes, kinds, mtimeHalves, modes, inos } = grow;
  for (let i = 0, at = 0; i < count; i++, at += RECORD_BYTES) {
    const row = first + i;
    sizes[row] = view.getUint32(at, false) * 4294967296 + view.getUint32(at + 4, false);
    mtimeHalves.source[2 * row + 1] = view.getUint32(at + 8, false);
    mtimeHalves.source[2 * row] = view.getUint32(at + 12, false);
    inos.source[row] = view.getUint32(at + 16, false) * 4294967296 + view.getUint32(at + 20, false);
    mtimeHalves.target[2 * row + 1] = view.getUint32(at + 24, false);
    mtimeHalves.target[2 * row] = view.getUint32(at + 28, false);
    inos.target[row] = view.getUint32(at + 32, false) * 4294967296 + view.getUint32(at + 36, false);
    modes.source[row] = view.getUint16(at + 40, false);
    modes.target[row] = view.getUint16(at + 42, false);
    const kind = view.getUint8(at + 44);
    if (kind === KIND_UNKNOWN) throw new Error(`baseline of conduit #${conduitId}: row ${row} has an unknown kind`);
    kinds[row] = kind;
    if (kind === BASELINE_KIND.symlink) grow.linkRow(row);
  }
}
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

  linkRow(row: number): void {
    if (this.linkCount === this.linkRows.length) this.linkRows = grown(this.linkRows, new Uint32Array(this.linkRows.length * 2));
    this.linkRows[this.linkCount++] = row;
  }

  /** A chunk's link texts, NUL-separated, in row order (a link's text holds no NUL). */
  linkTexts(joined: string): void {
    for (const text of joined.split('\0')) this.linkTargets.push(text);
  }
}

function grown<T extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(from: T, to: T): T {
  to.set(from as never);
  return to;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
