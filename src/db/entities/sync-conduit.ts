import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * `sync_conduit`: one named sync relationship, its spec (the seed fields of
 * SPEC §7) plus its state and running totals.
 *
 * This entity exists so that TypeORM can check the schema the migrations
 * build (see test/db/migrations.medium.test.ts); the store reads and writes
 * the table through prepared statements (src/db/repositories/), never
 * through this class, because loading TypeORM costs the CLI ~200 ms.
 * Every column names its `type`: decorator metadata is not emitted.
 */
@Entity('sync_conduit')
export class SyncConduit {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Index('UQ_sync_conduit_uuid', { unique: true })
  @Column({ type: 'text' })
  uuid!: string;

  @Index('UQ_sync_conduit_name', { unique: true })
  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'source_path', type: 'text' })
  sourcePath!: string;

  @Column({ name: 'target_path', type: 'text' })
  targetPath!: string;

  /** A Mode (src/core/vocabulary.ts). */
  @Column({ type: 'text' })
  mode!: string;

  @Column({ type: 'boolean' })
  enabled!: boolean;

  @Column({ type: 'text' })
  schedule!: string;

  /** JSON array of .gitignore-style patterns. */
  @Column({ type: 'text' })
  include!: string;

  /** JSON array of .gitignore-style patterns. */
  @Column({ type: 'text' })
  exclude!: string;

  @Column({ name: 'use_index_rules', type: 'boolean' })
  useIndexRules!: boolean;

  /** A ConflictPolicy. */
  @Column({ name: 'conflict_policy', type: 'text' })
  conflictPolicy!: string;

  @Column({ name: 'parallel_transfers', type: 'integer' })
  parallelTransfers!: number;

  @Column({ name: 'bandwidth_limit_mbps', type: 'real', nullable: true })
  bandwidthLimitMbps!: number | null;

  @Column({ name: 'max_delete_percent', type: 'real' })
  maxDeletePercent!: number;

  @Column({ type: 'boolean' })
  checksum!: boolean;

  /** JSON `{ dir, keepDays }`, or null when versioning is off. */
  @Column({ type: 'text', nullable: true })
  versioning!: string | null;

  @Column({ name: 'verify_timeout_seconds', type: 'integer' })
  verifyTimeoutSeconds!: number;

  /** A ConduitState. */
  @Column({ type: 'text', default: 'never_synced' })
  state!: string;

  @Column({ name: 'last_sync_completed_at', type: 'text', nullable: true })
  lastSyncCompletedAt!: string | null;

  /** Number of the latest generation (0: none yet). */
  @Column({ name: 'sync_generation', type: 'integer', default: 0 })
  syncGeneration!: number;

  @Column({ name: 'last_sync_error', type: 'text', nullable: true })
  lastSyncError!: string | null;

  @Column({ name: 'total_syncs', type: 'integer', default: 0 })
  totalSyncs!: number;

  @Column({ name: 'files_synced', type: 'integer', default: 0 })
  filesSynced!: number;

  @Column({ name: 'bytes_transferred', type: 'integer', default: 0 })
  bytesTransferred!: number;

  @Column({ name: 'created_at', type: 'text' })
  createdAt!: string;

  @Column({ name: 'updated_at', type: 'text' })
  updatedAt!: string;

  /** The absolute path of the config file that manages the conduit (`serve --config`), or null. */
  @Column({ name: 'managed_by', type: 'text', nullable: true })
  managedBy!: string | null;

  /** The `enabled` the managing file said at its last import (a CLI/API pause holds until the file changes it), or null. */
  @Column({ name: 'managed_enabled', type: 'boolean', nullable: true })
  managedEnabled!: boolean | null;

  /** The ssh command line for a remote root (issue 10), or null for the default. */
  @Column({ name: 'ssh_command', type: 'text', nullable: true })
  sshCommand!: string | null;

  /** The command run on the far host, or null for the default. */
  @Column({ name: 'remote_command', type: 'text', nullable: true })
  remoteCommand!: string | null;
  /** Generations refused in a row because a remote root's host could not be reached (0: it answered last). */
  @Column({ name: 'attempt_count', type: 'integer', default: 0 })
  attemptCount!: number;

  /** When automatic triggers may try an unreachable host again (ISO-8601 UTC), or null. */
  @Column({ name: 'next_attempt_at', type: 'text', nullable: true })
  nextAttemptAt!: string | null;
}
