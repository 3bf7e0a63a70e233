import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { SyncConduit } from './sync-conduit.js';

/**
 * `conduit_lease`: which process may act for a conduit, and until when
 * (src/db/lease.ts). Keyed by (conduit_id, kind); the row outlives its
 * holder so that `token` only ever grows. Times are UTC ISO-8601 text from
 * the database's clock. Schema-check only; see SyncConduit.
 */
@Entity('conduit_lease')
export class ConduitLease {
  @PrimaryColumn({ name: 'conduit_id', type: 'integer' })
  conduitId!: number;

  @ManyToOne(() => SyncConduit, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'conduit_id', foreignKeyConstraintName: 'FK_conduit_lease_conduit' })
  conduit?: SyncConduit;

  /** A LeaseKind: `generation` | `service`. */
  @PrimaryColumn({ type: 'text' })
  kind!: string;

  /** The fencing token: 1 at the first acquire, one more at every acquire after. */
  @Column({ type: 'integer' })
  token!: number;

  /** The holder's random per-process id; NULL once released. */
  @Column({ name: 'holder_id', type: 'text', nullable: true })
  holderId!: string | null;

  @Column({ name: 'holder_pid', type: 'integer', nullable: true })
  holderPid!: number | null;

  @Column({ name: 'holder_host', type: 'text', nullable: true })
  holderHost!: string | null;

  /** Boot and pid namespace of the holder: its pid is checked only from the same pid space. */
  @Column({ name: 'holder_pid_space', type: 'text', nullable: true })
  holderPidSpace!: string | null;

  @Column({ name: 'acquired_at', type: 'text', nullable: true })
  acquiredAt!: string | null;

  @Column({ name: 'heartbeat_at', type: 'text', nullable: true })
  heartbeatAt!: string | null;

  /** The lease is up for takeover from this instant unless renewed. */
  @Column({ name: 'expires_at', type: 'text', nullable: true })
  expiresAt!: string | null;

  /** `sync_generation.id` of the generation run under a `generation` lease: a takeover marks it `interrupted`. */
  @Column({ name: 'generation_id', type: 'integer', nullable: true })
  generationId!: number | null;
}
