#!/usr/bin/env node
// conduit's remote-root benchmark (issue 10, "Performance"): conduit against
// rsync over ssh, on loopback, with a throwaway OpenSSH server on 127.0.0.1
// (scripts/loopback-sshd.mjs). The far host is this machine: its root is a local
// folder reached through `ssh://127.0.0.1:<port>/...` and the agent is this
// checkout's `bin/conduit.js agent`.
//
//   node scripts/bench-remote.mjs [--quick] [--case NAME[,NAME]] [--runs N] [--json] [--dir DIR]
//                                 [--no-warmup] [--skip-large] [--count-all] [--changes N] [--idle S] [--skip-if-no-sshd]
//
// Environment: BENCH_REMOTE_LARGE_MIB, the size of each of the 4 large files
// in MiB (default 256; --quick 16).
//
// Method (also in docs/PERFORMANCE.md, "Remote roots (issue 10)"):
// - the same trees as scripts/bench.mjs (bench-common.mjs; the 20,000-file
//   tree under --dir is shared with it);
// - one warm-up round, then N measured rounds with the tools interleaved
//   (conduit, rsync, conduit, ...), `sync` before each run, medians;
// - conduit: `conduit add` with an ssh:// target, then `conduit run --json`
//   (a fresh ssh connection and agent per run, as a user's command has);
//   CONDUIT_SSH_COMMAND and CONDUIT_REMOTE_COMMAND carry the ssh settings.
//   rsync: `rsync -a --delete -e "<the same ssh command> -p <port>"`;
// - bytes over the link: both tools' ssh command is wrapped by
//   scripts/ssh-byte-counter.mjs, which counts the bytes on ssh's stdin and
//   stdout (the protocol's payload before encryption), so both are counted
//   alike; rsync's own `--stats` figures are reported beside them. The
//   wrapper is used in the large case and under serve; elsewhere (timings)
//   only with --count-all, since relaying costs CPU;
// - the machine's load average (uptime) at the start, before each case and
//   at the end.
//
// Cases:
// - remote-initial-small: initial mirror of 20,000 files of 1-16 KiB to an
//   empty remote target (target: <= 1.2 x rsync's wall);
// - remote-noop-small: a re-run with nothing changed (target: <= 1.0 x rsync);
// - remote-changed-large: 4 x 256 MiB files, 1 % of each rewritten in place
//   (64 KiB blocks at seeded offsets) before every round, the same change for
//   every tool; conduit against rsync --whole-file and rsync's own delta
//   (target: conduit's link bytes <= 10 % of rsync --whole-file's); at the
//   end every target is compared with the source (sha256);
// - remote-serve-latency: `conduit serve` with an instant mirror whose
//   SOURCE is remote (the agent's watcher streams hints over the kept link),
//   beside a local instant mirror of the same tree in the same serve: the
//   latency of one change made on the far host until it lands locally, and
//   of one local change, alternately; the connections opened and the bytes
//   and CPU of serve while idle (a no-op should cost nothing).

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  applyLargeChanges, cpa, ensureTree, fmtMs, LARGE_BLOCK, largeChanges, listFiles, log, measure, median, rmrf, sh,
  syncDisk, table, treeSpecs,
} from './bench-common.mjs';
import { sshdAvailable, shellQuote, startLoopbackSshd } from './loopback-sshd.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const conduitBin = path.join(repo, 'bin', 'conduit.js');
const counterScript = path.join(repo, 'scripts', 'ssh-byte-counter.mjs');
const HOST = '127.0.0.1';
/** The aggregator's default debounce (src/watch/aggregator.ts DEFAULT_AGGREGATOR_OPTIONS.quietMs). */
const QUIET_MS = 500;

// ---------------------------------------------------------------- options

function parseArgs(argv) {
  const o = {
    quick: false, cases: null, runs: null, json: false, dir: path.join(repo, 'bench-data'), warmup: true,
    skipLarge: false, countAll: false, changes: 10, idleSeconds: 10, skipIfNoSshd: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--json') o.json = true;
    else if (a === '--no-warmup') o.warmup = false;
    else if (a === '--skip-large') o.skipLarge = true;
    else if (a === '--count-all') o.countAll = true;
    else if (a === '--skip-if-no-sshd') o.skipIfNoSshd = true;
    else if (a === '--case') o.cases = value().split(',');
    else if (a === '--runs') o.runs = Number(value());
    else if (a === '--changes') o.changes = Number(value());
    else if (a === '--idle') o.idleSeconds = Number(value());
    else if (a === '--dir') o.dir = path.resolve(value());
    else if (a === '-h' || a === '--help') {
      process.stdout.write(`usage: node scripts/bench-remote.mjs [--quick] [--case ${CASES.map((c) => c.name).join('|')}[,...]] [--runs N] [--json] [--dir DIR] [--no-warmup] [--skip-large] [--count-all] [--changes N] [--idle S]\n` +
        'conduit against rsync over ssh on loopback (a throwaway sshd on 127.0.0.1). Without --case, every case runs\n' +
        '(npm run bench runs this after scripts/bench.mjs and scripts/bench-latency.mjs; npm run bench:remote alone).\n' +
        '  --skip-large: leave out remote-changed-large (4 x BENCH_REMOTE_LARGE_MIB MiB, default 256; ~4 GiB on disk under --dir)\n' +
        '  --count-all: count link bytes in the timed small-file cases too (the counting relay costs CPU)\n' +
        '  --skip-if-no-sshd: without sshd/ssh installed, say so and exit 0 (npm run bench), instead of failing\n' +
        '  --changes N: changes per root in remote-serve-latency (default 10); --idle S: its idle window (default 10 s)\n' +
        `${CASES.map((c) => `  ${c.name}: ${c.title}`).join('\n')}\n`);
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  for (const [flag, v] of [['--runs', o.runs], ['--changes', o.changes], ['--idle', o.idleSeconds]]) {
    if (v !== null && !(Number.isInteger(v) && v >= 1)) throw new Error(`${flag} must be a positive integer`);
  }
  return o;
}

// ---------------------------------------------------------------- the link and the tools

/** Set in main: the sshd and the count folder. */
let sshd = null;
let countDir = null;

/** The ssh command line both tools get: plain, or through the byte counter. */
function sshCommand(counted) {
  return counted ? `${shellQuote(process.execPath)} ${shellQuote(counterScript)} ${shellQuote(countDir)} ${sshd.sshCommand}` : sshd.sshCommand;
}

function conduitEnv(counted) {
  return { ...process.env, CONDUIT_SSH_COMMAND: sshCommand(counted), CONDUIT_REMOTE_COMMAND: sshd.remoteCommand, CONDUIT_LOG_LEVEL: 'warn' };
}

function resetCounts() {
  rmrf(countDir);
  fs.mkdirSync(countDir, { recursive: true });
}

/** What the counter saw since resetCounts: bytes each way, connections, and whether every connection ended cleanly. */
function readCounts() {
  let sent = 0;
  let received = 0;
  let connections = 0;
  let final = true;
  for (const f of fs.readdirSync(countDir)) {
    if (!f.endsWith('.json')) continue;
    const c = JSON.parse(fs.readFileSync(path.join(countDir, f), 'utf8'));
    sent += c.sent;
    received += c.received;
    connections += 1;
    final &&= c.final;
  }
  return { sent, received, bytes: sent + received, connections, final };
}

function conduitAdd(db, name, source, target, env) {
  sh('node', [conduitBin, '--db', db, 'add', '--name', name, '--source', source, '--target', target, '--mode', 'mirror', '--json'], { env });
}

function conduitRun(db, name, { counted, expect }) {
  if (counted) resetCounts();
  const m = measure('node', [conduitBin, '--db', db, 'run', name, '--json'], { env: conduitEnv(counted), allowFail: true });
  if (m.status !== 0) throw new Error(`conduit run exited ${m.status}: ${whyRunFailed(m)}`);
  const out = JSON.parse(m.stdout);
  const genMs = Date.parse(out.completedAt) - Date.parse(out.startedAt);
  if (out.status !== 'completed') log(`  WARNING: conduit generation ended ${out.status}: ${JSON.stringify(out.errors).slice(0, 500)}`);
  for (const [k, v] of Object.entries(expect ?? {})) {
    if (out[k] !== v) log(`  WARNING: conduit ${k} = ${out[k]}, expected ${v}`);
  }
  return { wallMs: m.wallMs, genMs, rssKiB: m.rssKiB, link: counted ? readCounts() : null };
}

/** A failed `conduit run --json` in one line: the generation's status and first error, else what it printed on stderr. */
function whyRunFailed(m) {
  let out = null;
  try {
    out = JSON.parse(m.stdout);
  } catch {
    // No generation object: the CLI failed before or without one.
  }
  if (out && typeof out.status === 'string') {
    const errors = Array.isArray(out.errors) ? out.errors : [];
    const first = errors[0] ? `${errors[0].path}: ${errors[0].message}` : out.errorMessage ?? '';
    return `generation ${out.status}${first ? `: ${first}` : ''}${errors.length > 1 ? ` (+${errors.length - 1} more)` : ''}`;
  }
  return m.stderr.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '(nothing on stderr)';
}

/** rsync's --stats figures: "Total bytes sent: 1,234" and friends (thousands separators in 3.x). */
function rsyncStats(stdout) {
  const figure = (label) => {
    const m = new RegExp(`^${label}: ([\\d,.]+)`, 'm').exec(stdout);
    return m ? Number(m[1].replace(/,/g, '')) : null;
  };
  return { totalSent: figure('Total bytes sent'), totalReceived: figure('Total bytes received'), literal: figure('Literal data'), matched: figure('Matched data') };
}

function rsyncRun(src, remoteDst, { counted, extra = [] }) {
  if (counted) resetCounts();
  const e = `${sshCommand(counted)} -p ${sshd.port}`;
  const m = measure('rsync', ['-a', '--delete', '--stats', ...extra, '-e', e, `${src}/`, `${HOST}:${remoteDst}/`]);
  return { wallMs: m.wallMs, rssKiB: m.rssKiB, link: counted ? readCounts() : null, rsync: rsyncStats(m.stdout) };
}

/**
 * Run `tools` (name → { prepare(), run() }) interleaved: one warm-up round
 * (unless disabled), then `runs` measured rounds; `beforeRound(r)` runs
 * before each round's first tool (a change every tool then syncs).
 */
function rounds(tools, runs, warmup, beforeRound = null) {
  const samples = Object.fromEntries(Object.keys(tools).map((t) => [t, []]));
  const total = runs + (warmup ? 1 : 0);
  for (let r = 0; r < total; r++) {
    const measured = !warmup || r > 0;
    beforeRound?.(r);
    for (const [name, tool] of Object.entries(tools)) {
      tool.prepare?.();
      syncDisk();
      const s = tool.run();
      const label = measured ? `run ${warmup ? r : r + 1}/${runs}` : 'warm-up';
      const link = s.link ? `, link ${mb(s.link.bytes)} (${s.link.connections} connection${s.link.connections === 1 ? '' : 's'})` : '';
      log(`  ${label} ${name}: wall ${s.wallMs.toFixed(0)} ms${s.genMs !== undefined ? `, generation ${s.genMs} ms` : ''}, rss ${s.rssKiB ?? '?'} KiB${link}`);
      if (measured) samples[name].push(s);
    }
  }
  return samples;
}

const mb = (bytes) => (bytes === null || bytes === undefined ? '-' : `${(bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 0)} MB`);

// ---------------------------------------------------------------- cases

function initialCase(tree, work, runs, warmup) {
  rmrf(work);
  fs.mkdirSync(work, { recursive: true });
  const c = path.join(work, 'conduit');
  const r = path.join(work, 'rsync');
  const counted = options.countAll;
  const samples = rounds({
    conduit: {
      prepare: () => {
        rmrf(c);
        fs.mkdirSync(c); // the far target's parent (the far host is this machine); the target itself does not exist yet
        conduitAdd(path.join(c, 'conduit.db'), 'bench', tree.root, sshd.url(path.join(c, 'dst')), conduitEnv(false));
      },
      run: () => conduitRun(path.join(c, 'conduit.db'), 'bench', { counted, expect: { filesCopied: tree.count } }),
    },
    rsync: {
      prepare: () => {
        rmrf(r);
        fs.mkdirSync(path.join(r, 'dst'), { recursive: true }); // an empty target
      },
      run: () => rsyncRun(tree.root, path.join(r, 'dst'), { counted }),
    },
  }, runs, warmup);
  rmrf(work);
  return { samples };
}

function noopCase(tree, work, runs, warmup) {
  rmrf(work);
  fs.mkdirSync(work, { recursive: true });
  const db = path.join(work, 'conduit.db');
  const cdst = path.join(work, 'conduit-dst');
  const rdst = path.join(work, 'rsync-dst');
  const counted = options.countAll;
  log('  setup: initial conduit run and initial rsync over ssh (untimed)');
  conduitAdd(db, 'bench', tree.root, sshd.url(cdst), conduitEnv(false));
  conduitRun(db, 'bench', { counted: false, expect: { filesCopied: tree.count } });
  fs.mkdirSync(rdst);
  rsyncRun(tree.root, rdst, { counted: false });
  const samples = rounds({
    conduit: { run: () => conduitRun(db, 'bench', { counted, expect: { filesCopied: 0, filesDeleted: 0 } }) },
    rsync: { run: () => rsyncRun(tree.root, rdst, { counted }) },
  }, runs, warmup);
  rmrf(work);
  return { samples };
}

function sha256(file) {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buffer = Buffer.allocUnsafe(8 * 1024 * 1024);
  try {
    for (let n; (n = fs.readSync(fd, buffer, 0, buffer.length, null)) > 0;) hash.update(buffer.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/**
 * 1 % of each large file changed in place, then every tool syncs it to its
 * own remote target: one shared source, changed once before each round, so
 * each round every tool moves exactly the same change (and each target starts
 * from the state its tool synced the round before: conduit's baseline stays
 * its own, rsync's delta has the previous version as its basis).
 */
function changedLargeCase(tree, work, runs, warmup) {
  rmrf(work);
  fs.mkdirSync(work, { recursive: true });
  const files = listFiles(tree.root);
  const size = tree.bytes / tree.count;
  const src = path.join(work, 'src');
  const dst = { conduit: path.join(work, 'conduit-dst'), whole: path.join(work, 'rsync-whole-dst'), delta: path.join(work, 'rsync-delta-dst') };
  const db = path.join(work, 'conduit.db');
  log(`  setup: a copy of the source, synced once to each tool's remote target (untimed); each round changes ${Math.round((size * 0.01) / LARGE_BLOCK)} blocks of 64 KiB in each of ${files.length} files`);
  cpa(tree.root, src);
  conduitAdd(db, 'bench', src, sshd.url(dst.conduit), conduitEnv(false));
  conduitRun(db, 'bench', { counted: false, expect: { filesCopied: files.length } });
  fs.mkdirSync(dst.whole);
  fs.mkdirSync(dst.delta);
  rsyncRun(src, dst.whole, { counted: false, extra: ['--whole-file'] });
  rsyncRun(src, dst.delta, { counted: false, extra: ['--no-whole-file'] });
  const samples = rounds({
    conduit: { run: () => conduitRun(db, 'bench', { counted: true, expect: { filesCopied: files.length, filesDeleted: 0 } }) },
    'rsync --whole-file': { run: () => rsyncRun(src, dst.whole, { counted: true, extra: ['--whole-file'] }) },
    'rsync (delta)': { run: () => rsyncRun(src, dst.delta, { counted: true, extra: ['--no-whole-file'] }) },
  }, runs, warmup, (r) => applyLargeChanges(src, largeChanges(files, size, 200 + r), 200 + r));
  log('  checking every target against the source (sha256, untimed)');
  const differ = [];
  for (const f of files) {
    const want = sha256(path.join(src, f));
    for (const [tool, d] of Object.entries(dst)) if (sha256(path.join(d, f)) !== want) differ.push(`${tool}: ${f}`);
  }
  if (differ.length) log(`  WARNING: targets differ from the source: ${differ.join(', ')}`);
  rmrf(work);
  return { samples, note: differ.length ? `TARGETS DIFFER: ${differ.join(', ')}` : `every target identical to the source (sha256) after ${runs + (warmup ? 1 : 0)} rounds` };
}

// ---------------------------------------------------------------- serve: latency of a change on the far host

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}
function cpuTicks(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (100/s)
}
function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
function readOrNull(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/**
 * One `serve`, two instant mirrors of copies of the same tree: `remote`
 * (source on the far host over ssh, target local) and `local` (both local).
 * Changes alternate: a file written in the far root (as the far host's user
 * would), then one in the local source; each timed from the write until the
 * target holds the new content.
 */
async function serveLatencyCase(tree, work) {
  rmrf(work);
  fs.mkdirSync(work, { recursive: true });
  const far = path.join(work, 'far');
  const localSrc = path.join(work, 'local-src');
  cpa(tree.root, far);
  cpa(tree.root, localSrc);
  fs.writeFileSync(path.join(work, 'conduits.json'), JSON.stringify({
    database: './conduit.db',
    conduits: [
      { name: 'remote', source: sshd.url(far), target: './remote-dst', mode: 'mirror', schedule: 'instant' },
      { name: 'local', source: './local-src', target: './local-dst', mode: 'mirror', schedule: 'instant' },
    ],
  }));
  resetCounts();
  const finished = [];
  const verified = [];
  const lines = [];
  let up = false;
  const child = spawn(process.execPath, [conduitBin, 'serve', '--config', 'conduits.json', '--port', '0'], {
    cwd: work,
    env: { ...conduitEnv(true), CONDUIT_LOG_LEVEL: 'info', CONDUIT_API_TOKEN: 'bench-token-0123456789' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let exited = null;
  child.once('exit', (code, signal) => (exited = signal ?? code));
  let partial = '';
  child.stderr.setEncoding('utf8').on('data', (chunk) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop();
    for (const line of parts) {
      lines.push(line);
      if (lines.length > 200) lines.shift();
      if (line.includes('"conduit serve is up"')) up = true;
      if (line.includes('"generation finished"')) finished.push({ at: Date.now(), ...JSON.parse(line) });
      if (line.includes('"generation verified"') || line.includes('"generation verification failed"')) verified.push({ at: Date.now(), ...JSON.parse(line) });
    }
  });
  const alive = () => {
    if (exited !== null) throw new Error(`serve exited (${exited}); its last lines:\n${lines.slice(-20).join('\n')}`);
    return true;
  };
  const finishedOf = (name) => finished.filter((g) => g.conduit === name);
  const roots = {
    remote: { source: far, target: path.join(work, 'remote-dst') },
    local: { source: localSrc, target: path.join(work, 'local-dst') },
  };
  try {
    const t0 = Date.now();
    await until(() => alive() && up, 60_000, 'serve to be up');
    await until(() => alive() && finishedOf('remote').length >= 1 && finishedOf('local').length >= 1, 600_000, 'both first generations');
    const first = Object.fromEntries(['remote', 'local'].map((n) => [n, { ms: finishedOf(n)[0].at - t0, status: finishedOf(n)[0].status }]));
    log(`  first generations: remote ${first.remote.status} after ${(first.remote.ms / 1000).toFixed(1)} s, local ${first.local.status} after ${(first.local.ms / 1000).toFixed(1)} s`);
    for (const n of ['remote', 'local']) {
      if (first[n].status !== 'completed') throw new Error(`the first generation of ${n} ended ${first[n].status}: ${JSON.stringify(finishedOf(n)[0])}`);
    }
    // Settled: both first generations confirmed by the watchers (or given up on after a minute), then a quiet moment.
    try {
      await until(() => alive() && ['remote', 'local'].every((n) => verified.some((v) => v.conduit === n)), 60_000, 'the first verifications');
    } catch {
      log('  (the first generations were not both confirmed within 60 s; going on)');
    }
    await sleep(3_000);

    const idleBefore = { cpu: cpuTicks(child.pid), link: readCounts(), generations: finished.length };
    await sleep(options.idleSeconds * 1000);
    const idleAfter = { cpu: cpuTicks(child.pid), link: readCounts(), generations: finished.length };
    const idle = {
      seconds: options.idleSeconds,
      cpuPct: ((idleAfter.cpu - idleBefore.cpu) / (options.idleSeconds * 100)) * 100,
      linkBytes: idleAfter.link.bytes - idleBefore.link.bytes,
      generations: idleAfter.generations - idleBefore.generations,
    };
    log(`  idle ${idle.seconds} s: serve CPU ${idle.cpuPct.toFixed(2)} %, ${idle.linkBytes} bytes over the link, ${idle.generations} generations`);

    const changes = { remote: [], local: [] };
    const files = listFiles(tree.root);
    for (let i = 0; i < options.changes; i++) {
      for (const name of ['remote', 'local']) {
        const rel = files[(i * 7919 + (name === 'local' ? 3 : 0)) % files.length];
        const content = `changed ${name} ${i} ${Date.now()}\n`;
        const before = finishedOf(name).length;
        const linkBefore = readCounts().bytes;
        const start = process.hrtime.bigint();
        fs.writeFileSync(path.join(roots[name].source, rel), content);
        await until(() => alive() && readOrNull(path.join(roots[name].target, rel)) === content, 60_000, `change ${i} of ${name}`);
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        await until(() => alive() && finishedOf(name).length > before, 60_000, `the generation of change ${i} of ${name}`);
        const g = finishedOf(name).at(-1);
        await sleep(1_000); // quiet between changes (and the counter's file is rewritten every 100 ms)
        changes[name].push({ ms, fastPath: g.fastPath, scanned: g.scanned, status: g.status, linkBytes: name === 'remote' ? readCounts().bytes - linkBefore : null });
        log(`  change ${i + 1}/${options.changes} ${name}: ${ms.toFixed(0)} ms${g.fastPath ? ', fast path' : ''}, ${g.scanned} entries scanned${name === 'remote' ? `, ${readCounts().bytes - linkBefore} bytes over the link` : ''}`);
      }
    }
    const link = readCounts();
    const summary = (xs) => ({
      changes: xs.length,
      p50Ms: percentile(xs.map((x) => x.ms), 50),
      p95Ms: percentile(xs.map((x) => x.ms), 95),
      maxMs: Math.max(...xs.map((x) => x.ms)),
      fastPath: xs.filter((x) => x.fastPath).length,
      scannedMin: Math.min(...xs.map((x) => x.scanned)),
      scannedMax: Math.max(...xs.map((x) => x.scanned)),
      linkBytesMedian: xs[0]?.linkBytes === null ? null : median(xs.map((x) => x.linkBytes)),
    });
    return {
      serve: {
        files: tree.count,
        firstGenerationMs: { remote: first.remote.ms, local: first.local.ms },
        idle,
        connectionsOpened: link.connections,
        remote: summary(changes.remote),
        local: summary(changes.local),
        changes,
      },
    };
  } finally {
    if (exited === null) {
      child.kill('SIGTERM');
      await Promise.race([new Promise((r) => child.once('exit', r)), sleep(30_000)]);
      if (exited === null) child.kill('SIGKILL');
    }
    rmrf(work);
  }
}

// ---------------------------------------------------------------- the cases and their targets

const CASES = [
  {
    name: 'remote-initial-small',
    title: 'initial mirror over ssh, 20,000 files of 1-16 KiB in ~400 dirs, to an empty remote target',
    tree: 'small', runs: 3,
    run: (t, w, runs, warm) => initialCase(t, w, runs, warm),
    targets: [{ metric: 'wall', vs: 'rsync', max: 1.2 }],
  },
  {
    name: 'remote-noop-small',
    title: 'no-op re-run over ssh on the remote-initial-small tree',
    tree: 'small', runs: 5,
    run: (t, w, runs, warm) => noopCase(t, w, runs, warm),
    targets: [{ metric: 'wall', vs: 'rsync', max: 1.0 }, { metric: 'gen', vs: 'rsync', max: null }],
  },
  {
    name: 'remote-changed-large',
    title: 're-run over ssh after 1% of each of 4 large files changed in place (scattered 64 KiB writes)',
    tree: 'large', runs: 3, large: true,
    run: (t, w, runs, warm) => changedLargeCase(t, w, runs, warm),
    targets: [
      { metric: 'bytes', vs: 'rsync --whole-file', max: 0.10 },
      { metric: 'bytes', vs: 'rsync (delta)', max: null },
      { metric: 'wall', vs: 'rsync (delta)', max: null },
    ],
  },
  {
    name: 'remote-serve-latency',
    title: 'serve, instant mirror with a remote source: one change on the far host until it lands locally (and a local one beside it)',
    tree: 'small', serve: true,
    run: (t, w) => serveLatencyCase(t, w),
    targets: [],
  },
];

// ---------------------------------------------------------------- report

function summarize(samples) {
  const out = {};
  for (const [tool, s] of Object.entries(samples)) {
    const links = s.map((x) => x.link).filter(Boolean);
    out[tool] = {
      runs: s.length,
      wallMs: median(s.map((x) => x.wallMs)),
      wallMinMs: Math.min(...s.map((x) => x.wallMs)),
      wallMaxMs: Math.max(...s.map((x) => x.wallMs)),
      genMs: median(s.map((x) => x.genMs)),
      peakRssMB: s.some((x) => x.rssKiB !== null) ? Math.max(...s.map((x) => x.rssKiB ?? 0)) * 1024 / 1e6 : null,
      linkBytes: links.length ? median(links.map((l) => l.bytes)) : null,
      linkSent: links.length ? median(links.map((l) => l.sent)) : null,
      linkReceived: links.length ? median(links.map((l) => l.received)) : null,
      linkConnections: links.length ? Math.max(...links.map((l) => l.connections)) : null,
      rsyncStats: s[0]?.rsync ? {
        totalSent: median(s.map((x) => x.rsync.totalSent)), totalReceived: median(s.map((x) => x.rsync.totalReceived)),
        literal: median(s.map((x) => x.rsync.literal)), matched: median(s.map((x) => x.rsync.matched)),
      } : null,
      samples: s,
    };
  }
  return out;
}

function judge(c, summary) {
  const conduit = summary.conduit;
  return c.targets.flatMap((t) => {
    if (!summary[t.vs]) return [];
    const base = t.metric === 'bytes' ? summary[t.vs].linkBytes : summary[t.vs].wallMs;
    const value = t.metric === 'bytes' ? conduit.linkBytes : t.metric === 'wall' ? conduit.wallMs : conduit.genMs;
    if (value === null || base === null || !base) return [];
    const ratio = value / base;
    const metric = { bytes: 'link bytes', wall: 'process wall', gen: 'generation time' }[t.metric];
    const baseWhat = t.metric === 'bytes' ? 'link bytes' : 'wall';
    return [{
      metric, value, baseline: base, vs: t.vs, ratio,
      target: t.max === null ? 'report only' : `<= ${t.max < 1 ? `${Math.round(t.max * 100)} %` : `${t.max.toFixed(1)} x`} ${t.vs} ${baseWhat}`,
      met: t.max === null ? null : ratio <= t.max,
    }];
  });
}

/** A failed command's exit code and the first line it printed (`conduit: …`), not its command line. */
function failureReason(message) {
  const m = /exited (\S+):\s*([\s\S]*)$/.exec(message);
  const said = (m ? m[2] : message).split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
  return `${m ? `exit ${m[1]}: ` : ''}${said}`.slice(0, 160);
}

function uptimeText() {
  const r = spawnSync('uptime', [], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : `load average: ${os.loadavg().map((x) => x.toFixed(2)).join(', ')}`;
}

function machine(dir) {
  const cpus = os.cpus();
  const ver = (cmd, args) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return r.status === 0 ? `${r.stdout}${r.stderr}`.split('\n')[0].trim() : 'missing';
  };
  return {
    cores: cpus.length,
    cpu: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30 * 10) / 10,
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
    filesystem: sh('df', ['--output=fstype', dir], { allowFail: true }).stdout.trim().split('\n').pop(),
    benchDir: dir,
    rsync: ver('rsync', ['--version']),
    ssh: ver('ssh', ['-V']),
    uptimeStart: uptimeText(),
  };
}

const ratioText = (c) => `${{ 'link bytes': 'bytes', 'process wall': 'wall', 'generation time': 'gen' }[c.metric]} ${c.metric === 'link bytes' ? `${(c.ratio * 100).toFixed(1)} %` : `${c.ratio.toFixed(2)}x`} ${c.vs}`;

function report(m, results, runsNote) {
  const out = [];
  out.push(`machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB RAM, node ${m.node}, ${m.kernel}, bench dir ${m.benchDir} on ${m.filesystem}`);
  out.push(`tools: ${m.rsync}; ${m.ssh}; sshd on ${HOST} (loopback)`);
  out.push(`load: start [${m.uptimeStart}], end [${m.uptimeEnd}]`);
  out.push(`method: ${runsNote}`);
  out.push('');
  const rows = [['case', 'tool', 'runs', 'median wall', 'min-max wall', 'median gen', 'peak RSS', 'link bytes (sent / received)', 'rsync --stats sent / received', 'ratio', 'target', 'met?']];
  const notes = [];
  for (const r of results) {
    if (r.error) {
      rows.push([r.name, 'FAILED', '-', '-', '-', '-', '-', '-', '-', '-', '-', r.reason]);
      continue;
    }
    if (r.note) notes.push(`${r.name}: ${r.note}`);
    if (!r.summary) continue;
    const tools = Object.keys(r.summary);
    for (const tool of tools) {
      const s = r.summary[tool];
      const checks = tool === 'conduit' ? r.checks : [];
      rows.push([
        tool === tools[0] ? r.name : '', tool, s.runs, fmtMs(s.wallMs), `${fmtMs(s.wallMinMs)}-${fmtMs(s.wallMaxMs)}`,
        tool === 'conduit' ? fmtMs(s.genMs) : '-', s.peakRssMB === null ? '-' : `${s.peakRssMB.toFixed(0)} MB`,
        s.linkBytes === null ? '-' : `${mb(s.linkBytes)} (${mb(s.linkSent)} / ${mb(s.linkReceived)})`,
        s.rsyncStats && s.rsyncStats.totalSent !== null ? `${mb(s.rsyncStats.totalSent)} / ${mb(s.rsyncStats.totalReceived)}` : '-',
        checks.map(ratioText).join('; '), checks.map((c) => c.target).join('; '), checks.map((c) => (c.met === null ? '-' : c.met ? 'yes' : 'NO')).join('; '),
      ]);
    }
  }
  out.push(table(rows));
  for (const r of results.filter((x) => x.serve)) {
    const s = r.serve;
    const lat = (x) => `p50 ${fmtMs(x.p50Ms)} (${fmtMs(x.p50Ms - QUIET_MS)} beyond the ${QUIET_MS} ms debounce), p95 ${fmtMs(x.p95Ms)}, max ${fmtMs(x.maxMs)}; ${x.fastPath} of ${x.changes} on the fast path, ${x.scannedMin}-${x.scannedMax} entries scanned`;
    out.push('');
    out.push(`${r.name}: serve with two instant mirrors of ${s.files} files in one process, changes alternating`);
    out.push(table([
      ['measure', 'value'],
      ['change on the far host -> local target (remote source)', lat(s.remote)],
      ['link bytes per remote change (median, both ways)', s.remote.linkBytesMedian === null ? '-' : `${s.remote.linkBytesMedian} bytes`],
      ['local change -> local target (same serve, for comparison)', lat(s.local)],
      ['first full generation (serve start -> finished)', `remote ${fmtMs(s.firstGenerationMs.remote)}, local ${fmtMs(s.firstGenerationMs.local)}`],
      [`idle ${s.idle.seconds} s after the first sync`, `serve CPU ${s.idle.cpuPct.toFixed(2)} %, ${s.idle.linkBytes} bytes over the link, ${s.idle.generations} generations`],
      ['ssh connections opened during the case', String(s.connectionsOpened)],
    ]));
  }
  if (notes.length) out.push('', ...notes);
  return out.join('\n');
}

// ---------------------------------------------------------------- main

/** The parsed command line, for the cases. */
let options = {};

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  options = opts;
  if (!sshdAvailable()) {
    const missing = 'sshd or ssh is missing (apt-get install openssh-server openssh-client)';
    if (!opts.skipIfNoSshd) throw new Error(missing);
    log(`bench-remote: SKIPPED, ${missing}`);
    return;
  }
  if (spawnSync('rsync', ['--version']).status !== 0) throw new Error('rsync is missing (apt-get install -y rsync)');
  if (!fs.existsSync(path.join(repo, 'dist', 'src', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` (or `npm run bench:remote`)');
  // The ssh command lines are split on blanks by rsync -e and sh -c: keep every path blank-free.
  for (const p of [opts.dir, repo, process.execPath]) if (/\s/.test(p)) throw new Error(`a path with blanks cannot go into the ssh command line: ${p}`);
  let selected = opts.cases ? CASES.filter((c) => opts.cases.includes(c.name)) : CASES;
  if (opts.cases && selected.length !== opts.cases.length) {
    throw new Error(`unknown case in ${opts.cases.join(',')}; cases: ${CASES.map((c) => c.name).join(', ')}`);
  }
  if (opts.skipLarge) selected = selected.filter((c) => !c.large);
  fs.mkdirSync(opts.dir, { recursive: true });
  const m = machine(opts.dir);
  const specs = treeSpecs(opts.quick);
  const largeMiB = Number(process.env.BENCH_REMOTE_LARGE_MIB ?? (opts.quick ? 16 : 256));
  if (!(Number.isInteger(largeMiB) && largeMiB >= 1)) throw new Error(`BENCH_REMOTE_LARGE_MIB must be a whole number of MiB, got ${process.env.BENCH_REMOTE_LARGE_MIB}`);
  // 256 MiB: the very tree of scripts/bench.mjs's large cases (same spec, same folder under --dir).
  specs.large = { ...specs.large, size: largeMiB * 1024 * 1024 };
  log(`bench dir ${opts.dir} (${m.filesystem}), ${m.cores} cores, node ${m.node}; ${m.uptimeStart}${opts.quick ? '; QUICK sizes' : ''}`);

  sshd = await startLoopbackSshd(path.join(opts.dir, 'sshd'), repo);
  countDir = path.join(opts.dir, 'link-counts');
  const results = [];
  try {
    const probe = spawnSync('sh', ['-c', `${sshd.sshCommand} -o BatchMode=yes -p ${sshd.port} ${HOST} ${sshd.remoteCommand} --version`], { encoding: 'utf8' });
    if (probe.status !== 0) throw new Error(`ssh to the bench sshd failed (exit ${probe.status}): ${probe.stderr.trim()} ${sshd.stderr().trim()}`);
    log(`sshd on ${HOST}:${sshd.port}; the far side runs conduit ${probe.stdout.trim()} (${sshd.remoteCommand})`);
    for (const c of selected) {
      const tree = ensureTree(opts.dir, c.tree, specs[c.tree]);
      const runs = opts.runs ?? (opts.quick ? 2 : c.runs);
      log(`case ${c.name}: ${c.title}${opts.quick ? ' (quick sizes)' : ''}${c.serve ? '' : `, ${runs} runs${opts.warmup ? ' after 1 warm-up' : ''}`}; ${uptimeText()}`);
      const entry = { name: c.name, title: c.title, tree: { files: tree.count, dirs: tree.dirs, bytes: tree.bytes }, loadBefore: uptimeText() };
      try {
        const out = await c.run(tree, path.join(opts.dir, 'work', c.name), runs, opts.warmup);
        if (out.samples) {
          entry.summary = summarize(out.samples);
          entry.checks = judge(c, entry.summary);
        }
        if (out.serve) entry.serve = out.serve;
        if (out.note) entry.note = out.note;
      } catch (err) {
        entry.error = err instanceof Error ? err.message : String(err);
        entry.reason = failureReason(entry.error);
        log(`  case ${c.name} FAILED: ${entry.error}`);
        process.exitCode = 1;
      }
      results.push(entry);
    }
  } finally {
    await sshd.stop();
    rmrf(countDir);
  }
  m.uptimeEnd = uptimeText();
  const runsNote = `${opts.warmup ? 'warm cache (1 unmeasured warm-up round), ' : ''}medians of N measured runs per tool, tools interleaved, sync before each run; ` +
    'conduit = `conduit run --json` of an ssh:// conduit (its own ssh connection and agent per run), gen = its startedAt->completedAt; ' +
    'link bytes = payload on ssh\'s stdin+stdout counted by scripts/ssh-byte-counter.mjs for both tools; ratios: conduit median / baseline median';
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ machine: m, quick: opts.quick, largeMiB, method: runsNote, results }, null, 2)}\n`);
    log(report(m, results, runsNote));
  } else {
    process.stdout.write(`${report(m, results, runsNote)}\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`bench-remote: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
