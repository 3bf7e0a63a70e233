// Only types from typeorm: src/db/open-store.ts reads this list without loading TypeORM.
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `conduit_lease` (src/db/lease.ts): one row per conduit and kind
 * (`generation`, `service`) saying which process may act for the conduit
 * until when, with a fencing token that grows on every acquire. A released
 * lease keeps its row (holder_id NULL) so that the token never goes back.
 * Cascades from `sync_conduit` like every table of a conduit's own.
 * Never edit after landing: add a migration.
 */
export class ConduitLease1796112114329 implements MigrationInterface {
  readonly name = 'ConduitLease1796112114329';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "conduit_lease" ("conduit_id" integer NOT NULL, "kind" text NOT NULL, "token" integer NOT NULL, ` +
        `"holder_id" text, "holder_pid" integer, "holder_host" text, "holder_pid_space" text, ` +
        `"acquired_at" text, "heartbeat_at" text, "expires_at" text, "generation_id" integer, ` +
        `CONSTRAINT "FK_conduit_lease_conduit" FOREIGN KEY ("conduit_id") REFERENCES "sync_conduit" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, ` +
        `PRIMARY KEY ("conduit_id", "kind"))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "conduit_lease"`);
  }
}
