#!/usr/bin/env node
// conduit's benchmark (issue 3, "Performance, measured by `npm run bench`").
//
// Generates deterministic trees (seeded PRNG) under a bench directory on the
// same disk as the targets, then times, in the same run, `conduit run` against
// `rsync -a --delete` and `cp -a`, and prints medians, peak RSS and ratios
// against the targets of issue 3.
//
//   node scripts/bench.mjs [--quick] [--case NAME[,NAME]] [--runs N] [--json] [--dir DIR] [--no-warmup] [--profile DIR]
//
// --profile DIR: measured conduit runs write V8 CPU profiles (node --cpu-prof)
// into DIR, one file per thread; summarise them with scripts/cpuprofile-top.mjs.
// (Profiling slows conduit down: do not read timings from such a run.)
//
// Method (also in docs/PERFORMANCE.md):
// - warm cache: every case first does one unmeasured warm-up run per tool
//   (the source trees are then in the page cache), then N measured runs with
//   the tools interleaved (conduit, rsync, cp, conduit, ...) so background
//   load hits them alike; medians are reported.
// - `sync` (untimed) before every measured run, so write-back of the previous
//   run's data does not land in the next one's timing.
// - process wall: spawn to exit of the whole command, as a user waits for it
//   (node start-up, module loading and database included for conduit).
// - generation time: conduit's own `completedAt - startedAt` from `run --json`
//   (millisecond resolution).
// - peak RSS: GNU time's %M (max resident set of the child; for rsync, which
//   forks a generator/receiver, that is the largest of its processes).
// - initial cases: fresh empty target (and a fresh database + conduit) per run.
// - 1%-changed: before every run, each tool gets a fresh copy of the synced
//   state (source, target, and for conduit its database) and the same
//   deterministic change set is applied to its source.
// - 1%-changed large (changed-large): 1 % of the bytes of each 256 MiB file
//   rewritten in place before every run, the same blocks for both tools; each
//   run starts from the state the previous one synced.
// - written: GNU time's %O x 512, the bytes the command caused to be written.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  applyLargeChanges, BASE_MTIME, cpa, ensureTree, fmtMs, LARGE_BLOCK, largeChanges, listFiles, log, measure, median,
  mulberry32, randomPool, rmrf, sh, syncDisk, table, treeSpecs,
} from './bench-common.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const conduitBin = path.join(repo, 'bin', 'conduit.js');

// ---------------------------------------------------------------- options

function parseArgs(argv) {
  const o = { quick: false, cases: null, runs: null, json: false, dir: path.join(repo, 'bench-data'), warmup: true, profile: null };
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
    else if (a === '--case') o.cases = value().split(',');
    else if (a === '--runs') o.runs = Number(value());
    else if (a === '--dir') o.dir = path.resolve(value());
    else if (a === '--profile') o.profile = path.resolve(value());
    else if (a === '-h' || a === '--help') {
      process.stdout.write(`usage: node scripts/bench.mjs [--quick] [--case ${CASES.map((c) => c.name).join('|')}[,...]] [--runs N] [--json] [--dir DIR] [--no-warmup] [--profile DIR]\n` +
        'Without --case, every case runs (npm run bench runs this, then scripts/bench-latency.mjs: serve latency and memory).\n' +
        'At full size the trees take ~1 GiB (large) and ~1.2 GiB (small, tiny) under --dir; the large cases write ~1 GiB per run.\n' +
        `${CASES.map((c) => `  ${c.name}: ${c.title}`).join('\n')}\n`);
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  if (o.runs !== null && !(Number.isInteger(o.runs) && o.runs >= 1)) throw new Error('--runs must be a positive integer');
  return o;
}

// ---------------------------------------------------------------- deterministic data
// (the trees themselves: bench-common.mjs, shared with bench-remote.mjs)

/**
 * The 1% change set, a pure function of the tree's file list and a seed:
 * 0.5% of files edited (new content and size, new mtime), 0.25% deleted,
 * 0.25% added (in existing directories, some in a new directory).
 */
function changeSet(files, seed) {
  const rand = mulberry32(seed);
  const n = Math.max(4, Math.round(files.length * 0.01));
  const picked = new Set();
  while (picked.size < Math.floor(n * 0.75)) picked.add(Math.floor(rand() * files.length));
  const order = [...picked];
  const edits = order.slice(0, Math.floor(n / 2)).map((i) => ({ path: files[i], size: 1024 + Math.floor(rand() * 15361) }));
  const deletes = order.slice(Math.floor(n / 2)).map((i) => files[i]);
  const adds = [];
  const addCount = n - edits.length - deletes.length;
  for (let a = 0; a < addCount; a++) {
    const dir = a % 5 === 0 ? 'added' : path.posix.dirname(files[Math.floor(rand() * files.length)]);
    adds.push({ path: `${dir}/new-${seed}-${String(a).padStart(4, '0')}.dat`, size: 1024 + Math.floor(rand() * 15361) });
  }
  return { edits, deletes, adds, seed };
}

function applyChanges(root, changes) {
  const rand = mulberry32(changes.seed + 1000);
  const pool = randomPool(rand, 64 * 1024);
  let i = 0;
  const write = (rel, size) => {
    const file = path.join(root, rel);
    const off = Math.floor(rand() * (pool.length - size));
    fs.writeFileSync(file, pool.subarray(off, off + size));
    const t = BASE_MTIME + 10_000_000 + changes.seed * 10_000 + i++;
    fs.utimesSync(file, t, t);
  };
  for (const e of changes.edits) write(e.path, e.size);
  for (const d of changes.deletes) fs.unlinkSync(path.join(root, d));
  for (const a of changes.adds) {
    fs.mkdirSync(path.dirname(path.join(root, a.path)), { recursive: true });
    write(a.path, a.size);
  }
}

// ---------------------------------------------------------------- running and measuring

function conduitAdd(db, name, source, target, mode = 'mirror') {
  sh('node', [conduitBin, '--db', db, 'add', '--name', name, '--source', source, '--target', target, '--mode', mode, '--json']);
}

/** True when `cmd` is on PATH (optional comparison tools such as unison). */
function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

/** Set while measured runs are going on and --profile was given. */
let profileDir = null;

function conduitRun(db, name, expect) {
  const prof = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const m = measure('node', [...prof, conduitBin, '--db', db, 'run', name, '--json']);
  const out = JSON.parse(m.stdout);
  const genMs = Date.parse(out.completedAt) - Date.parse(out.startedAt);
  if (out.status !== 'completed') log(`  WARNING: conduit generation ended ${out.status}: ${JSON.stringify(out.errors).slice(0, 500)}`);
  if (expect) {
    for (const [k, v] of Object.entries(expect)) {
      if (out[k] !== v) log(`  WARNING: conduit ${k} = ${out[k]}, expected ${v}`);
    }
  }
  return { wallMs: m.wallMs, genMs, rssKiB: m.rssKiB, writtenBytes: m.writtenBytes, result: out };
}

function rsyncRun(src, dst) {
  return measure('rsync', ['-a', '--delete', `${src}/`, `${dst}/`]);
}

function cpRun(src, dst) {
  return measure('cp', ['-a', src, dst]);
}

/**
 * Run `tools` (name → { prepare(), run() }) interleaved: one warm-up round
 * (unless disabled), then `runs` measured rounds.
 */
function rounds(tools, runs, warmup, profile = null) {
  const samples = Object.fromEntries(Object.keys(tools).map((t) => [t, []]));
  const total = runs + (warmup ? 1 : 0);
  for (let r = 0; r < total; r++) {
    const measured = !warmup || r > 0;
    for (const [name, tool] of Object.entries(tools)) {
      tool.prepare?.();
      syncDisk();
      profileDir = measured ? profile : null;
      const s = tool.run();
      profileDir = null;
      const label = measured ? `run ${warmup ? r : r + 1}/${runs}` : 'warm-up';
      log(`  ${label} ${name}: wall ${s.wallMs.toFixed(0)} ms${s.genMs !== undefined ? `, generation ${s.genMs} ms` : ''}, rss ${s.rssKiB ?? '?'} KiB`);
      if (measured) samples[name].push({ wallMs: s.wallMs, genMs: s.genMs, rssKiB: s.rssKiB, writtenBytes: s.writtenBytes ?? null });
    }
  }
  return samples;
}

// ---------------------------------------------------------------- cases

function initialCase(tree, work, tools, runs, warmup, expectFiles) {
  rmrf(work);
  fs.mkdirSync(work, { recursive: true });
  const dirs = { conduit: path.join(work, 'conduit'), rsync: path.join(work, 'rsync'), cp: path.join(work, 'cp') };
  const all = {
    conduit: {
      prepare: () => {
        rmrf(dirs.conduit);
        fs.mkdirSync(dirs.conduit);
        conduitAdd(path.join(dirs.conduit, 'conduit.db'), 'bench', tree.root, path.join(dirs.conduit, 'dst'));
      },
      run: () => conduitRun(path.join(dirs.conduit, 'conduit.db'), 'bench', { filesCopied: expectFiles }),
    },
    rsync: {
      prepare: () => {
        rmrf(dirs.rsync);
        fs.mkdirSync(path.join(dirs.rsync, 'dst'), { recursive: true }); // an empty target
      },
      run: () => rsyncRun(tree.root, path.join(dirs.rsync, 'dst')),
    },
    cp: {
      prepare: () => {
        rmrf(dirs.cp);
        fs.mkdirSync(dirs.cp);
      },
      run: () => cpRun(tree.root, path.join(dirs.cp, 'dst')),
    },
  };
  const samples = rounds(Object.fromEntries(tools.map((t) => [t, all[t]])), runs, warmup, options.profile);
  rmrf(work);
  return samples;
}

function noopCase(tree, work, runs, warmup) {
  rmrf(work);
  fs.mkdirSync(work, { recursive: true });
  const db = path.join(work, 'conduit.db');
  const cdst = path.join(work, 'conduit-dst');
  const rdst = path.join(work, 'rsync-dst');
  log('  setup: initial conduit run and initial rsync (untimed)');
  conduitAdd(db, 'bench', tree.root, cdst);
  conduitRun(db, 'bench', { filesCopied: tree.count });
  fs.mkdirSync(rdst);
  rsyncRun(tree.root, rdst);
  const samples = rounds({
    conduit: { run: () => conduitRun(db, 'bench', { filesCopied: 0, filesDeleted: 0 }) },
    rsync: { run: () => rsyncRun(tree.root, rdst) },
  }, runs, warmup, options.profile);
  rmrf(work);
  return samples;
}

/**
 * 1 % changed: before every measured run, run `k` applies change set `k`
 * (edits, adds, deletes) to each tool's source, which holds the state the
 * previous run synced. The synced state is never restored from a copy: a copy
 * gives every file a new inode, which conduit's baseline records (issue 9),
 * so every path would look changed — "restored from a backup", not "1 %
 * changed".
 */
function changedCase(tree, work, runs, warmup) {
  rmrf(work);
  fs.mkdirSync(work, { recursive: true });
  const c = path.join(work, 'conduit');
  const r = path.join(work, 'rsync');
  log('  setup: a copy of the source per tool, synced once (untimed)');
  fs.mkdirSync(c);
  fs.mkdirSync(r);
  cpa(tree.root, path.join(c, 'src'));
  cpa(tree.root, path.join(r, 'src'));
  conduitAdd(path.join(c, 'conduit.db'), 'bench', path.join(c, 'src'), path.join(c, 'dst'));
  conduitRun(path.join(c, 'conduit.db'), 'bench', { filesCopied: tree.count });
  fs.mkdirSync(path.join(r, 'dst'));
  rsyncRun(path.join(r, 'src'), path.join(r, 'dst'));
  const round = { conduit: 0, rsync: 0 };
  const pending = { conduit: null, rsync: null };
  const change = (tool, dir) => {
    round[tool] += 1;
    const changes = changeSet(listFiles(path.join(dir, 'src')), 42 + round[tool]);
    if (round[tool] === 1) log(`  change set: ${changes.edits.length} edits, ${changes.adds.length} adds, ${changes.deletes.length} deletes per run`);
    applyChanges(path.join(dir, 'src'), changes);
    pending[tool] = changes;
  };
  const samples = rounds({
    conduit: {
      prepare: () => change('conduit', c),
      run: () => conduitRun(path.join(c, 'conduit.db'), 'bench', {
        filesCopied: pending.conduit.edits.length + pending.conduit.adds.length, filesDeleted: pending.conduit.deletes.length,
      }),
    },
    rsync: { prepare: () => change('rsync', r), run: () => rsyncRun(path.join(r, 'src'), path.join(r, 'dst')) },
  }, runs, warmup, options.profile);
  rmrf(work);
  return samples;
}

/**
 * 1 % of the bytes of each large file changed in place (a database file, a
 * VM image): 64 KiB blocks at seeded offsets rewritten with other bytes, the
 * size kept, the mtime moved. Before every measured run, run `k` applies the
 * same change set `k` to each tool's source; the state the next run starts
 * from is the one the previous run synced (so conduit's baseline stays its
 * own). Both tools copy whole files here: conduit has no delta transfer, and
 * rsync between local paths uses --whole-file by default. "written" is GNU
 * time's %O (blocks the command caused to be written), × 512.
 */
function changedLargeCase(tree, work, runs, warmup) {
  rmrf(work);
  fs.mkdirSync(work, { recursive: true });
  const files = listFiles(tree.root);
  const size = tree.bytes / tree.count;
  const c = path.join(work, 'conduit');
  const r = path.join(work, 'rsync');
  log(`  setup: a copy of the source per tool, synced once (untimed); each run changes ${Math.round((size * 0.01) / LARGE_BLOCK)} blocks of 64 KiB in each of ${files.length} files`);
  fs.mkdirSync(c);
  fs.mkdirSync(r);
  cpa(tree.root, path.join(c, 'src'));
  cpa(tree.root, path.join(r, 'src'));
  conduitAdd(path.join(c, 'conduit.db'), 'bench', path.join(c, 'src'), path.join(c, 'dst'));
  conduitRun(path.join(c, 'conduit.db'), 'bench', { filesCopied: files.length });
  fs.mkdirSync(path.join(r, 'dst'));
  rsyncRun(path.join(r, 'src'), path.join(r, 'dst'));
  const round = { conduit: 0, rsync: 0 };
  const change = (tool, dir) => {
    round[tool] += 1;
    applyLargeChanges(path.join(dir, 'src'), largeChanges(files, size, 100 + round[tool]), 100 + round[tool]);
  };
  const samples = rounds({
    conduit: { prepare: () => change('conduit', c), run: () => conduitRun(path.join(c, 'conduit.db'), 'bench', { filesCopied: files.length, filesDeleted: 0 }) },
    rsync: { prepare: () => change('rsync', r), run: () => rsyncRun(path.join(r, 'src'), path.join(r, 'dst')) },
  }, runs, warmup, options.profile);
  rmrf(work);
  return samples;
}

/**
 * The first bidirectional sync of two sides that already hold the same tree
 * (a user pointing conduit at two copies of one folder): every pair has equal
 * sizes, so content decides (SPEC §3) and every file is hashed on both sides.
 * Compared with `rsync -ac` (checksums both sides the same way) and, when it
 * is installed, `unison -batch` on a fresh archive.
 */
function firstBidirectionalCase(tree, work, runs, warmup) {
  rmrf(work);
  fs.mkdirSync(work, { recursive: true });
  const pair = (name) => {
    const dir = path.join(work, name);
    fs.mkdirSync(dir);
    cpa(tree.root, path.join(dir, 'a'));
    cpa(tree.root, path.join(dir, 'b'));
    return dir;
  };
  log('  setup: two identical copies per tool (untimed)');
  const dirs = { conduit: pair('conduit'), rsync: pair('rsync') };
  const tools = {
    conduit: {
      prepare: () => {
        for (const f of fs.readdirSync(dirs.conduit)) if (f.startsWith('conduit.db')) fs.rmSync(path.join(dirs.conduit, f));
        conduitAdd(path.join(dirs.conduit, 'conduit.db'), 'bench', path.join(dirs.conduit, 'a'), path.join(dirs.conduit, 'b'), 'bidirectional');
      },
      run: () => conduitRun(path.join(dirs.conduit, 'conduit.db'), 'bench', { filesCopied: 0, conflicts: 0 }),
    },
    rsync: { run: () => measure('rsync', ['-ac', '--delete', `${path.join(dirs.rsync, 'a')}/`, `${path.join(dirs.rsync, 'b')}/`]) },
  };
  if (have('unison')) {
    dirs.unison = pair('unison');
    const unisonHome = path.join(work, 'unison-home');
    tools.unison = {
      prepare: () => { rmrf(unisonHome); fs.mkdirSync(unisonHome); },
      run: () => {
        const m = measure('env', [`UNISON=${unisonHome}`, 'unison', '-batch', '-silent', '-times', '-perms', '0', path.join(dirs.unison, 'a'), path.join(dirs.unison, 'b')]);
        return m;
      },
    };
  } else log('  (unison not installed: `apt-get install unison` to compare with it)');
  const samples = rounds(tools, runs, warmup, options.profile);
  rmrf(work);
  return samples;
}

const CASES = [
  {
    name: 'initial-small',
    title: 'initial mirror, 20,000 files of 1-16 KiB in ~400 dirs',
    tree: 'small', runs: 5,
    run: (t, w, runs, warm) => initialCase(t, w, ['conduit', 'rsync', 'cp'], runs, warm, t.count),
    targets: [{ metric: 'wall', vs: 'rsync', max: 1.0 }],
  },
  {
    name: 'noop-small',
    title: 'no-op re-run on the initial-small tree',
    tree: 'small', runs: 7,
    run: (t, w, runs, warm) => noopCase(t, w, runs, warm),
    targets: [{ metric: 'wall', vs: 'rsync', max: 1.5 }, { metric: 'gen', vs: 'rsync', max: 0.8 }],
  },
  {
    name: 'changed-small',
    title: 're-run after 1% changed (edits, adds, deletes), initial-small tree',
    tree: 'small', runs: 5,
    run: (t, w, runs, warm) => changedCase(t, w, runs, warm),
    targets: [{ metric: 'wall', vs: 'rsync', max: 1.5 }, { metric: 'gen', vs: 'rsync', max: 1.0 }],
  },
  {
    name: 'first-bidi-small',
    title: 'first bidirectional sync, both sides already hold the initial-small tree (every file hashed)',
    tree: 'small', runs: 3,
    run: (t, w, runs, warm) => firstBidirectionalCase(t, w, runs, warm),
    targets: [{ metric: 'wall', vs: 'rsync', max: null }, { metric: 'wall', vs: 'unison', max: null }, { metric: 'gen', vs: 'rsync', max: null }],
  },
  {
    name: 'initial-large',
    title: 'initial mirror, 4 files x 256 MiB',
    tree: 'large', runs: 3,
    run: (t, w, runs, warm) => initialCase(t, w, ['conduit', 'cp', 'rsync'], runs, warm, t.count),
    targets: [{ metric: 'wall', vs: 'cp', max: 1.1 }],
  },
  {
    name: 'changed-large',
    title: 're-run after 1% of the bytes of each of 4 x 256 MiB files changed in place',
    tree: 'large', runs: 3,
    run: (t, w, runs, warm) => changedLargeCase(t, w, runs, warm),
    targets: [{ metric: 'wall', vs: 'rsync', max: null }, { metric: 'gen', vs: 'rsync', max: null }],
  },
  {
    name: 'noop-tiny',
    title: 'no-op re-run, 200,000 tiny files in 2,000 dirs',
    tree: 'tiny', runs: 3,
    run: (t, w, runs, warm) => noopCase(t, w, runs, warm),
    targets: [{ metric: 'gen', vs: 'rsync', max: 1.0 }, { metric: 'rss', maxMB: 200 }],
  },
  {
    // Issue 9: completes, in bounded memory; the bytes per path are the peak RSS over every entry (files and dirs).
    name: 'noop-million',
    title: 'no-op re-run, 1,000,000 tiny files in 10,000 dirs',
    tree: 'million', runs: 2,
    run: (t, w, runs, warm) => {
      const samples = noopCase(t, w, runs, warm);
      const peakKiB = Math.max(...samples.conduit.map((x) => x.rssKiB ?? 0));
      log(`  noop-million: conduit peak RSS ${(peakKiB * 1024 / 1e6).toFixed(0)} MB = ${(peakKiB * 1024 / (t.count + t.dirs)).toFixed(0)} bytes per path (${t.count} files + ${t.dirs} dirs)`);
      return samples;
    },
    targets: [{ metric: 'gen', vs: 'rsync', max: null }, { metric: 'rss', maxMB: 600 }],
  },
];

// ---------------------------------------------------------------- report

function summarize(samples) {
  const out = {};
  for (const [tool, s] of Object.entries(samples)) {
    out[tool] = {
      runs: s.length,
      wallMs: median(s.map((x) => x.wallMs)),
      wallMinMs: Math.min(...s.map((x) => x.wallMs)),
      wallMaxMs: Math.max(...s.map((x) => x.wallMs)),
      genMs: median(s.map((x) => x.genMs)),
      peakRssMB: s.some((x) => x.rssKiB !== null) ? Math.max(...s.map((x) => x.rssKiB ?? 0)) * 1024 / 1e6 : null,
      writtenMB: s.some((x) => x.writtenBytes !== null && x.writtenBytes !== undefined) ? median(s.map((x) => x.writtenBytes)) / 1e6 : null,
      samples: s,
    };
  }
  return out;
}

function judge(c, summary) {
  const conduit = summary.conduit;
  return c.targets.flatMap((t) => {
    if (t.metric === 'rss') {
      return [{ metric: 'peak RSS', value: conduit.peakRssMB, target: `<= ${t.maxMB} MB`, ratio: null, met: conduit.peakRssMB !== null && conduit.peakRssMB <= t.maxMB }];
    }
    if (!summary[t.vs]) return []; // an optional tool (unison) that is not installed
    const base = summary[t.vs].wallMs;
    const value = t.metric === 'wall' ? conduit.wallMs : conduit.genMs;
    const ratio = value / base;
    return [{
      metric: t.metric === 'wall' ? 'process wall' : 'generation time',
      value, baseline: base, vs: t.vs, ratio,
      // max null: a ratio reported without a target (the comparison is information, not a goal).
      target: t.max === null ? 'report only' : `<= ${t.max.toFixed(1)} x ${t.vs} wall`, met: t.max === null ? null : ratio <= t.max,
    }];
  });
}

function machine(dir) {
  const cpus = os.cpus();
  const fsType = sh('df', ['--output=fstype', dir], { allowFail: true }).stdout.trim().split('\n').pop();
  const ver = (cmd, args) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return r.status === 0 ? r.stdout.split('\n')[0].trim() : 'missing';
  };
  return {
    cores: cpus.length,
    cpu: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30 * 10) / 10,
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
    filesystem: fsType,
    benchDir: dir,
    rsync: ver('rsync', ['--version']),
    cp: ver('cp', ['--version']),
    loadAvgStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

function report(m, results, runsNote) {
  const out = [];
  out.push(`machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB RAM, node ${m.node}, ${m.kernel}, bench dir ${m.benchDir} on ${m.filesystem}`);
  out.push(`tools: ${m.rsync}; ${m.cp}`);
  out.push(`load average: start ${m.loadAvgStart.join(' ')}, end ${m.loadAvgEnd.join(' ')}`);
  out.push(`method: ${runsNote}`);
  out.push('');
  const rows = [['case', 'tool', 'runs', 'median wall', 'min-max wall', 'median gen', 'peak RSS', 'written', 'ratio', 'target', 'met?']];
  for (const r of results) {
    const tools = Object.keys(r.summary);
    for (const tool of tools) {
      const s = r.summary[tool];
      const checks = tool === 'conduit' ? r.checks : [];
      const ratio = checks.map((c) => (c.ratio !== null ? `${c.metric === 'process wall' ? 'wall' : 'gen'} ${c.ratio.toFixed(2)}x ${c.vs}` : `${c.value?.toFixed(0)} MB`)).join('; ');
      rows.push([
        tool === tools[0] ? r.name : '', tool, s.runs, fmtMs(s.wallMs), `${fmtMs(s.wallMinMs)}-${fmtMs(s.wallMaxMs)}`,
        tool === 'conduit' ? fmtMs(s.genMs) : '-', s.peakRssMB === null ? '-' : `${s.peakRssMB.toFixed(0)} MB`,
        s.writtenMB === null ? '-' : `${s.writtenMB.toFixed(0)} MB`,
        ratio || '', checks.map((c) => c.target).join('; '), checks.map((c) => (c.met === null ? '-' : c.met ? 'yes' : 'NO')).join('; '),
      ]);
    }
  }
  out.push(table(rows));
  return out.join('\n');
}

// ---------------------------------------------------------------- main

/** The parsed command line, for the cases (profile). */
let options = {};

function main() {
  const opts = parseArgs(process.argv.slice(2));
  options = opts;
  for (const tool of ['rsync', 'cp']) {
    if (spawnSync(tool, ['--version']).status !== 0) throw new Error(`${tool} is missing (apt-get install -y ${tool})`);
  }
  if (!fs.existsSync(path.join(repo, 'dist', 'src', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` (or `npm run bench`)');
  const selected = opts.cases ? CASES.filter((c) => opts.cases.includes(c.name)) : CASES;
  if (opts.cases && selected.length !== opts.cases.length) {
    throw new Error(`unknown case in ${opts.cases.join(',')}; cases: ${CASES.map((c) => c.name).join(', ')}`);
  }
  fs.mkdirSync(opts.dir, { recursive: true });
  if (opts.profile) fs.mkdirSync(opts.profile, { recursive: true });
  const m = machine(opts.dir);
  log(`bench dir ${opts.dir} (${m.filesystem}), ${m.cores} cores, node ${m.node}, load ${m.loadAvgStart.join(' ')}${opts.quick ? ', QUICK sizes' : ''}`);
  const specs = treeSpecs(opts.quick);
  const results = [];
  for (const c of selected) {
    const tree = ensureTree(opts.dir, c.tree, specs[c.tree]);
    const runs = opts.runs ?? (opts.quick ? 3 : c.runs);
    log(`case ${c.name}: ${c.title}${opts.quick ? ' (quick sizes)' : ''}, ${runs} runs${opts.warmup ? ' after 1 warm-up' : ''}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    const samples = c.run(tree, path.join(opts.dir, 'work', c.name), runs, opts.warmup);
    const summary = summarize(samples);
    results.push({ name: c.name, title: c.title, tree: { files: tree.count, dirs: tree.dirs, bytes: tree.bytes }, summary, checks: judge(c, summary) });
  }
  m.loadAvgEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);
  const runsNote = `${opts.warmup ? 'warm cache (1 unmeasured warm-up run per tool), ' : ''}medians of N measured runs per tool (N in the table), tools interleaved, sync before each run; gen = conduit's startedAt->completedAt; ratios: conduit median / baseline median wall; peak RSS = max over runs of GNU time %M`;
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ machine: m, quick: opts.quick, method: runsNote, results }, null, 2)}\n`);
    log(report(m, results, runsNote)); // the table too, on stderr
  } else {
    process.stdout.write(`${report(m, results, runsNote)}\n`);
  }
}

try {
  main();
} catch (err) {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
}
