import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isIP } from 'node:net';

/**
 * The API's bearer token (SPEC §12): `CONDUIT_API_TOKEN` when set, else the
 * token kept in a 0600 file beside the database, created at first start.
 * Only `serve` reads it; the HTTP layer only compares against it.
 */

/** Where the generated token lives: beside the database, so it shares the data directory's protection. */
export function tokenFilePath(databasePath: string): string {
  return join(dirname(databasePath), 'conduit-api-token');
}

/**
 * The token to require: `env.CONDUIT_API_TOKEN` if set and non-empty, else
 * the content of `tokenFilePath(databasePath)`, created (mode 0600, 32 random
 * bytes as hex) when it does not exist yet. Throws, naming the file, when the
 * file exists but is empty or unreadable: a silently regenerated token would
 * lock out every client that knows the old one.
 */
/** The token an admin has configured — `CONDUIT_API_TOKEN`, else an existing token file — without creating one. */
export function configuredToken(databasePath: string, env: NodeJS.ProcessEnv): string | undefined {
  const fromEnv = env['CONDUIT_API_TOKEN'];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return fromEnv.trim();
  return readTokenFile(tokenFilePath(databasePath));
}

export function loadOrCreateToken(databasePath: string, env: NodeJS.ProcessEnv): string {
  const configured = configuredToken(databasePath, env);
  if (configured !== undefined) return configured;
  const file = tokenFilePath(databasePath);
  const token = randomBytes(32).toString('hex');
  mkdirSync(dirname(file), { recursive: true });
  try {
    // 'wx': never overwrite a token another process created in the meantime.
    writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      const raced = readTokenFile(file);
      if (raced !== undefined) return raced;
    }
    throw new Error(`cannot create the API token file ${file}: ${(error as Error).message}`, { cause: error });
  }
  // The mode given to writeFileSync is filtered by the umask; make sure it is exactly 0600.
  chmodSync(file, 0o600);
  return token;
}

function readTokenFile(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read the API token file ${file}: ${(error as Error).message}`, { cause: error });
  }
  const token = text.trim();
  if (token === '') throw new Error(`the API token file ${file} is empty; delete it to generate a new token, or set CONDUIT_API_TOKEN`);
  return token;
}

/** Loopback binds (`127.0.0.0/8`, `::1`, `localhost`) are reachable only from this machine. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || bare === '0:0:0:0:0:0:0:1' || bare.startsWith('::ffff:127.');
  return false;
}

/** Fewer characters than this is guessable; a non-loopback bind refuses such a token. */
export const MIN_TOKEN_LENGTH = 16;

/** Constant-time comparison of the presented token with the expected one (hashing first evens out the lengths). */
export function tokenMatches(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer <token>` header, if that is what it is. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}
