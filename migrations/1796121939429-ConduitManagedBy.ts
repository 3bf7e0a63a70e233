// Only types from typeorm: src/db/open-store.ts reads this list without loading TypeORM.
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `sync_conduit.managed_by`: the absolute path of the config file that
 * manages the conduit (`serve --config FILE` imported it), or NULL. A CLI
 * or API edit or removal of a managed conduit is refused naming the file
 * (issue 11 §1), so a SIGHUP re-import never reverts one silently.
 * `managed_enabled`: the `enabled` the file said at its last import; a
 * pause or resume from the CLI or API holds until the file's own changes.
 * Never edit after landing: add a migration.
 */
export class ConduitManagedBy1796121939429 implements MigrationInterface {
  readonly name = 'ConduitManagedBy1796121939429';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sync_conduit" ADD COLUMN "managed_by" text`);
    await queryRunner.query(`ALTER TABLE "sync_conduit" ADD COLUMN "managed_enabled" boolean`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sync_conduit" DROP COLUMN "managed_enabled"`);
    await queryRunner.query(`ALTER TABLE "sync_conduit" DROP COLUMN "managed_by"`);
  }
}
