import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { SyncConduit } from './sync-conduit.js';

/**
 * `index_entry`: one path of a conduit's baseline (core/entry.ts
 * `BaselineEntry`). mtimes are int64 nanoseconds; the store reads them with
 * better-sqlite3's safe integers as bigint. Schema-check only; see SyncConduit.
 *
 * WITHOUT ROWID, keyed by (conduit_id, path): a conduit's rows sit together
 * in the one B-tree, so loading a baseline is a range scan with no second
 * lookup per row, and no separate unique index duplicates every path.
 */
@Entity('index_entry', { withoutRowid: true })
export class IndexEntry {
  @PrimaryColumn({ name: 'conduit_id', type: 'integer' })
  conduitId!: number;

  @ManyToOne(() => SyncConduit, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'conduit_id', foreignKeyConstraintName: 'FK_index_entry_conduit' })
  conduit?: SyncConduit;

  /** Relative POSIX path, NFC. */
  @PrimaryColumn({ type: 'text' })
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

  /** The inode each side's path had (issue 9); 0 when unknown (a row written before). */
  @Column({ name: 'source_ino', type: 'integer', default: 0 })
  sourceIno!: number;

  @Column({ name: 'target_ino', type: 'integer', default: 0 })
  targetIno!: number;
}
