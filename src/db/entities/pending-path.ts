import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { SyncConduit } from './sync-conduit.js';

/**
 * `pending_path`: a path the conduit's latest generations did not land (a
 * skip or an error the next generation retries). Keyed by (conduit_id,
 * path). Schema-check only; see SyncConduit.
 */
@Entity('pending_path')
export class PendingPath {
  @PrimaryColumn({ name: 'conduit_id', type: 'integer' })
  conduitId!: number;

  @ManyToOne(() => SyncConduit, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'conduit_id', foreignKeyConstraintName: 'FK_pending_path_conduit' })
  conduit?: SyncConduit;

  @PrimaryColumn({ type: 'text' })
  path!: string;

  /** The Side the path did not land on, or null when it is not one side's. */
  @Column({ type: 'text', nullable: true })
  side!: string | null;

  /** Why, as its latest generation said (the skip's reason or the error). */
  @Column({ type: 'text' })
  reason!: string;

  /** The first generation of the run of generations that did not land it. */
  @Column({ name: 'since_generation', type: 'integer' })
  sinceGeneration!: number;

  /** The latest generation that did not land it. */
  @Column({ name: 'last_generation', type: 'integer' })
  lastGeneration!: number;

  /** How many generations in a row did not land it. */
  @Column({ type: 'integer' })
  generations!: number;
}
