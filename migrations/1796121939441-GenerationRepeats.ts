// Only types from typeorm: src/db/open-store.ts reads this list without loading TypeORM.
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `sync_generation.repeat_count` and `last_repeated_at`: a refusal that
 * repeats the conduit's latest one word for word (a root missing for hours)
 * is counted on that one record instead of adding a record each time
 * (issue 11 §1). 1 for every generation that is no repeat.
 * Never edit after landing: add a migration.
 */
export class GenerationRepeats1796121939441 implements MigrationInterface {
  readonly name = 'GenerationRepeats1796121939441';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sync_generation" ADD COLUMN "repeat_count" integer NOT NULL DEFAULT (1)`);
    await queryRunner.query(`ALTER TABLE "sync_generation" ADD COLUMN "last_repeated_at" text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sync_generation" DROP COLUMN "last_repeated_at"`);
    await queryRunner.query(`ALTER TABLE "sync_generation" DROP COLUMN "repeat_count"`);
  }
}
