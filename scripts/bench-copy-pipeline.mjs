#!/usr/bin/env node
// What the per-file copy pipeline of engine/transfer.ts costs when each step
// is an async libuv request (as now) against the same steps as synchronous
// calls in worker threads. Evidence for docs/PERFORMANCE.md's suggestion on
// the initial-copy case; not part of `npm run bench`.
//
//   node scripts/bench-copy-pipeline.mjs SOURCE_TREE SCRATCH_DIR [--workers N] [--parallel N]
//
// Per file, like writeFileViaTemp + NodeFileSystem today: copyFile(EXCL|FICLONE)
// to a temp name, lstat(temp) (bytes), lstat + chmod + lutimes (setAttributes),
// lstat(origin) (changed during transfer?), lstat(dest) (re-verify; ENOENT for
// a new file), rename, lstat(dest) (what landed). Directories are made first.
// Measured here (20,000 files of 1-16 KiB, 2 busy cores, 6 rounds): async
// 3.4-5.4 s, the same calls synchronously 1.2-2.1 s in one thread, 1.0-1.9 s
// in 2 workers.

import fs from 'node:fs';
import path from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

const FLAGS = fs.constants.COPYFILE_EXCL | fs.constants.COPYFILE_FICLONE;

function pipelineSync(from, dest, n) {
  const temp = path.join(path.dirname(dest), `.${path.basename(dest)}.tmp-${n}`);
  fs.copyFileSync(from, temp, FLAGS);
  fs.lstatSync(temp, { bigint: true });
  const st = fs.lstatSync(temp, { bigint: true });
  if (!st.isSymbolicLink()) fs.chmodSync(temp, 0o644);
  fs.lutimesSync(temp, 1_700_000_000, 1_700_000_000);
  fs.lstatSync(from, { bigint: true });
  fs.lstatSync(dest, { bigint: true, throwIfNoEntry: false });
  fs.renameSync(temp, dest);
  fs.lstatSync(dest, { bigint: true });
}

/** The same guarantees with the two redundant lstat calls of the temp dropped (conduit made it with COPYFILE_EXCL: a regular file; its size is the origin's, re-checked below). */
function pipelineSyncLean(from, dest, n) {
  const temp = path.join(path.dirname(dest), `.${path.basename(dest)}.tmp-${n}`);
  fs.copyFileSync(from, temp, FLAGS);
  fs.chmodSync(temp, 0o644);
  fs.lutimesSync(temp, 1_700_000_000, 1_700_000_000);
  fs.lstatSync(from, { bigint: true });
  fs.lstatSync(dest, { bigint: true, throwIfNoEntry: false });
  fs.renameSync(temp, dest);
  fs.lstatSync(dest, { bigint: true });
}

async function pipelineAsync(from, dest, n) {
  const p = fs.promises;
  const temp = path.join(path.dirname(dest), `.${path.basename(dest)}.tmp-${n}`);
  await p.copyFile(from, temp, FLAGS);
  await p.lstat(temp, { bigint: true });
  const st = await p.lstat(temp, { bigint: true });
  if (!st.isSymbolicLink()) await p.chmod(temp, 0o644);
  await p.lutimes(temp, 1_700_000_000, 1_700_000_000);
  await p.lstat(from, { bigint: true });
  await p.lstat(dest, { bigint: true }).catch(() => null);
  await p.rename(temp, dest);
  await p.lstat(dest, { bigint: true });
}

if (!isMainThread) {
  const { pairs } = workerData;
  for (let i = 0; i < pairs.length; i++) pipelineSync(pairs[i][0], pairs[i][1], i);
  parentPort.postMessage('done');
} else {
  const args = process.argv.slice(2);
  const opt = (name, d) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : d);
  const [src, scratch] = args;
  if (!src || !scratch) {
    process.stderr.write('usage: node scripts/bench-copy-pipeline.mjs SOURCE_TREE SCRATCH_DIR [--workers N] [--parallel N]\n');
    process.exit(2);
  }
  const workers = opt('--workers', 2);
  const parallel = opt('--parallel', 4);
  const files = [];
  const dirs = [];
  const stack = [''];
  while (stack.length) {
    const rel = stack.pop();
    for (const e of fs.readdirSync(path.join(src, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        dirs.push(r);
        stack.push(r);
      } else files.push(r);
    }
  }
  const prepare = (dest) => {
    fs.rmSync(dest, { recursive: true, force: true });
    fs.mkdirSync(dest, { recursive: true });
    for (const d of dirs.sort()) fs.mkdirSync(path.join(dest, d));
    return files.map((f) => [path.join(src, f), path.join(dest, f)]);
  };
  const time = async (label, fn) => {
    const pairs = prepare(path.join(scratch, 'dst'));
    spawnSync();
    const t0 = performance.now();
    await fn(pairs);
    console.log(`${label.padEnd(40)} ${(performance.now() - t0).toFixed(0)} ms for ${pairs.length} files`);
  };
  const { spawnSync: sp } = await import('node:child_process');
  function spawnSync() {
    sp('sync');
  }
  for (let round = 0; round < 3; round++) {
    await time(`async, ${parallel} in flight (today)`, async (pairs) => {
      let next = 0;
      await Promise.all(Array.from({ length: parallel }, async () => {
        while (next < pairs.length) {
          const i = next++;
          await pipelineAsync(pairs[i][0], pairs[i][1], i);
        }
      }));
    });
    await time('sync, main thread', async (pairs) => {
      for (let i = 0; i < pairs.length; i++) pipelineSync(pairs[i][0], pairs[i][1], i);
    });
    await time('sync lean (7 calls), main thread', async (pairs) => {
      for (let i = 0; i < pairs.length; i++) pipelineSyncLean(pairs[i][0], pairs[i][1], i);
    });
    await time(`sync, ${workers} worker threads`, async (pairs) => {
      const parts = Array.from({ length: workers }, (_, w) => pairs.filter((_, i) => i % workers === w));
      await Promise.all(parts.map((part) => new Promise((resolve, reject) => {
        const w = new Worker(fileURLToPath(import.meta.url), { workerData: { pairs: part } });
        w.once('message', resolve).once('error', reject);
      })));
    });
  }
  fs.rmSync(path.join(scratch, 'dst'), { recursive: true, force: true });
}
