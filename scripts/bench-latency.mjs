#!/usr/bin/env node
// `conduit serve` on a big tree (issues 4 and 9): a tree of FILES files
// (default 100,000) in folders of 100, one `instant` mirror conduit, then:
// - the memory of `serve` during the first full generation (a 100,000-file
//   first sync) and its verification: the peak (the kernel's high-water mark,
//   VmHWM) and the RSS sampled every 100 ms, then the RSS after it, while
//   idle (does it fall back?);
// - CHANGES (default 20) single-file changes, each timed from the write to
//   the file's arrival (right content) on the target; p50 also beyond the
//   debounce (the aggregator waits `quietMs`, 500 ms, after the last event);
// - the idle CPU, and each change's scanned-entry count (the fast path's
//   proof: no full rescan). Prints a table.
//
//   npm run build && node scripts/bench-latency.mjs [--files N] [--changes N] [--idle S] [--settle S] [--heap-snapshot DIR]
//
// --settle S: how long to watch the RSS after the first generation's
//   verification before the changes (default 30 s).
// --heap-snapshot DIR: write V8 heap snapshots of `serve` into DIR (node
//   --heapsnapshot-signal=SIGUSR2): once idle after the first sync, once at
//   the end. They show what `serve` keeps between generations.
// --rss-log FILE: write the RSS samples (ms since spawn, MB, what serve logged last) to FILE.
// --heap-snapshot-during MS: also one MS ms after the first generation
//   started (what the first sync holds at its peak; it stalls serve while
//   V8 writes it, so read no timing from such a run).
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write('usage: node scripts/bench-latency.mjs [--files N (100000)] [--changes N (20)] [--idle S (10)] [--settle S (30)] [--rss-log FILE] [--heap-snapshot DIR [--heap-snapshot-during MS]]\n' +
    '  serve on an instant mirror conduit of N files: peak RSS during the first sync, RSS after it, propagation latency of single changes.\n' +
    '  Takes ~3-4 minutes at the default size (the first sync of 100,000 files is most of it).\n');
  process.exit(0);
}
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const textArg = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : null;
};
const FILES = arg('files', 100_000);
const PER_DIR = 100;
const CHANGES = arg('changes', 20);
const IDLE_SECONDS = arg('idle', 10);
const SETTLE_SECONDS = arg('settle', 30);
/** The aggregator's default debounce (src/watch/aggregator.ts DEFAULT_AGGREGATOR_OPTIONS.quietMs). */
const QUIET_MS = 500;
const heapDir = textArg('heap-snapshot');
const heapDuringMs = arg('heap-snapshot-during', null);
const rssLog = textArg('rss-log');
/** The last thing serve logged (its msg), to read the RSS samples against. */
let lastMessage = '';
if (heapDir) mkdirSync(heapDir, { recursive: true });

const dir = mkdtempSync(join(tmpdir(), 'conduit-bench-latency-'));
const source = join(dir, 'source');
const target = join(dir, 'target');
const dirs = Math.ceil(FILES / PER_DIR);
let t0 = Date.now();
for (let d = 0; d < dirs; d++) {
  const folder = join(source, `d${String(Math.floor(d / 100)).padStart(2, '0')}`, `e${String(d % 100).padStart(2, '0')}`);
  mkdirSync(folder, { recursive: true });
  for (let f = 0; f < PER_DIR && d * PER_DIR + f < FILES; f++) writeFileSync(join(folder, `f${f}.txt`), `file ${d}/${f}\n`);
}
const treeMs = Date.now() - t0;
writeFileSync(join(dir, 'conduits.json'), JSON.stringify({
  database: './conduit.db',
  conduits: [{ name: 'bench', source: './source', target: './target', mode: 'mirror', schedule: 'instant', parallelTransfers: 8 }],
}));

const finished = [];
const verified = [];
let upResolve;
const up = new Promise((r) => (upResolve = r));
const heapFlags = heapDir ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${heapDir}`] : [];
const child = spawn(process.execPath, [...heapFlags, join(repo, 'bin/conduit.js'), 'serve', '--config', 'conduits.json', '--port', '0'], {
  cwd: dir, env: { ...process.env, CONDUIT_LOG_LEVEL: process.env.BENCH_LOG ? 'debug' : 'info', CONDUIT_API_TOKEN: 'bench-token-0123456789' }, stdio: ['ignore', 'ignore', 'pipe'],
});
let partial = '';
child.stderr.setEncoding('utf8').on('data', (chunk) => {
  const lines = (partial + chunk).split('\n');
  partial = lines.pop();
  for (const line of lines) {
    if (process.env.BENCH_LOG) appendFileSync(process.env.BENCH_LOG, `${line}\n`);
    const msg = /"msg":"([^"]*)"/.exec(line);
    if (msg) lastMessage = msg[1];
    if (line.includes('"conduit serve is up"')) upResolve();
    if (line.includes('"generation started"') && heapDir && heapDuringMs !== null && finished.length === 0) {
      setTimeout(() => void heapSnapshot('during the first sync'), heapDuringMs);
    }
    if (line.includes('"generation finished"')) finished.push({ at: Date.now(), ...JSON.parse(line) });
    if (line.includes('"generation verified"') || line.includes('"generation verification failed"')) verified.push({ at: Date.now(), ...JSON.parse(line) });
  }
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(2);
  }
}
function cpuTicks(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (100/s)
}
function statusMb(pid, field) {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}
const rssMb = (pid) => statusMb(pid, 'VmRSS');
/** The kernel's high-water mark of the RSS since the process started: the true peak, not a sample. */
const peakRssMb = (pid) => statusMb(pid, 'VmHWM');
/** RSS samples every 100 ms from the start: [ms since spawn, MB]. */
const rssSamples = [];
const spawnedAt = Date.now();
const sampler = setInterval(() => {
  try {
    rssSamples.push([Date.now() - spawnedAt, rssMb(child.pid), lastMessage]);
  } catch { /* the child is gone */ }
}, 100);
const sampledMax = (fromMs, toMs) => Math.max(...rssSamples.filter(([t]) => t >= fromMs && t <= toMs).map(([, mb]) => mb));
/** Writes a heap snapshot of serve (with --heap-snapshot) and waits until the file is complete. */
async function heapSnapshot(label) {
  if (!heapDir) return;
  const before = new Set(readdirSync(heapDir));
  child.kill('SIGUSR2');
  await until(() => readdirSync(heapDir).some((f) => !before.has(f) && f.endsWith('.heapsnapshot')), 300_000, `heap snapshot ${label}`);
  // The file grows while V8 writes it: done when its size stops changing.
  const file = readdirSync(heapDir).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
  let size = -1;
  for (;;) {
    await sleep(1_000);
    const now = readFileSync(join(heapDir, file)).length;
    if (now === size) break;
    size = now;
  }
  log(`heap snapshot (${label}): ${join(heapDir, file)}`);
}
const log = (message) => process.stderr.write(`${message}\n`);
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

try {
  t0 = Date.now();
  await up;
  await until(() => finished.length >= 1, 600_000, 'the first full generation');
  const firstSyncMs = finished[0].at - t0;
  const firstFinishedMs = finished[0].at - spawnedAt;
  const peakAtFirstFinished = peakRssMb(child.pid);
  log(`first generation finished after ${(firstSyncMs / 1000).toFixed(1)} s; peak RSS so far ${peakAtFirstFinished.toFixed(0)} MB`);
  // Idle means after the first generation's watcher verification (100,000 confirmations) settled.
  await until(() => verified.length >= 1, 600_000, 'the first generation\'s verification');
  const verifyMs = verified[0].at - finished[0].at;
  const verifiedAtMs = verified[0].at - spawnedAt;
  const peakFirstSync = peakRssMb(child.pid);
  const rssAfter = [];
  for (const seconds of [0, 5, 10, 20, 30, 60, 120].filter((x) => x <= SETTLE_SECONDS)) {
    await sleep(Math.max(0, verifiedAtMs + seconds * 1000 - (Date.now() - spawnedAt)));
    rssAfter.push(`${seconds} s: ${rssMb(child.pid).toFixed(0)}`);
  }
  await heapSnapshot('idle after the first sync');
  await sleep(3_000);
  const settled = finished.length;

  const cpuBefore = cpuTicks(child.pid);
  await sleep(IDLE_SECONDS * 1000);
  const idleCpuPct = ((cpuTicks(child.pid) - cpuBefore) / (IDLE_SECONDS * 100)) * 100;
  const idleRss = rssMb(child.pid);
  const idleGenerations = finished.length - settled;

  const latencies = [];
  const perChange = [];
  for (let i = 0; i < CHANGES; i++) {
    const d = Math.floor((i * 7919) % dirs);
    const rel = join(`d${String(Math.floor(d / 100)).padStart(2, '0')}`, `e${String(d % 100).padStart(2, '0')}`, 'f0.txt');
    const content = `changed ${i} ${Date.now()}\n`;
    const before = finished.length;
    const start = process.hrtime.bigint();
    writeFileSync(join(source, rel), content);
    await until(() => {
      try {
        return readFileSync(join(target, rel), 'utf8') === content;
      } catch {
        return false;
      }
    }, 60_000, `change ${i}`);
    latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
    await until(() => finished.length > before, 60_000, `generation of change ${i}`);
    perChange.push(finished[finished.length - 1]);
    await sleep(1_000);
  }
  await heapSnapshot('after the changes');
  const scanned = perChange.map((g) => g.scanned);
  const fast = perChange.filter((g) => g.fastPath).length;
  const rows = [
    ['files in the tree', FILES.toLocaleString('en')],
    ['directories watched (per root)', (dirs + Math.ceil(dirs / 100) + 1).toLocaleString('en')],
    ['tree creation', `${(treeMs / 1000).toFixed(1)} s`],
    ['first full generation (start → finished)', `${(firstSyncMs / 1000).toFixed(1)} s`],
    ['its watcher verification (finished → settled)', `${(verifyMs / 1000).toFixed(1)} s, ${verified[0].verification ?? 'verified'}`],
    ['peak RSS during the first sync (VmHWM)', `${peakAtFirstFinished.toFixed(0)} MB at its end, ${peakFirstSync.toFixed(0)} MB with its verification (sampled max ${sampledMax(0, firstFinishedMs).toFixed(0)} / ${sampledMax(firstFinishedMs, verifiedAtMs).toFixed(0)} MB)`],
    ['RSS after the verification settled', `${rssAfter.join(', ')} MB`],
    [`idle CPU over ${IDLE_SECONDS} s`, `${idleCpuPct.toFixed(2)} %`],
    ['idle RSS', `${idleRss.toFixed(0)} MB`],
    ['generations while idle', String(idleGenerations)],
    [`latency p50 (${CHANGES} changes)`, `${percentile(latencies, 50).toFixed(0)} ms`],
    [`latency p50 beyond the debounce (${QUIET_MS} ms quiet)`, `${(percentile(latencies, 50) - QUIET_MS).toFixed(0)} ms`],
    ['latency p95', `${percentile(latencies, 95).toFixed(0)} ms`],
    ['latency max', `${Math.max(...latencies).toFixed(0)} ms`],
    ['fast-path generations', `${fast} of ${perChange.length}`],
    ['entries scanned per change (both roots)', `${Math.min(...scanned)}–${Math.max(...scanned)}`],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  console.log(`\nconduit serve, instant mirror conduit — propagation latency (node ${process.version})\n`);
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
} finally {
  clearInterval(sampler);
  if (rssLog) writeFileSync(rssLog, rssSamples.map(([ms, mb, what]) => `${ms} ${mb.toFixed(0)} ${what}`).join('\n') + '\n');
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
