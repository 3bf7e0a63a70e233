import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { SyncConduit } from './sync-conduit.js';

/**
 * `offline_hint`: a path the local watcher reported changed while the
 * conduit's remote host was unreachable (issue 10), kept until a full
 * generation reaches the host. Keyed by (conduit_id, path). Schema-check
 * only; see SyncConduit.
 */
@Entity('offline_hint')
export class OfflineHint {
  @PrimaryColumn({ name: 'conduit_id', type: 'integer' })
  conduitId!: number;

  @ManyToOne(() => SyncConduit, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'conduit_id', foreignKeyConstraintName: 'FK_offline_hint_conduit' })
  conduit?: SyncConduit;

  /** Relative to the conduit's roots, as the watcher batch named it. */
  @PrimaryColumn({ type: 'text' })
  path!: string;

  /** When it was first reported (ISO-8601 UTC). */
  @Column({ name: 'seen_at', type: 'text' })
  seenAt!: string;
}
