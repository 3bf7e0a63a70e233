import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conduit, ensureBuilt, json, repoRoot } from '../cli/cli-harness.js';
import { countFiles, statTree, tempFilesUnder, waitFor } from '../support/tree.js';

/**
 * Crash safety for real: `conduit run` in a child process, a large
 * bidirectional generation (3,000 files, some of a few MB, parallel 4),
 * killed with SIGKILL at several points. Each time the rerun must converge to
 * the exact tree, leave no temporary anywhere, copy only what had not landed
 * (nothing already copied is a conflict), and the killed generation must read
 * `interrupted` (the store marks a dead pid's run at the next open).
 */

const SMALL = 2_980;
const LARGE = 20;
const TOTAL = SMALL + LARGE;
const bin = join(repoRoot, 'bin/conduit.js');

let base: string;
let source: string;
let sourceDigest: Map<string, string>;

/** Deterministic bytes: a file's content depends only on its index. */
function contentOf(i: number, size: number): Buffer {
  const seed = createHash('sha256').update(`file ${i}`).digest();
  const out = Buffer.alloc(size);
  for (let at = 0; at < size; at += seed.length) seed.copy(out, at, 0, Math.min(seed.length, size - at));
  return out;
}

/** Relative path → kind, size, mode and content hash (links: their text). */
function digest(root: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [rel, st] of statTree(root)) {
    if (st.kind === 'file') {
      const hash = createHash('sha1').update(fs.readFileSync(join(root, rel))).digest('hex');
      out.set(rel, `file ${st.size} ${st.mode.toString(8)} ${hash}`);
    } else if (st.kind === 'symlink') out.set(rel, `link ${fs.readlinkSync(join(root, rel))}`);
    else out.set(rel, `${st.kind} ${st.kind === 'dir' ? st.mode.toString(8) : ''}`);
  }
  return out;
}

beforeAll(() => {
  ensureBuilt();
  base = fs.mkdtempSync(join(tmpdir(), 'conduit-crash-'));
  source = join(base, 'source');
  for (let d = 0; d < 60; d++) fs.mkdirSync(join(source, `dir-${String(d).padStart(2, '0')}`, 'sub'), { recursive: true });
  fs.mkdirSync(join(source, 'big'));
  fs.mkdirSync(join(source, 'empty-dir'));
  fs.symlinkSync('../dir-00/sub', join(source, 'big', 'a-link'));
  for (let i = 0; i < SMALL; i++) {
    const d = String(i % 60).padStart(2, '0');
    const path = i % 2 === 0 ? join(source, `dir-${d}`, `f${i}.dat`) : join(source, `dir-${d}`, 'sub', `f${i}.dat`);
    fs.writeFileSync(path, contentOf(i, 1024 + ((i * 7919) % 7168)));
  }
  for (let i = 0; i < LARGE; i++) fs.writeFileSync(join(source, 'big', `large-${i}.bin`), contentOf(100_000 + i, 2 * 1024 * 1024 + i * 65_536));
  sourceDigest = digest(source);
}, 240_000);

afterAll(() => {
  fs.rmSync(base, { recursive: true, force: true });
});

interface GenerationJson { generation: number; status: string; filesCopied: number; conflicts: number; errors: unknown[] }

/** A fresh target and database for one kill scenario, with a bidirectional conduit over the shared source. */
function scenario(name: string) {
  const dir = join(base, name);
  fs.mkdirSync(dir);
  const target = join(dir, 'target');
  const db = join(dir, 'conduit.db');
  const cli = (...args: string[]) => conduit(args, { cwd: dir, env: { CONDUIT_DB: db } });
  const added = cli('add', '--name', 'big', '--source', source, '--target', target, '--mode', 'bidirectional', '--parallel', '4');
  expect(added.code, added.stderr).toBe(0);
  const start = (): ChildProcess => spawn(process.execPath, [bin, '--json', 'run', 'big'], {
    cwd: dir, env: { ...process.env, CONDUIT_DB: db, CONDUIT_LOG_LEVEL: undefined }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { dir, target, db, cli, start };
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** Files that landed under their final name (temporaries of the killed run aside). */
function landedFiles(target: string): number {
  return countFiles(target, { finalOnly: true });
}

async function killAndRecover(name: string, killPoint: (target: string, msSinceStart: number) => boolean, what: string, options: { requireGeneration: boolean }) {
  const s = scenario(name);
  const child = s.start();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const t0 = Date.now();
  let stillRunning = true;
  try {
    await waitFor(what, () => {
      if (child.exitCode !== null) return true; // finished before the kill point: reported below
      return killPoint(s.target, Date.now() - t0);
    }, 180_000, 2);
  } finally {
    stillRunning = child.exitCode === null;
    child.kill('SIGKILL');
  }
  await exited(child);
  expect(stillRunning, `the run exited (code ${child.exitCode}) before the kill point (${what}): ${stderr.trim() || 'no stderr; the tree may be too small for this machine'}`).toBe(true);
  const linkLanded = (() => { try { return fs.lstatSync(join(s.target, 'big/a-link')).isSymbolicLink(); } catch { return false; } })();
  const landed = (fs.existsSync(s.target) ? landedFiles(s.target) : 0) + (linkLanded ? 1 : 0);

  // The killed generation reads `interrupted` (marked when the next command opens the store).
  const history = json<GenerationJson[]>(s.cli('--json', 'history', 'big'));
  if (options.requireGeneration) expect(history).toHaveLength(1);
  for (const g of history) expect(g.status).toBe('interrupted');
  expect(json<{ state: string }>(s.cli('--json', 'show', 'big')).state).not.toBe('syncing');

  // The rerun converges, copies exactly what had not landed, and finds no conflict.
  const rerun = s.cli('--json', 'run', 'big');
  expect(rerun.code, rerun.stderr).toBe(0);
  const out = JSON.parse(rerun.stdout) as GenerationJson;
  expect(out).toMatchObject({ status: 'completed', conflicts: 0, errors: [] });
  expect(out.filesCopied).toBe(TOTAL + 1 - landed); // files + the link, less what had landed: nothing is copied twice
  expect(tempFilesUnder(base)).toEqual([]);
  expect(digest(s.target)).toEqual(sourceDigest);
  expect(digest(source)).toEqual(sourceDigest);
  const src = statTree(source);
  for (const [rel, t] of statTree(s.target)) {
    const st = src.get(rel)!;
    if (t.kind !== 'file') continue;
    const diff = st.mtimeNs > t.mtimeNs ? st.mtimeNs - t.mtimeNs : t.mtimeNs - st.mtimeNs;
    expect(diff < 1000n, `${rel} mtime`).toBe(true);
  }

  // And then it is settled: a third generation has nothing to do.
  const third = json<GenerationJson>(s.cli('--json', 'run', 'big'));
  expect(third).toMatchObject({ status: 'completed', filesCopied: 0, conflicts: 0 });
  const statuses = json<GenerationJson[]>(s.cli('--json', 'history', 'big')).map((g) => g.status);
  expect(statuses.slice(0, 2)).toEqual(['completed', 'completed']);
  fs.rmSync(s.dir, { recursive: true, force: true });
}

describe('SIGKILL in the middle of a large generation', () => {
  it('early: as soon as the target root appears (the transfer is starting)', async () => {
    await killAndRecover('early', (target) => fs.existsSync(target), 'the target root', { requireGeneration: true });
  }, 300_000);

  it('after a few hundred files landed', async () => {
    await killAndRecover('hundreds', (target) => landedFiles(target) >= 300, '300 files in the target', { requireGeneration: true });
  }, 300_000);

  it('after most files landed', async () => {
    await killAndRecover('most', (target) => landedFiles(target) >= 2_000, '2,000 files in the target', { requireGeneration: true });
  }, 300_000);

  it('while a large file is being written to its temporary', async () => {
    await killAndRecover('mid-copy', (target) => tempFilesUnder(target).some((p) => p.startsWith('big/.large-')), 'a large file\'s temporary', { requireGeneration: true });
  }, 300_000);

  it('at a fixed early delay (start-up, database or scan)', async () => {
    await killAndRecover('delay', (_target, ms) => ms > 250, '250 ms', { requireGeneration: false });
  }, 300_000);
});
