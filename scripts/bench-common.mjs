// What the benchmarks share (scripts/bench.mjs, scripts/bench-remote.mjs):
// the deterministic trees and change sets, so both measure the same trees,
// and running a command with its wall time, peak RSS and bytes written.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const log = (msg) => process.stderr.write(`${msg}\n`);

// ---------------------------------------------------------------- deterministic data

export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomPool(rand, bytes) {
  const pool = Buffer.allocUnsafe(bytes);
  for (let i = 0; i < bytes; i += 4) pool.writeUInt32LE(Math.floor(rand() * 4294967296), i);
  return pool;
}

export const BASE_MTIME = 1_700_000_000; // seconds; every generated file gets BASE_MTIME + its index

/**
 * Tree specs. `dirs` leaf directories as `dNN/dNN` (top × sub), `filesPerDir`
 * files in each, sizes uniform in [minSize, maxSize].
 */
export function treeSpecs(quick) {
  return {
    small: quick
      ? { kind: 'files', top: 4, sub: 10, filesPerDir: 50, minSize: 1024, maxSize: 16384, seed: 1 }
      : { kind: 'files', top: 20, sub: 20, filesPerDir: 50, minSize: 1024, maxSize: 16384, seed: 1 },
    large: quick
      ? { kind: 'large', files: 4, size: 16 * 1024 * 1024, seed: 2 }
      : { kind: 'large', files: 4, size: 256 * 1024 * 1024, seed: 2 },
    tiny: quick
      ? { kind: 'files', top: 10, sub: 20, filesPerDir: 100, minSize: 0, maxSize: 100, seed: 3 }
      : { kind: 'files', top: 40, sub: 50, filesPerDir: 100, minSize: 0, maxSize: 100, seed: 3 },
    // noop-million (issue 9): 1,000,000 tiny files in 10,000 dirs (--quick: 100,000).
    million: quick
      ? { kind: 'files', top: 10, sub: 100, filesPerDir: 100, minSize: 0, maxSize: 100, seed: 4 }
      : { kind: 'files', top: 100, sub: 100, filesPerDir: 100, minSize: 0, maxSize: 100, seed: 4 },
  };
}

export function specKey(spec) {
  return createHash('sha1').update(JSON.stringify({ v: 1, ...spec })).digest('hex').slice(0, 10);
}

/** Generate (or reuse) a tree; returns { root, files: relative paths sorted, count, bytes }. */
export function ensureTree(dir, name, spec) {
  const key = `${name}-${specKey(spec)}`;
  const root = path.join(dir, 'trees', key);
  const marker = path.join(dir, 'trees', `${key}.json`);
  if (fs.existsSync(marker) && fs.existsSync(root)) {
    return { root, ...JSON.parse(fs.readFileSync(marker, 'utf8')) };
  }
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(root, { recursive: true });
  const t0 = performance.now();
  log(`generating tree ${key} ...`);
  const rand = mulberry32(spec.seed);
  let count = 0;
  let bytes = 0;
  let dirs = 0;
  if (spec.kind === 'large') {
    const chunk = 8 * 1024 * 1024;
    const pool = randomPool(rand, chunk);
    for (let f = 0; f < spec.files; f++) {
      const file = path.join(root, `big-${f}.bin`);
      const fd = fs.openSync(file, 'w');
      for (let off = 0, n = 0; off < spec.size; off += chunk, n++) {
        pool.writeUInt32LE(f, 0);
        pool.writeUInt32LE(n, 4); // every chunk differs from every other
        fs.writeSync(fd, pool, 0, Math.min(chunk, spec.size - off));
      }
      fs.closeSync(fd);
      fs.utimesSync(file, BASE_MTIME + f, BASE_MTIME + f);
      count++;
      bytes += spec.size;
    }
  } else {
    const pool = randomPool(rand, 4 * 1024 * 1024);
    for (let t = 0; t < spec.top; t++) {
      for (let s = 0; s < spec.sub; s++) {
        const d = path.join(root, `d${String(t).padStart(2, '0')}`, `s${String(s).padStart(2, '0')}`);
        fs.mkdirSync(d, { recursive: true });
        dirs++;
        for (let f = 0; f < spec.filesPerDir; f++) {
          const size = spec.minSize + Math.floor(rand() * (spec.maxSize - spec.minSize + 1));
          const off = Math.floor(rand() * (pool.length - size - 8));
          const content = Buffer.from(pool.subarray(off, off + size));
          if (size >= 4) content.writeUInt32LE(count, 0);
          const file = path.join(d, `f${String(f).padStart(3, '0')}.dat`);
          fs.writeFileSync(file, content);
          fs.utimesSync(file, BASE_MTIME + count, BASE_MTIME + count);
          count++;
          bytes += size;
        }
      }
    }
    dirs += spec.top;
  }
  const info = { count, bytes, dirs, seconds: Math.round(performance.now() - t0) / 1000 };
  fs.writeFileSync(marker, JSON.stringify(info));
  log(`  ${count} files, ${dirs} dirs, ${(bytes / 1048576).toFixed(1)} MiB in ${info.seconds} s`);
  return { root, ...info };
}

export function listFiles(root) {
  const out = [];
  const stack = [''];
  while (stack.length) {
    const rel = stack.pop();
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) stack.push(r);
      else out.push(r);
    }
  }
  return out.sort();
}

/**
 * 1 % of the bytes of each large file changed in place (a database file, a
 * VM image): 64 KiB blocks at seeded offsets rewritten with other bytes, the
 * size kept, the mtime moved.
 */
export const LARGE_BLOCK = 64 * 1024;

export function largeChanges(files, size, seed) {
  const rand = mulberry32(seed);
  const blocks = Math.max(1, Math.round((size * 0.01) / LARGE_BLOCK));
  return files.map((file) => {
    const offsets = new Set();
    while (offsets.size < blocks) offsets.add(Math.floor(rand() * Math.floor(size / LARGE_BLOCK)) * LARGE_BLOCK);
    return { file, offsets: [...offsets].sort((a, b) => a - b) };
  });
}

export function applyLargeChanges(root, changes, seed) {
  const block = randomPool(mulberry32(seed + 7), LARGE_BLOCK);
  for (const [i, { file, offsets }] of changes.entries()) {
    const p = path.join(root, file);
    const fd = fs.openSync(p, 'r+');
    for (const offset of offsets) {
      block.writeUInt32LE(offset >>> 0, 0); // every block differs from what it replaces
      fs.writeSync(fd, block, 0, LARGE_BLOCK, offset);
    }
    fs.closeSync(fd);
    const t = BASE_MTIME + 20_000_000 + seed * 100 + i;
    fs.utimesSync(p, t, t);
  }
}

// ---------------------------------------------------------------- running and measuring

export const haveGnuTime = fs.existsSync('/usr/bin/time');

export function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28, ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0 && !opts.allowFail) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  return r;
}

export function rmrf(p) {
  fs.rmSync(p, { recursive: true, force: true });
}

export function cpa(from, to) {
  sh('cp', ['-a', from, to]);
}

/**
 * Run one command, measuring wall (spawn to exit) and peak RSS (KiB, GNU time %M); `env` replaces the
 * environment; a non-zero exit throws, unless `allowFail` (then `status` says it).
 */
export function measure(cmd, args, { env, allowFail = false } = {}) {
  const rssFile = path.join(os.tmpdir(), `bench-rss-${process.pid}`);
  // %M: peak RSS (KiB); %O: file system outputs in 512-byte blocks (the bytes the command caused to be written).
  const full = haveGnuTime ? ['/usr/bin/time', ['-f', '%M %O', '-o', rssFile, cmd, ...args]] : [cmd, args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(full[0], full[1], { encoding: 'utf8', maxBuffer: 1 << 28, ...(env ? { env } : {}) });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) throw r.error;
  let rssKiB = null;
  let writtenBytes = null;
  if (haveGnuTime) {
    const lines = fs.readFileSync(rssFile, 'utf8').trim().split('\n');
    const [rss, outputs] = lines[lines.length - 1].split(' ').map(Number);
    rssKiB = rss;
    writtenBytes = outputs * 512;
    fs.rmSync(rssFile, { force: true });
  }
  if (r.status !== 0 && !allowFail) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stderr}\n${r.stdout}`);
  return { wallMs, rssKiB, writtenBytes, stdout: r.stdout, stderr: r.stderr, status: r.status };
}

export function syncDisk() {
  spawnSync('sync', []);
}

// ---------------------------------------------------------------- report

export function median(xs) {
  const v = xs.filter((x) => x !== undefined && x !== null).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

export const fmtMs = (ms) => (ms === null || ms === undefined ? '-' : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);

export function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  const line = (r) => `| ${r.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  return [line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}
