import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Runs the real CLI (`node bin/conduit.js`) in a child process, as a user
 * would, against the build in dist/. The build is refreshed when a source
 * file of the CLI is newer than it (tsc emits despite type errors elsewhere).
 */

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(repoRoot, 'bin/conduit.js');
const builtMain = join(repoRoot, 'dist/src/cli/main.js');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function ensureBuilt(): void {
  if (existsSync(builtMain) && newestSource(join(repoRoot, 'src')) <= statSync(builtMain).mtimeMs) return;
  // Two test files may start at once: the first to create the lock builds, the other waits for it.
  const lock = join(repoRoot, 'dist/.e2e-build-lock');
  mkdirSync(dirname(lock), { recursive: true });
  try {
    mkdirSync(lock);
  } catch {
    const start = Date.now();
    while (existsSync(lock) && Date.now() - start < 120_000) spawnSync('sleep', ['0.2']);
    return;
  }
  try {
    execFileSync(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: repoRoot, stdio: 'ignore' });
  } catch {
    // Type errors in files still in progress elsewhere do not stop tsc from emitting.
  } finally {
    rmdirSync(lock);
  }
  if (!existsSync(builtMain)) throw new Error(`the build did not produce ${builtMain}`);
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Runs `conduit <args>` in `cwd`; `env` adds to (or with undefined, removes from) a clean environment. */
export function conduit(args: readonly string[], options: { cwd: string; env?: Record<string, string | undefined> }): CliResult {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...process.env, CONDUIT_DB: undefined, CONDUIT_LOG_LEVEL: undefined, ...options.env })) {
    if (value !== undefined) env[key] = value;
  }
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: options.cwd, env, encoding: 'utf8' });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Parses stdout as JSON, failing the test with the CLI's stderr if it is not. */
export function json<T = unknown>(result: CliResult): T {
  if (result.code !== 0) throw new Error(`conduit exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}
