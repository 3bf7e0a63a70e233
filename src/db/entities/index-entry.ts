import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { SyncConduit } from './sync-conduit.js';

/**
 * `index_entry`: one path of a conduit's baseline (core/entry.ts
 * `BaselineEntry`). mtimes are int64 nanoseconds; the store reads them with
 * better-sqlite3's safe integers as bigint. Schema-check only; see SyncConduit.
 */
@Entity('index_entry')
@Index('UQ_index_entry_conduit_path', ['conduitId', 'path'], { unique: true })
export class IndexEntry {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ name: 'conduit_id', type: 'integer' })
  conduitId!: number;

  @ManyToOne(() => SyncConduit, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'conduit_id', foreignKeyConstraintName: 'FK_index_entry_conduit' })
  conduit?: SyncConduit;

  /** Relative POSIX path, NFC. */
  @Column({ type: 'text' })
  path!: string;

  /** `file` | `dir` | `symlink`. */
  @Column({ type: 'text' })
  kind!: string;

  @Column({ type: 'integer' })
  size!: number;

  @Column({ type: 'text', nullable: true })
  hash!: string | null;

  @Column({ name: 'link_target', type: 'text', nullable: true })
  linkTarget!: string | null;

  /** Nanoseconds since the epoch; the TypeORM type of an int64 is a string. */
  @Column({ name: 'source_mtime_ns', type: 'bigint' })
  sourceMtimeNs!: string;

  @Column({ name: 'source_mode', type: 'integer' })
  sourceMode!: number;

  @Column({ name: 'target_mtime_ns', type: 'bigint' })
  targetMtimeNs!: string;

  @Column({ name: 'target_mode', type: 'integer' })
  targetMode!: number;
}
