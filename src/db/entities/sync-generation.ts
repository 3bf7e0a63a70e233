import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { SyncConduit } from './sync-conduit.js';

/**
 * `sync_generation`: one run of a conduit (SPEC §7), numbered 1, 2, 3… per
 * conduit. Schema-check only; see SyncConduit for why.
 */
@Entity('sync_generation')
@Index('UQ_sync_generation_conduit_generation', ['conduitId', 'generation'], { unique: true })
// Opening a store looks for runs left `running` by a dead process; the
// partial index keeps that check off the (ever growing) history.
@Index('IDX_sync_generation_running', ['status'], { where: `status = 'running'` })
export class SyncGeneration {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ name: 'conduit_id', type: 'integer' })
  conduitId!: number;

  @ManyToOne(() => SyncConduit, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'conduit_id', foreignKeyConstraintName: 'FK_sync_generation_conduit' })
  conduit?: SyncConduit;

  @Column({ type: 'integer' })
  generation!: number;

  /** A Trigger. */
  @Column({ type: 'text' })
  trigger!: string;

  @Column({ name: 'started_at', type: 'text' })
  startedAt!: string;

  @Column({ name: 'completed_at', type: 'text', nullable: true })
  completedAt!: string | null;

  /** A GenerationStatus. */
  @Column({ type: 'text' })
  status!: string;

  @Column({ name: 'dry_run', type: 'boolean' })
  dryRun!: boolean;

  @Column({ name: 'files_copied', type: 'integer', default: 0 })
  filesCopied!: number;

  @Column({ name: 'files_deleted', type: 'integer', default: 0 })
  filesDeleted!: number;

  @Column({ name: 'dirs_created', type: 'integer', default: 0 })
  dirsCreated!: number;

  @Column({ name: 'dirs_deleted', type: 'integer', default: 0 })
  dirsDeleted!: number;

  @Column({ name: 'conflicts_detected', type: 'integer', default: 0 })
  conflictsDetected!: number;

  @Column({ name: 'conflicts_resolved', type: 'integer', default: 0 })
  conflictsResolved!: number;

  @Column({ name: 'bytes_transferred', type: 'integer', default: 0 })
  bytesTransferred!: number;

  @Column({ name: 'errors_encountered', type: 'integer', default: 0 })
  errorsEncountered!: number;

  @Column({ name: 'error_message', type: 'text', nullable: true })
  errorMessage!: string | null;

  @Column({ name: 'verified_at', type: 'text', nullable: true })
  verifiedAt!: string | null;

  /** A VerificationStatus (`failed:<reason>` carries its reason). */
  @Column({ name: 'verification_status', type: 'text', default: 'unverified' })
  verificationStatus!: string;

  /** process.pid of the process running it: a `running` row whose process is gone was interrupted. */
  @Column({ name: 'runner_pid', type: 'integer', nullable: true })
  runnerPid!: number | null;

  /** How many times this refusal happened in a row (1: once); repeats are counted here, not recorded anew. */
  @Column({ name: 'repeat_count', type: 'integer', default: 1 })
  repeatCount!: number;

  /** When the last repeat was counted; null when none. */
  @Column({ name: 'last_repeated_at', type: 'text', nullable: true })
  lastRepeatedAt!: string | null;
}
