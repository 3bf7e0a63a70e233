import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { conduit, json, repoRoot, type CliResult } from '../cli/cli-harness.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { statTree, tempArea, type TempArea } from '../support/tree.js';

/**
 * The remote-root e2e suites (issue 10): the real CLI in a child process, a
 * real sshd on 127.0.0.1 (one per test file), and the "far host" on loopback,
 * so the remote root is a local folder the test writes and reads directly, as
 * the far host's user would. Each test gets a fresh area: `area.source` and
 * `area.target` are the folders on disk; `root('source' | 'target')` is what
 * the conduit is given (the `ssh://` URL for the remote side).
 */

/**
 * CONDUIT_REMOTE_E2E_LOCAL=1 gives the conduit both roots as local paths: a control run that checks a
 * test's own expectations against the local engine, so a failure over ssh is known to be about ssh.
 */
export const LOCAL_CONTROL = process.env['CONDUIT_REMOTE_E2E_LOCAL'] === '1';

export interface GenerationJson {
  conduit: string; generation: number; status: string; dryRun: boolean; filesCopied: number; filesDeleted: number;
  dirsCreated: number; dirsDeleted: number; conflicts: number; conflictsResolved: number; bytesTransferred: number;
  errors: Array<{ path: string; op: string; message: string }>; verificationStatus: string;
}

export interface ConflictJson {
  id: number; path: string; kind: string; resolution: string; conflictCopy: string | null;
}

export type Side = 'source' | 'target';

export interface RemoteSuite {
  readonly sshd: Sshd;
  readonly area: TempArea;
  /** Which root of the conduit is on the far host in this test. */
  remote: Side;
  /** The root as the conduit is given it: the ssh:// URL for the remote side, the path for the other. */
  root(side: Side): string;
  /** The folder on disk holding that root (the far host is loopback). */
  dir(side: Side): string;
  /** `conduit <args>` with CONDUIT_DB and the sshd's CONDUIT_SSH_COMMAND / CONDUIT_REMOTE_COMMAND; `env` adds or overrides. */
  cli(args: readonly string[], env?: Record<string, string | undefined>): CliResult;
  /** `conduit add --name <name> --source <root> --target <root> <flags>`, which must succeed. */
  add(name: string, ...flags: string[]): void;
  /** `conduit --json run <name> <args>`: exit code, the generation JSON, stderr. */
  run(name: string, ...args: string[]): { code: number; out: GenerationJson; stderr: string };
  /** Like `run` in a child process the test can act beside (the confinement swap). */
  runInBackground(name: string, ...args: string[]): Promise<CliResult>;
  conflicts(name: string, ...args: string[]): ConflictJson[];
  state(name: string): string;
}

/** Registers the sshd (beforeAll) and a fresh area per test (the returned suite's `area` is the current one). */
export function remoteSuite(prefix: string): RemoteSuite {
  let sshd: Sshd | undefined;
  let sshdDir: string | undefined;
  let current: TempArea | undefined;
  beforeAll(async () => {
    sshdDir = fs.mkdtempSync(join(tmpdir(), 'conduit-sshd-'));
    sshd = await startSshd(sshdDir);
  }, 120_000);
  afterAll(async () => {
    await sshd?.stop();
    if (sshdDir) fs.rmSync(sshdDir, { recursive: true, force: true });
  });
  afterEach(() => {
    current?.cleanup();
    current = undefined;
  });

  const suite: RemoteSuite = {
    get sshd() {
      if (!sshd) throw new Error('the sshd did not start');
      return sshd;
    },
    get area() {
      // Created on first use in each test, so a test can set `remote` before anything else.
      current ??= tempArea(prefix, { createTarget: true });
      return current;
    },
    remote: 'target',
    dir: (side) => suite.area[side],
    root: (side) => (side === suite.remote && !LOCAL_CONTROL ? suite.sshd.url(suite.area[side]) : suite.area[side]),
    cli: (args, env = {}) => conduit(args, { cwd: suite.area.base, env: { CONDUIT_DB: suite.area.db, ...suite.sshd.env(), ...env } }),
    add: (name, ...flags) => {
      const r = suite.cli(['add', '--name', name, '--source', suite.root('source'), '--target', suite.root('target'), ...flags]);
      expect(r.code, `add ${name}: ${r.stderr}`).toBe(0);
    },
    run: (name, ...args) => {
      const r = suite.cli(['--json', 'run', name, ...args]);
      let out: GenerationJson;
      try {
        out = JSON.parse(r.stdout) as GenerationJson;
      } catch {
        throw new Error(`conduit run ${name} exited ${r.code} without JSON on stdout; stderr: ${r.stderr}`);
      }
      return { code: r.code, out, stderr: r.stderr };
    },
    runInBackground: (name, ...args) => new Promise((resolve, reject) => {
      const env: NodeJS.ProcessEnv = { ...process.env, CONDUIT_DB: suite.area.db, ...suite.sshd.env() };
      delete env['CONDUIT_LOG_LEVEL'];
      const child = spawn(process.execPath, [join(repoRoot, 'bin/conduit.js'), '--json', 'run', name, ...args], { cwd: suite.area.base, env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    }),
    conflicts: (name, ...args) => json<ConflictJson[]>(suite.cli(['--json', 'conflicts', name, ...args])),
    state: (name) => json<{ state: string }>(suite.cli(['--json', 'show', name])).state,
  };
  return suite;
}

/** A completed generation with no errors, exit 0 (the JSON printed if not). */
export function expectCompleted(result: { code: number; out: GenerationJson; stderr: string }): GenerationJson {
  expect({ code: result.code, status: result.out.status, errors: result.out.errors }, result.stderr).toEqual({ code: 0, status: 'completed', errors: [] });
  return result.out;
}

/** Everything lstat sees under both folders (kinds, sizes, modes, mtimes to the ns, inodes): "nothing changed" compares these. */
export function snapshot(...dirs: string[]): Array<Map<string, unknown>> {
  return dirs.map((d) => (fs.existsSync(d) ? statTree(d) : new Map()));
}

/** A refusal as the user sees it: exit 3, exactly one line on stderr, no stack trace. */
export function expectOneLineRefusal(r: { code: number; stderr: string }): string {
  expect(r.code, r.stderr).toBe(3);
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  return lines[0]!;
}
