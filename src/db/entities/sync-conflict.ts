import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { SyncConduit } from './sync-conduit.js';
import { SyncGeneration } from './sync-generation.js';

/**
 * `sync_conflict`: a conflict a generation detected (SPEC §2.2). At most one
 * record per (conduit, path) is open (`resolution = 'unresolved'`): a later
 * generation that sees the same conflict updates it. Each side's version is
 * summarised in three nullable columns (all null: that side held nothing).
 * Schema-check only; see SyncConduit.
 */
@Entity('sync_conflict')
@Index('IDX_sync_conflict_conduit_resolution', ['conduitId', 'resolution'])
@Index('UQ_sync_conflict_open_path', ['conduitId', 'path'], { unique: true, where: `resolution = 'unresolved'` })
@Index('IDX_sync_conflict_generation', ['generationId'])
export class SyncConflict {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ name: 'conduit_id', type: 'integer' })
  conduitId!: number;

  @ManyToOne(() => SyncConduit, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'conduit_id', foreignKeyConstraintName: 'FK_sync_conflict_conduit' })
  conduit?: SyncConduit;

  /** The generation that last saw it open (it detected it, or found it again). */
  @Column({ name: 'generation_id', type: 'integer' })
  generationId!: number;

  @ManyToOne(() => SyncGeneration, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'generation_id', foreignKeyConstraintName: 'FK_sync_conflict_generation' })
  generationRow?: SyncGeneration;

  /** That generation's number, kept beside its id so listing needs no join. */
  @Column({ type: 'integer' })
  generation!: number;

  @Column({ type: 'text' })
  path!: string;

  /** A ConflictKind. */
  @Column({ type: 'text' })
  kind!: string;

  /** A Severity. */
  @Column({ type: 'text' })
  severity!: string;

  /** A Resolution; `unresolved` while open. */
  @Column({ type: 'text' })
  resolution!: string;

  @Column({ name: 'detected_at', type: 'text' })
  detectedAt!: string;

  @Column({ name: 'resolved_at', type: 'text', nullable: true })
  resolvedAt!: string | null;

  @Column({ name: 'source_kind', type: 'text', nullable: true })
  sourceKind!: string | null;

  @Column({ name: 'source_size', type: 'integer', nullable: true })
  sourceSize!: number | null;

  @Column({ name: 'source_mtime', type: 'text', nullable: true })
  sourceMtime!: string | null;

  @Column({ name: 'target_kind', type: 'text', nullable: true })
  targetKind!: string | null;

  @Column({ name: 'target_size', type: 'integer', nullable: true })
  targetSize!: number | null;

  @Column({ name: 'target_mtime', type: 'text', nullable: true })
  targetMtime!: string | null;

  /** Relative path of the conflict copy made for it, if any. */
  @Column({ name: 'conflict_copy', type: 'text', nullable: true })
  conflictCopy!: string | null;
}
