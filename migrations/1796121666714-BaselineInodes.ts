// Only types from typeorm: src/db/open-store.ts reads this list without loading TypeORM.
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `index_entry.source_ino` / `target_ino` (issue 9): the inode each side's
 * path had when the baseline row was written. A scan compares with the
 * baseline where it walks (core/change-set.ts) and reports only what differs;
 * a path it finds unchanged is rebuilt from its row, so the row must carry the
 * inode that verify-before-overwrite checks. 0 means unknown (every row
 * written before this migration): such a row never matches, so the next
 * generation reports the path and rewrites the row with its inode.
 * Never edit after landing: add a migration.
 */
export class BaselineInodes1796121666714 implements MigrationInterface {
  readonly name = 'BaselineInodes1796121666714';

  async up(queryRunner: QueryRunner): Promise<void> {
    // ADD COLUMN with a constant default rewrites no row: old rows read the default.
    await queryRunner.query(`ALTER TABLE "index_entry" ADD COLUMN "source_ino" integer NOT NULL DEFAULT (0)`);
    await queryRunner.query(`ALTER TABLE "index_entry" ADD COLUMN "target_ino" integer NOT NULL DEFAULT (0)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // DROP COLUMN needs SQLite 3.35 (better-sqlite3 bundles a newer one).
    await queryRunner.query(`ALTER TABLE "index_entry" DROP COLUMN "target_ino"`);
    await queryRunner.query(`ALTER TABLE "index_entry" DROP COLUMN "source_ino"`);
  }
}
