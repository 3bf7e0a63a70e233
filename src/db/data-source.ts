import { DataSource } from 'typeorm';
import { ConduitLease } from './entities/conduit-lease.js';
import { GenerationEvent } from './entities/generation-event.js';
import { IndexEntry } from './entities/index-entry.js';
import { OfflineHint } from './entities/offline-hint.js';
import { PendingPath } from './entities/pending-path.js';
import { SyncConduit } from './entities/sync-conduit.js';
import { SyncConflict } from './entities/sync-conflict.js';
import { SyncGeneration } from './entities/sync-generation.js';
import { MIGRATIONS } from './migrations.js';

/** Every entity; the schema the migrations build must match them (test/db/migrations.medium.test.ts). */
export const ENTITIES = [SyncConduit, SyncGeneration, IndexEntry, SyncConflict, GenerationEvent, ConduitLease, PendingPath, OfflineHint];

/**
 * The TypeORM DataSource of a conduit database. Used only to run migrations
 * (src/db/open-store.ts loads this module lazily, when one is pending) and by
 * the schema tests; the store itself works on better-sqlite3 directly.
 * The caller initializes and destroys it.
 */
export function createDataSource(file: string): DataSource {
  return new DataSource({
    type: 'better-sqlite3',
    database: file,
    synchronize: false,
    entities: ENTITIES,
    migrations: [...MIGRATIONS],
    migrationsTableName: 'migrations',
    logging: false,
  });
}
