import type Database from 'better-sqlite3';
import type { ConflictKind, Resolution, Severity } from '../../core/vocabulary.js';
import { type ConflictInput, type ConflictRecord, type EntrySummary, StoreError } from '../store.js';

/** The columns a conflict input writes, as named parameters. */
interface ConflictParams {
  kind: string;
  severity: string;
  source_kind: string | null;
  source_size: number | null;
  source_mtime: string | null;
  target_kind: string | null;
  target_size: number | null;
  target_mtime: string | null;
  conflict_copy: string | null;
}

/** A `sync_conflict` row joined with its conduit's name: the written columns plus identity and resolution. */
interface ConflictDbRow extends ConflictParams {
  id: number;
  conduit: string;
  path: string;
  resolution: string;
  generation: number;
  detected_at: string;
  resolved_at: string | null;
}

/** Where and when a generation saw its conflicts. */
export interface ConflictContext {
  readonly conduitId: number;
  readonly generationId: number;
  readonly generation: number;
  /** When the generation started: a new record's `detected_at`. */
  readonly detectedAt: string;
  /** When it finished: a closed record's `resolved_at`. */
  readonly resolvedAt: string;
}

const SELECT_RECORD = `
  SELECT f.id, c.name AS conduit, f.path, f.kind, f.severity, f.resolution, f.generation, f.detected_at, f.resolved_at,
         f.source_kind, f.source_size, f.source_mtime, f.target_kind, f.target_size, f.target_mtime, f.conflict_copy
  FROM sync_conflict f JOIN sync_conduit c ON c.id = f.conduit_id`;
const ORDER = 'ORDER BY c.name, f.path, f.id';

function summary(kind: string | null, size: number | null, mtime: string | null): EntrySummary | null {
  if (kind === null) return null;
  return { kind: kind as EntrySummary['kind'], size: size ?? 0, mtime: mtime ?? '' };
}

function toConflictRecord(row: ConflictDbRow): ConflictRecord {
  return {
    id: row.id,
    conduit: row.conduit,
    path: row.path,
    kind: row.kind as ConflictKind,
    severity: row.severity as Severity,
    resolution: row.resolution as Resolution,
    generation: row.generation,
    detectedAt: row.detected_at,
    resolvedAt: row.resolved_at,
    source: summary(row.source_kind, row.source_size, row.source_mtime),
    target: summary(row.target_kind, row.target_size, row.target_mtime),
    conflictCopy: row.conflict_copy,
  };
}

function conflictParams(input: ConflictInput): ConflictParams {
  return {
    kind: input.kind,
    severity: input.severity,
    source_kind: input.source?.kind ?? null,
    source_size: input.source?.size ?? null,
    source_mtime: input.source?.mtime ?? null,
    target_kind: input.target?.kind ?? null,
    target_size: input.target?.size ?? null,
    target_mtime: input.target?.mtime ?? null,
    conflict_copy: input.conflictCopy,
  };
}

const SIDE_COLUMNS = `kind = @kind, severity = @severity,
  source_kind = @source_kind, source_size = @source_size, source_mtime = @source_mtime,
  target_kind = @target_kind, target_size = @target_size, target_mtime = @target_mtime,
  conflict_copy = COALESCE(@conflict_copy, conflict_copy)`;

/**
 * `sync_conflict`. One open record per (conduit, path) (SPEC §2.2; a partial
 * unique index enforces it): a generation that finds the same unresolved
 * conflict again refreshes the open record, and one that resolves it closes
 * that record rather than adding another.
 */
export class ConflictRepository {
  private readonly selectOpen;
  private readonly refreshOpen;
  private readonly closeOpen;
  private readonly insertRow;
  private readonly selectUnresolved;
  private readonly selectAll;
  private readonly selectUnresolvedOf;
  private readonly selectAllOf;
  private readonly selectById;
  private readonly resolveRow;

  constructor(db: Database.Database) {
    this.selectOpen = db
      .prepare<[number, string], number>(`SELECT id FROM sync_conflict WHERE conduit_id = ? AND path = ? AND resolution = 'unresolved'`)
      .pluck();
    this.refreshOpen = db.prepare<[ConflictParams & { id: number; generation_id: number; generation: number }]>(
      `UPDATE sync_conflict SET generation_id = @generation_id, generation = @generation, ${SIDE_COLUMNS} WHERE id = @id`,
    );
    this.closeOpen = db.prepare<[ConflictParams & { id: number; resolution: string; resolved_at: string }]>(
      `UPDATE sync_conflict SET resolution = @resolution, resolved_at = @resolved_at, ${SIDE_COLUMNS} WHERE id = @id`,
    );
    this.insertRow = db.prepare<[ConflictParams & {
      conduit_id: number; generation_id: number; generation: number; path: string;
      resolution: string; detected_at: string; resolved_at: string | null;
    }]>(
      `INSERT INTO sync_conflict (conduit_id, generation_id, generation, path, kind, severity, resolution, detected_at, resolved_at,
         source_kind, source_size, source_mtime, target_kind, target_size, target_mtime, conflict_copy)
       VALUES (@conduit_id, @generation_id, @generation, @path, @kind, @severity, @resolution, @detected_at, @resolved_at,
         @source_kind, @source_size, @source_mtime, @target_kind, @target_size, @target_mtime, @conflict_copy)`,
    );
    this.selectUnresolved = db.prepare<[], ConflictDbRow>(`${SELECT_RECORD} WHERE f.resolution = 'unresolved' ${ORDER}`);
    this.selectAll = db.prepare<[], ConflictDbRow>(`${SELECT_RECORD} ${ORDER}`);
    this.selectUnresolvedOf = db.prepare<[number], ConflictDbRow>(
      `${SELECT_RECORD} WHERE f.conduit_id = ? AND f.resolution = 'unresolved' ${ORDER}`,
    );
    this.selectAllOf = db.prepare<[number], ConflictDbRow>(`${SELECT_RECORD} WHERE f.conduit_id = ? ${ORDER}`);
    this.selectById = db.prepare<[number], ConflictDbRow>(`${SELECT_RECORD} WHERE f.id = ?`);
    this.resolveRow = db.prepare<[string, string, number]>('UPDATE sync_conflict SET resolution = ?, resolved_at = ? WHERE id = ?');
  }

  /** Records one conflict a generation detected; the caller holds the transaction. */
  record(context: ConflictContext, input: ConflictInput): void {
    const params = conflictParams(input);
    const openId = this.selectOpen.get(context.conduitId, input.path);
    if (input.resolution === 'unresolved') {
      if (openId !== undefined) {
        // Seen again: refresh what it looks like now, keep when it was first detected.
        this.refreshOpen.run({ ...params, id: openId, generation_id: context.generationId, generation: context.generation });
        return;
      }
    } else if (openId !== undefined) {
      // The open record is the same conflict: close it rather than adding a resolved twin.
      this.closeOpen.run({ ...params, id: openId, resolution: input.resolution, resolved_at: context.resolvedAt });
      return;
    }
    this.insertRow.run({
      ...params,
      conduit_id: context.conduitId,
      generation_id: context.generationId,
      generation: context.generation,
      path: input.path,
      resolution: input.resolution,
      detected_at: context.detectedAt,
      resolved_at: input.resolution === 'unresolved' ? null : context.resolvedAt,
    });
  }

  /** Open conflicts (all with `all`), of one conduit when `conduitId` is given; by conduit, path, then age. */
  list(conduitId: number | undefined, all: boolean): ConflictRecord[] {
    const rows = conduitId === undefined
      ? (all ? this.selectAll : this.selectUnresolved).all()
      : (all ? this.selectAllOf : this.selectUnresolvedOf).all(conduitId);
    return rows.map(toConflictRecord);
  }

  get(id: number): ConflictRecord | undefined {
    const row = this.selectById.get(id);
    return row && toConflictRecord(row);
  }

  resolve(id: number, resolution: Resolution, resolvedAt: string): void {
    if (resolution === 'unresolved') {
      // A programming error, not a user's: reopening would break "one open record per path".
      throw new RangeError(`resolveConflict(#${id}): "unresolved" is not a resolution`);
    }
    if (this.resolveRow.run(resolution, resolvedAt, id).changes === 0) {
      throw new StoreError('not_found', `conflict #${id} not found`);
    }
  }
}
