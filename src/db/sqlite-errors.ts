import { StoreError } from './store.js';

interface SqliteLikeError {
  readonly code?: unknown;
  readonly message: string;
}

function sqliteCode(error: unknown): string {
  const code = (error as SqliteLikeError | null)?.code;
  return typeof code === 'string' ? code : '';
}

/** SQLITE_BUSY and its extended codes: another connection held the lock past busy_timeout. */
export function isBusy(error: unknown): boolean {
  return sqliteCode(error).startsWith('SQLITE_BUSY') || sqliteCode(error).startsWith('SQLITE_LOCKED');
}

/** A UNIQUE constraint on `table.column` (better-sqlite3 names the columns in the message). */
export function isUniqueViolation(error: unknown, column: string): boolean {
  return sqliteCode(error) === 'SQLITE_CONSTRAINT_UNIQUE' && (error as SqliteLikeError).message.includes(column);
}

/** Runs `work`, turning a lock timeout into StoreError('busy') that names the database. */
export function busyAsStoreError<T>(file: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (isBusy(error)) {
      throw new StoreError('busy', `database ${file} is busy: another conduit process held it for more than 5 s (${(error as Error).message})`);
    }
    throw error;
  }
}
