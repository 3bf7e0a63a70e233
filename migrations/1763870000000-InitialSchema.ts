// Only types from typeorm: src/db/open-store.ts reads this list without loading TypeORM.
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The first schema of conduit (SPEC §7): conduits, their generations and
 * per-file events, the baseline index and the conflict records. Every table
 * of a conduit's own cascades from `sync_conduit`, so removing a conduit
 * leaves none of its rows behind. Never edit after landing: add a migration.
 */
export class InitialSchema1763870000000 implements MigrationInterface {
  readonly name = 'InitialSchema1763870000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "sync_conduit" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "uuid" text NOT NULL, "name" text NOT NULL, ` +
        `"source_path" text NOT NULL, "target_path" text NOT NULL, "mode" text NOT NULL, "enabled" boolean NOT NULL, "schedule" text NOT NULL, ` +
        `"include" text NOT NULL, "exclude" text NOT NULL, "use_index_rules" boolean NOT NULL, "conflict_policy" text NOT NULL, ` +
        `"parallel_transfers" integer NOT NULL, "bandwidth_limit_mbps" real, "max_delete_percent" real NOT NULL, "checksum" boolean NOT NULL, ` +
        `"versioning" text, "verify_timeout_seconds" integer NOT NULL, "state" text NOT NULL DEFAULT ('never_synced'), ` +
        `"last_sync_completed_at" text, "sync_generation" integer NOT NULL DEFAULT (0), "last_sync_error" text, ` +
        `"total_syncs" integer NOT NULL DEFAULT (0), "files_synced" integer NOT NULL DEFAULT (0), "bytes_transferred" integer NOT NULL DEFAULT (0), ` +
        `"created_at" text NOT NULL, "updated_at" text NOT NULL)`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_sync_conduit_uuid" ON "sync_conduit" ("uuid")`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_sync_conduit_name" ON "sync_conduit" ("name")`);

    await queryRunner.query(
      `CREATE TABLE "sync_generation" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "conduit_id" integer NOT NULL, ` +
        `"generation" integer NOT NULL, "trigger" text NOT NULL, "started_at" text NOT NULL, "completed_at" text, "status" text NOT NULL, ` +
        `"dry_run" boolean NOT NULL, "files_copied" integer NOT NULL DEFAULT (0), "files_deleted" integer NOT NULL DEFAULT (0), ` +
        `"dirs_created" integer NOT NULL DEFAULT (0), "dirs_deleted" integer NOT NULL DEFAULT (0), ` +
        `"conflicts_detected" integer NOT NULL DEFAULT (0), "conflicts_resolved" integer NOT NULL DEFAULT (0), ` +
        `"bytes_transferred" integer NOT NULL DEFAULT (0), "errors_encountered" integer NOT NULL DEFAULT (0), "error_message" text, ` +
        `"verified_at" text, "verification_status" text NOT NULL DEFAULT ('unverified'), "runner_pid" integer, ` +
        `CONSTRAINT "FK_sync_generation_conduit" FOREIGN KEY ("conduit_id") REFERENCES "sync_conduit" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_sync_generation_conduit_generation" ON "sync_generation" ("conduit_id", "generation")`,
    );
    // Partial: opening a store looks for `running` rows without reading the whole history.
    await queryRunner.query(`CREATE INDEX "IDX_sync_generation_running" ON "sync_generation" ("status") WHERE status = 'running'`);

    // WITHOUT ROWID keyed by (conduit_id, path): loading a conduit's baseline is one range scan of one B-tree.
    await queryRunner.query(
      `CREATE TABLE "index_entry" ("conduit_id" integer NOT NULL, "path" text NOT NULL, ` +
        `"kind" text NOT NULL, "size" integer NOT NULL, "hash" text, "link_target" text, "source_mtime_ns" bigint NOT NULL, ` +
        `"source_mode" integer NOT NULL, "target_mtime_ns" bigint NOT NULL, "target_mode" integer NOT NULL, ` +
        `CONSTRAINT "FK_index_entry_conduit" FOREIGN KEY ("conduit_id") REFERENCES "sync_conduit" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, ` +
        `PRIMARY KEY ("conduit_id", "path")) WITHOUT ROWID`,
    );

    await queryRunner.query(
      `CREATE TABLE "sync_conflict" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "conduit_id" integer NOT NULL, ` +
        `"generation_id" integer NOT NULL, "generation" integer NOT NULL, "path" text NOT NULL, "kind" text NOT NULL, ` +
        `"severity" text NOT NULL, "resolution" text NOT NULL, "detected_at" text NOT NULL, "resolved_at" text, ` +
        `"source_kind" text, "source_size" integer, "source_mtime" text, "target_kind" text, "target_size" integer, "target_mtime" text, ` +
        `"conflict_copy" text, ` +
        `CONSTRAINT "FK_sync_conflict_conduit" FOREIGN KEY ("conduit_id") REFERENCES "sync_conduit" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, ` +
        `CONSTRAINT "FK_sync_conflict_generation" FOREIGN KEY ("generation_id") REFERENCES "sync_generation" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_sync_conflict_conduit_resolution" ON "sync_conflict" ("conduit_id", "resolution")`,
    );
    // One open record per path (SPEC §2.2): a later generation updates it instead of adding another.
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_sync_conflict_open_path" ON "sync_conflict" ("conduit_id", "path") WHERE resolution = 'unresolved'`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_sync_conflict_generation" ON "sync_conflict" ("generation_id")`);

    await queryRunner.query(
      `CREATE TABLE "generation_event" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "generation_id" integer NOT NULL, ` +
        `"side" text, "path" text NOT NULL, "action" text NOT NULL, "bytes" integer NOT NULL DEFAULT (0), "message" text, ` +
        `CONSTRAINT "FK_generation_event_generation" FOREIGN KEY ("generation_id") REFERENCES "sync_generation" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_generation_event_generation_action" ON "generation_event" ("generation_id", "action")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Dependents first; a table's indexes go with it.
    await queryRunner.query(`DROP TABLE "generation_event"`);
    await queryRunner.query(`DROP TABLE "sync_conflict"`);
    await queryRunner.query(`DROP TABLE "index_entry"`);
    await queryRunner.query(`DROP TABLE "sync_generation"`);
    await queryRunner.query(`DROP TABLE "sync_conduit"`);
  }
}
