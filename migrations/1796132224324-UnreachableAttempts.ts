// Only types from typeorm: src/db/open-store.ts reads this list without loading TypeORM.
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Remote roots offline (issue 10):
 * - `sync_conduit.attempt_count`: how many generations in a row were refused
 *   because a remote root's host could not be reached (0: it answered last);
 *   `next_attempt_at`: when automatic triggers may try again (exponential
 *   backoff with jitter, service/schedule-timing.ts), or NULL. In the row, so a
 *   restarted serve keeps the backoff.
 * - `offline_hint`: paths the local watcher reported changed while the
 *   conduit's host was unreachable, kept so that neither a long outage nor a
 *   restart of serve loses the news; the first full generation that reaches
 *   the host syncs them and clears them. Cascades from `sync_conduit`.
 * Never edit after landing: add a migration.
 */
export class UnreachableAttempts1796132224324 implements MigrationInterface {
  readonly name = 'UnreachableAttempts1796132224324';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sync_conduit" ADD COLUMN "attempt_count" integer NOT NULL DEFAULT (0)`);
    await queryRunner.query(`ALTER TABLE "sync_conduit" ADD COLUMN "next_attempt_at" text`);
    await queryRunner.query(
      `CREATE TABLE "offline_hint" ("conduit_id" integer NOT NULL, "path" text NOT NULL, "seen_at" text NOT NULL, ` +
        `CONSTRAINT "FK_offline_hint_conduit" FOREIGN KEY ("conduit_id") REFERENCES "sync_conduit" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, ` +
        `PRIMARY KEY ("conduit_id", "path"))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "offline_hint"`);
    await queryRunner.query(`ALTER TABLE "sync_conduit" DROP COLUMN "next_attempt_at"`);
    await queryRunner.query(`ALTER TABLE "sync_conduit" DROP COLUMN "attempt_count"`);
  }
}
