import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ensureBuilt, repoRoot } from '../cli/cli-harness.js';

/**
 * Real concurrent conduit processes for the lease and interrupt tests: the
 * built CLI started in the background (`startConduit`), and plain reads of
 * the database those processes share (generation rows, lease rows), taken
 * with a read-only connection so that the reading never takes a write lock.
 */

/** Generous: these tests run on loaded two-core machines. */
export const PROCESS_DEADLINE_MS = 30_000;

export interface ConduitProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Output so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when a signal killed it) once the process has exited. */
  readonly exited: Promise<number | null>;
}

/** Starts `conduit <args>` in the background; `env` adds to (or with undefined, removes from) this environment. */
export function startConduit(args: readonly string[], options: { cwd: string; env?: Record<string, string | undefined> }): ConduitProcess {
  ensureBuilt();
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...process.env, CONDUIT_DB: undefined, CONDUIT_LOG_LEVEL: undefined, ...options.env })) {
    if (value !== undefined) env[key] = value;
  }
  const child = spawn(process.execPath, [join(repoRoot, 'bin/conduit.js'), ...args], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, pid: child.pid!, stdout: () => out, stderr: () => err, exited };
}

/** Polls until `check` holds; the error says what was awaited and what the last look saw. */
export async function waitFor<T>(what: string, look: () => T, check: (value: T) => boolean, timeoutMs = PROCESS_DEADLINE_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = look();
  while (!check(value)) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
    value = look();
  }
  return value;
}

export interface GenerationRow {
  readonly generation: number;
  readonly trigger: string;
  readonly status: string;
  readonly started_at: string;
  readonly completed_at: string | null;
  readonly files_copied: number;
  readonly files_deleted: number;
  readonly error_message: string | null;
  readonly runner_pid: number | null;
}

function readDb<T>(file: string, read: (db: Database.Database) => T, empty: T): T {
  if (!fs.existsSync(file)) return empty;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return read(db);
  } catch (error) {
    if (/no such table/.test((error as Error).message)) return empty;
    throw error;
  } finally {
    db.close();
  }
}

/** The generations of one conduit, oldest first. */
export function generationRows(file: string, conduit: string): GenerationRow[] {
  return readDb(file, (db) => db.prepare(
    `SELECT g.generation, g.trigger, g.status, g.started_at, g.completed_at, g.files_copied, g.files_deleted, g.error_message, g.runner_pid
     FROM sync_generation g JOIN sync_conduit c ON c.id = g.conduit_id WHERE c.name = ? ORDER BY g.generation`,
  ).all(conduit) as GenerationRow[], []);
}

export interface LeaseRow {
  readonly kind: string;
  readonly token: number;
  readonly holder_id: string | null;
  readonly holder_pid: number | null;
  readonly holder_host: string | null;
  readonly expires_at: string | null;
}

/** The lease rows of one conduit (none before the first acquire, or on a database without leases). */
export function leaseRows(file: string, conduit: string): LeaseRow[] {
  return readDb(file, (db) => db.prepare(
    `SELECT l.kind, l.token, l.holder_id, l.holder_pid, l.holder_host, l.expires_at
     FROM conduit_lease l JOIN sync_conduit c ON c.id = l.conduit_id WHERE c.name = ? ORDER BY l.kind`,
  ).all(conduit) as LeaseRow[], []);
}

/** Regular files under `root` that landed under their final name (conduit temporaries aside). */
export function landedFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, prefix: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(join(dir, entry.name), rel);
      else if (entry.isFile() && !entry.name.includes('.conduit-tmp')) out.push(rel);
    }
  };
  walk(root, '');
  return out.sort();
}

/** Conduit temporaries anywhere under `root`. */
export function tempFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else if (entry.name.includes('.conduit-tmp')) out.push(join(dir, entry.name));
    }
  };
  walk(root);
  return out;
}
