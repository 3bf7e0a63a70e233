// Only types from typeorm: src/db/open-store.ts reads this list without loading TypeORM.
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `sync_conduit.ssh_command`, `remote_command` (issue 10): how conduit
 * reaches a conduit's remote root, the ssh command line and the command run
 * on the far host; NULL is the default (`ssh`, `conduit agent`, which
 * CONDUIT_SSH_COMMAND and CONDUIT_REMOTE_COMMAND override). A remote root
 * itself is stored in `source_path`/`target_path` as its `ssh://` text.
 * Never edit after landing: add a migration.
 */
export class ConduitSshSettings1796132234412 implements MigrationInterface {
  readonly name = 'ConduitSshSettings1796132234412';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sync_conduit" ADD COLUMN "ssh_command" text`);
    await queryRunner.query(`ALTER TABLE "sync_conduit" ADD COLUMN "remote_command" text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sync_conduit" DROP COLUMN "remote_command"`);
    await queryRunner.query(`ALTER TABLE "sync_conduit" DROP COLUMN "ssh_command"`);
  }
}
