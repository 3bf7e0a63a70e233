import { mkdirSync, mkdtempSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeFileSystem } from '../../src/fs/node-file-system.js';
import { expectedState } from '../../src/watch/observation.js';
import { watchWithChokidar, type WatchEvent, type Watcher } from '../../src/watch/watcher.js';

/** The watch capability of the real disk (chokidar behind NodeFileSystem). */
const disk = new NodeFileSystem();
const watch = disk.watch.bind(disk);

let dir: string;
let watcher: Watcher | undefined;
afterEach(async () => {
  await watcher?.close();
  watcher = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('watch (chokidar, directories only)', () => {
  it('reports file writes, new nested directories and deletions with relative paths and lstat sizes/mtimes, and drops ignored names', async () => {
    dir = mkdtempSync(join(tmpdir(), 'conduit-watch-'));
    const root = join(dir, 'root');
    mkdirSync(join(root, 'a'), { recursive: true });
    writeFileSync(join(root, 'a/old.txt'), 'old');
    const events: WatchEvent[] = [];
    watcher = watch([root], { ignoreName: (name) => name.includes('.conduit-tmp-') }, (batch) => events.push(...batch));
    await watcher.ready;
    const changes = () => events.filter((e) => e.type === 'change');

    writeFileSync(join(root, 'a/new.txt'), 'hello');
    writeFileSync(join(root, 'a/.new.txt.conduit-tmp-xyz'), 'temp');
    const mtimeNs = statSync(join(root, 'a/new.txt'), { bigint: true }).mtimeNs;
    await until('a/new.txt', () => changes().some((e) => e.type === 'change' && e.path === 'a/new.txt' && e.state.kind === 'file'));
    expect(changes().find((e) => e.type === 'change' && e.path === 'a/new.txt' && e.state.kind === 'file')).toMatchObject({
      root, state: { kind: 'file', size: 5, mtimeNs },
    });

    mkdirSync(join(root, 'b/c'), { recursive: true });
    await until('b to be watched', () => changes().some((e) => e.type === 'change' && e.path === 'b'));
    // Give chokidar a moment to attach to the new directories, then write inside them.
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(join(root, 'b/c/deep.txt'), 'deep');
    await until('b/c/deep.txt', () => changes().some((e) => e.type === 'change' && e.path === 'b/c/deep.txt'));

    unlinkSync(join(root, 'a/old.txt'));
    await until('a/old.txt absent', () => changes().some((e) => e.type === 'change' && e.path === 'a/old.txt' && e.state.kind === 'absent'));
    expect(changes().some((e) => e.type === 'change' && e.path.includes('conduit-tmp'))).toBe(false);
  });

  it('reports its root disappearing and coming back, and keeps watching it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'conduit-watch-'));
    const root = join(dir, 'root');
    mkdirSync(root);
    const events: WatchEvent[] = [];
    watcher = watch([root], {}, (batch) => events.push(...batch));
    await watcher.ready;
    rmSync(root, { recursive: true });
    await until('root gone', () => events.some((e) => e.type === 'root' && !e.present));
    mkdirSync(root);
    await until('root back', () => events.some((e) => e.type === 'root' && e.present));
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(join(root, 'again.txt'), 'x');
    await until('again.txt', () => events.some((e) => e.type === 'change' && e.path === 'again.txt'));
  });
});

describe('watch: bounded work in flight', () => {
  it('lstats a burst of changed paths a slice at a time, not one request per queued path at once, and still reports every path', async () => {
    dir = mkdtempSync(join(tmpdir(), 'conduit-watch-burst-'));
    const root = join(dir, 'root');
    mkdirSync(root, { recursive: true });
    let inFlight = 0;
    let mostInFlight = 0;
    // The real lstat, counted: how many observations the watcher has asked for and not yet received.
    const observe = async (path: string) => {
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      try {
        await new Promise((r) => setTimeout(r, 1));
        return expectedState(await disk.lstat(path));
      } finally {
        inFlight -= 1;
      }
    };
    const seen = new Set<string>();
    watcher = watchWithChokidar([root], {}, (batch) => {
      for (const e of batch) if (e.type === 'change' && e.state.kind === 'file') seen.add(e.path);
    }, observe);
    await watcher.ready;
    // A burst: far more paths than one slice, written before the first flush runs.
    for (let i = 0; i < 2_000; i++) writeFileSync(join(root, `f${i}.txt`), String(i));
    await until('all 2,000 files reported', () => seen.size === 2_000, 60_000);
    expect(mostInFlight).toBeLessThanOrEqual(256);
  });
});

describe('watch: directories read by their entries\' types', () => {
  it('gets ready without an lstat or stat of any file in the watched tree, and still reports files by name', async () => {
    // chokidar's directory reads lstat every entry by default (readdirp with alwaysStat), files
    // included although they are ignored: on a 100,000-file root, ~100,000 lstats in flight at once
    // before `ready` (~2.3 s, ~460 MB peak RSS for 7 MB of live heap; scripts/bench-watch.mjs).
    dir = mkdtempSync(join(tmpdir(), 'conduit-watch-types-'));
    const root = join(dir, 'root');
    for (const folder of ['a', 'a/deep', 'b', 'c']) {
      mkdirSync(join(root, folder), { recursive: true });
      for (let f = 0; f < 20; f++) writeFileSync(join(root, folder, `f${f}.txt`), `${folder} ${f}`);
    }
    const folders = ['', 'a', 'a/deep', 'b', 'c'].map((folder) => join(root, folder));
    const files = new Set(folders.slice(1).flatMap((folder) => Array.from({ length: 20 }, (_, f) => join(folder, `f${f}.txt`))));
    // The real readdir, lstat and stat, counted by path: readdirp (chokidar's directory reader)
    // calls them through node:fs/promises bindings, which syncBuiltinESMExports points at these.
    const read: string[] = [];
    const statted: string[] = [];
    const { readdir, lstat, stat } = fsp;
    fsp.readdir = ((path: Parameters<typeof readdir>[0], ...rest: [never]) => (read.push(String(path)), readdir(path, ...rest))) as typeof readdir;
    fsp.lstat = ((path: Parameters<typeof lstat>[0], ...rest: [never]) => (statted.push(String(path)), lstat(path, ...rest))) as typeof lstat;
    fsp.stat = ((path: Parameters<typeof stat>[0], ...rest: [never]) => (statted.push(String(path)), stat(path, ...rest))) as typeof stat;
    syncBuiltinESMExports();
    const events: WatchEvent[] = [];
    try {
      watcher = watch([root], {}, (batch) => events.push(...batch));
      await watcher.ready;
    } finally {
      Object.assign(fsp, { readdir, lstat, stat });
      syncBuiltinESMExports();
    }
    // The counting reached the directory reader: it read every directory, through the wrappers.
    expect([...new Set(read)].sort()).toEqual([...folders].sort());
    expect(statted.filter((path) => files.has(path))).toEqual([]);

    writeFileSync(join(root, 'a/deep/f3.txt'), 'changed');
    await until('a/deep/f3.txt', () => events.some((e) => e.type === 'change' && e.path === 'a/deep/f3.txt' && e.state.kind === 'file'));
  });
});
