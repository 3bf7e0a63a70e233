import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDataSource } from '../../src/db/data-source.js';
import { MIGRATIONS, migrationNames } from '../../src/db/migrations.js';
import { openStore } from '../../src/db/open-store.js';
import { StoreError } from '../../src/db/store.js';
import { tempDir } from './fixtures.js';

// Counts how often openStore reaches for TypeORM: an up-to-date database must not.
const dataSourceCalls = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../src/db/data-source.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/db/data-source.js')>();
  return {
    ...original,
    createDataSource: (file: string) => {
      dataSourceCalls.count++;
      return original.createDataSource(file);
    },
  };
});

const CONDUIT_TABLES = ['conduit_lease', 'generation_event', 'index_entry', 'offline_hint', 'pending_path', 'sync_conduit', 'sync_conflict', 'sync_generation'];

function schemaObjects(file: string): { tables: string[]; indexes: string[] } {
  const db = new Database(file, { readonly: true });
  try {
    const names = (type: string) => db
      .prepare<[string], string>(`SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite_%' ORDER BY name`)
      .pluck().all(type);
    return { tables: names('table'), indexes: names('index') };
  } finally {
    db.close();
  }
}

function executedMigrations(file: string): { id: number; name: string }[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare<[], { id: number; name: string }>('SELECT id, name FROM migrations ORDER BY id').all();
  } finally {
    db.close();
  }
}

describe('migrations', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
    dataSourceCalls.count = 0;
  });
  afterEach(() => tmp.cleanup());

  it('migrates a fresh database (in a folder that does not exist yet) to the latest schema', async () => {
    const store = await openStore(tmp.db);
    store.close();
    expect(schemaObjects(tmp.db).tables).toEqual([...CONDUIT_TABLES, 'migrations'].sort());
    expect(executedMigrations(tmp.db).map((m) => m.name)).toEqual(migrationNames());
    expect(dataSourceCalls.count).toBe(1);
  });

  it('reopening an up-to-date database runs no migration and does not load TypeORM', async () => {
    (await openStore(tmp.db)).close();
    const before = executedMigrations(tmp.db);
    (await openStore(tmp.db)).close();
    (await openStore(tmp.db)).close();
    expect(executedMigrations(tmp.db)).toEqual(before);
    expect(dataSourceCalls.count).toBe(1);
  });

  it('runs every down back to an empty database', async () => {
    (await openStore(tmp.db)).close();
    const ds = createDataSource(tmp.db);
    await ds.initialize();
    try {
      for (let i = 0; i < MIGRATIONS.length; i++) await ds.undoLastMigration({ transaction: 'all' });
    } finally {
      await ds.destroy();
    }
    expect(schemaObjects(tmp.db)).toEqual({ tables: ['migrations'], indexes: [] });
    expect(executedMigrations(tmp.db)).toEqual([]);
    // And up again from there.
    (await openStore(tmp.db)).close();
    expect(schemaObjects(tmp.db).tables).toEqual([...CONDUIT_TABLES, 'migrations'].sort());
  });

  it('leaves TypeORM no pending schema change between the entities and the migrations', async () => {
    (await openStore(tmp.db)).close();
    const ds = createDataSource(tmp.db);
    await ds.initialize();
    try {
      const { upQueries } = await ds.driver.createSchemaBuilder().log();
      expect(upQueries, `pending schema change:\n${upQueries.map((q) => q.query).join(';\n')}`).toEqual([]);
    } finally {
      await ds.destroy();
    }
  });

  it('refuses a database written by a newer conduit', async () => {
    (await openStore(tmp.db)).close();
    const db = new Database(tmp.db);
    db.prepare('INSERT INTO migrations (timestamp, name) VALUES (?, ?)').run(1999999999999, 'FutureThing1999999999999');
    db.close();
    const opening = openStore(tmp.db);
    await expect(opening).rejects.toBeInstanceOf(StoreError);
    await expect(opening).rejects.toMatchObject({ code: 'schema', message: expect.stringMatching(/newer conduit.*FutureThing1999999999999/) });
  });

  it('refuses a file that is not a conduit database, naming it', async () => {
    const garbage = `${tmp.dir}/notes.txt`;
    writeFileSync(garbage, 'this is not a database, just some text that is long enough to have a header\n'.repeat(20));
    await expect(openStore(garbage)).rejects.toMatchObject({ code: 'schema', message: expect.stringContaining(`${garbage} is not a conduit database`) });

    const foreign = `${tmp.dir}/other.db`;
    const db = new Database(foreign);
    db.exec('CREATE TABLE customers (id integer PRIMARY KEY, name text)');
    db.close();
    await expect(openStore(foreign)).rejects.toMatchObject({ code: 'schema', message: expect.stringContaining('customers') });
  });
});
