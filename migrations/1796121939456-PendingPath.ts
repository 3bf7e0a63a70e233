// Only types from typeorm: src/db/open-store.ts reads this list without loading TypeORM.
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `pending_path`: per conduit, the paths its latest generations did not
 * land (a skip or an error that the next generation retries), with the
 * reason, the generation since which, and for how many generations in a
 * row (issue 11 §1: a conduit with paths pending is not `current`).
 * Written in the generation's commit; a path leaves when it lands.
 * Cascades from `sync_conduit` like every table of a conduit's own.
 * Never edit after landing: add a migration.
 */
export class PendingPath1796121939456 implements MigrationInterface {
  readonly name = 'PendingPath1796121939456';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "pending_path" ("conduit_id" integer NOT NULL, "path" text NOT NULL, "side" text, "reason" text NOT NULL, ` +
        `"since_generation" integer NOT NULL, "last_generation" integer NOT NULL, "generations" integer NOT NULL, ` +
        `CONSTRAINT "FK_pending_path_conduit" FOREIGN KEY ("conduit_id") REFERENCES "sync_conduit" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, ` +
        `PRIMARY KEY ("conduit_id", "path"))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "pending_path"`);
  }
}
