import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { migrationNames } from './migrations.js';
import { SqliteStore } from './sqlite-store.js';
import { type Store, StoreError } from './store.js';

/** TypeORM's bookkeeping table (the DataSource's default `migrationsTableName`). */
const MIGRATIONS_TABLE = 'migrations';

/**
 * Opens (creating if need be) the conduit database at `file`, brings its
 * schema up to date, marks generations left `running` by a dead process
 * `interrupted`, and returns the Store on it. The caller closes it.
 *
 * TypeORM is loaded only when a migration is pending: importing it costs
 * the CLI ~200 ms, which `conduit run` on an up-to-date database must not pay
 * (DESIGN.md, Performance shape). The pending check reads TypeORM's own
 * `migrations` table directly.
 *
 * Throws StoreError('schema') when the file is not a conduit database or was
 * written by a newer conduit, StoreError('busy') when another process holds
 * it too long.
 */
export async function openStore(file: string): Promise<Store> {
  mkdirSync(dirname(file), { recursive: true });
  const db = openConnection(file);
  try {
    configure(db, file);
    if (pendingMigrations(db, file).length > 0) await migrate(db, file);
    const store = new SqliteStore(db, file);
    store.markInterrupted();
    return store;
  } catch (error) {
    db.close();
    throw error;
  }
}

function openConnection(file: string): Database.Database {
  try {
    return new Database(file);
  } catch (error) {
    throw new Error(`cannot open database ${file}: ${(error as Error).message}`, { cause: error });
  }
}

function configure(db: Database.Database, file: string): void {
  try {
    db.pragma('busy_timeout = 5000');
    // The first statement that reads the file: this is where a non-SQLite file fails.
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'SQLITE_NOTADB') {
      throw new StoreError('schema', `${file} is not a conduit database (not an SQLite file)`);
    }
    throw error;
  }
}

/** Names of the migrations this build has and the database has not run yet; throws on a foreign or newer database. */
function pendingMigrations(db: Database.Database, file: string): string[] {
  const known = migrationNames();
  const tables = db
    .prepare<[], string>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
    .pluck()
    .all();
  if (!tables.includes(MIGRATIONS_TABLE)) {
    if (tables.length > 0) {
      throw new StoreError('schema', `${file} is not a conduit database (it has tables ${tables.slice(0, 5).join(', ')} but no migrations table)`);
    }
    return known;
  }
  const executed = db.prepare<[], string>(`SELECT name FROM "${MIGRATIONS_TABLE}" ORDER BY id`).pluck().all();
  const unknown = executed.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new StoreError('schema', `${file} was written by a newer conduit (unknown migrations: ${unknown.join(', ')}); upgrade conduit to open it`);
  }
  return known.filter((name) => !executed.includes(name));
}

/** Runs the pending migrations through TypeORM, loaded only now. */
async function migrate(db: Database.Database, file: string): Promise<void> {
  const { createDataSource } = await import('./data-source.js');
  const dataSource = createDataSource(file);
  try {
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'all' });
  } catch (error) {
    // RACE: two processes opening a fresh database both see the migration
    // pending; the loser fails. Fine if the winner left nothing pending.
    if (pendingMigrations(db, file).length === 0) return;
    throw new StoreError('schema', `migrating ${file} failed: ${(error as Error).message}`);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
  }
}
