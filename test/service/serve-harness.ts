import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ensureBuilt, repoRoot } from '../cli/cli-harness.js';

/**
 * `conduit serve` in a child process on real temp folders and a real temp
 * database, as a user runs it. Tests read the outcome from the database
 * (generation rows), never from timing; waits poll with generous deadlines,
 * because these run on loaded two-core machines.
 */

export const API_TOKEN = 'serve-e2e-token-0123456789';
/** Generous: a loaded CI machine may take seconds for what takes milliseconds here. */
export const DEADLINE_MS = 20_000;

export interface GenerationRow {
  readonly generation: number;
  readonly trigger: string;
  readonly status: string;
  readonly files_copied: number;
  readonly files_deleted: number;
  readonly verification_status: string;
  readonly verified_at: string | null;
  readonly error_message: string | null;
}

export class ServeArea {
  readonly dir = mkdtempSync(join(tmpdir(), 'conduit-serve-'));
  readonly db = join(this.dir, 'conduit.db');
  readonly config = join(this.dir, 'conduits.json');

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  writeConfig(conduits: readonly Record<string, unknown>[], extra: Record<string, unknown> = {}): void {
    writeFileSync(this.config, JSON.stringify({ database: './conduit.db', ...extra, conduits }, null, 2));
  }

  generations(conduit: string): GenerationRow[] {
    const db = new Database(this.db, { readonly: true, fileMustExist: true });
    try {
      db.pragma('busy_timeout = 5000');
      return db.prepare(`SELECT g.generation, g.trigger, g.status, g.files_copied, g.files_deleted, g.verification_status, g.verified_at, g.error_message
        FROM sync_generation g JOIN sync_conduit c ON c.id = g.conduit_id WHERE c.name = ? ORDER BY g.generation`).all(conduit) as GenerationRow[];
    } catch (error) {
      if (/no such table|unable to open/.test((error as Error).message)) return [];
      throw error;
    } finally {
      db.close();
    }
  }

  conduitState(conduit: string): string | undefined {
    const db = new Database(this.db, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT state FROM sync_conduit WHERE name = ?').get(conduit) as { state: string } | undefined)?.state;
    } finally {
      db.close();
    }
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface Served {
  readonly child: ChildProcess;
  /** The API's base URL (serve runs with --port 0). */
  readonly url: string;
  /** Every stderr line so far (JSON log lines). */
  readonly log: string[];
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  readonly exited: Promise<number | null>;
}

export async function startServe(
  area: ServeArea, args: readonly string[] = ['--config', area.config], options: { env?: Record<string, string> } = {},
): Promise<Served> {
  ensureBuilt();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'CONDUIT_DB') env[k] = v;
  env['CONDUIT_API_TOKEN'] = API_TOKEN;
  env['CONDUIT_LOG_LEVEL'] = 'debug';
  Object.assign(env, options.env);
  const child = spawn(process.execPath, [join(repoRoot, 'bin/conduit.js'), 'serve', '--port', '0', ...args], { cwd: area.dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const log: string[] = [];
  let partial = '';
  let resolveUp: (url: string) => void = () => undefined;
  const up = new Promise<string>((resolve) => (resolveUp = resolve));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      log.push(line);
      if (line.includes('"conduit serve is up"')) resolveUp((JSON.parse(line) as { url: string }).url);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await Promise.race([
    up,
    exited.then((code) => { throw new Error(`conduit serve exited (${code}) before it was up:\n${log.join('\n')}`); }),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`conduit serve not up after ${DEADLINE_MS} ms:\n${log.join('\n')}`)), DEADLINE_MS)),
  ]);
  return {
    child, url, log, exited,
    stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Polls until `check` holds; the error says what was awaited and what the last look saw. */
export async function eventually<T>(what: string, look: () => T, check: (value: T) => boolean, timeoutMs = DEADLINE_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = look();
  while (!check(value)) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
    value = look();
  }
  return value;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A conduit entry for the config file, with this test's defaults. */
export function conduitEntry(name: string, fields: Record<string, unknown>): Record<string, unknown> {
  return { name, source: `./${name}-source`, target: `./${name}-target`, mode: 'mirror', ...fields };
}
