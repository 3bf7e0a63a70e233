#!/usr/bin/env node --expose-gc
// The store and scan side of issue 9, measured on their own (not the CLI):
//
//   node --expose-gc scripts/bench-baseline.mjs rows N       writes N baseline rows (multi-row statements, one transaction),
//                                                           then times load() (Map) against loadColumns() (typed arrays),
//                                                           the bytes each holds per path, and loadRows of 200 paths.
//   node --expose-gc scripts/bench-baseline.mjs scan ROOT    records ROOT's full scan as the baseline, then times the scan
//                                                           worker's walk without and with `against` (medians of 5: wall,
//                                                           and CPU of the whole process, every thread, the steadier
//                                                           measure on a shared machine) and reports what crossed back
//                                                           and the RSS.
//
// Needs `npm run build` (imports dist/). Prints one JSON object per measurement.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(path.join(repo, 'dist', 'src', p));
const { openStore } = await dist('db/open-store.js');
const { BaselineRepository } = await dist('db/repositories/baseline.js');
const { scanRoot, stopScanWorkers } = await dist('engine/scan.js');
const { buildRules } = await dist('engine/filters.js');
const { NodeFileSystem } = await dist('fs/node-file-system.js');

const gc = globalThis.gc ?? (() => { throw new Error('run with node --expose-gc'); });
const [mode, arg, keptDb, only] = process.argv.slice(2);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-baseline-'));
const dbFile = keptDb ? path.resolve(keptDb) : path.join(work, 'conduit.db');

function heldBytes() {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function timed(fn) {
  const t = performance.now();
  const value = fn();
  return { value, ms: performance.now() - t };
}

async function freshRepo() {
  const store = await openStore(dbFile);
  const id = store.createConduit({
    name: 'bench', source: '/s', target: '/t', mode: 'mirror', schedule: 'manual', enabled: true, include: [], exclude: [], useIndexRules: true,
    conflict: 'keep-both', parallelTransfers: 4, bandwidthLimitMbps: null, maxDeletePercent: 50, checksum: false, versioning: null, verifyTimeoutSeconds: 30,
  }).id;
  store.close();
  const db = new Database(dbFile);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  return { db, repo: new BaselineRepository(db), id };
}

/** Rows shaped like the bench's tiny tree (dNN/sNN/fNNN.dat), attributes independent. */
function* syntheticRows(n) {
  const perDir = 100;
  for (let i = 0; i < n; i++) {
    const f = i % perDir;
    const d = Math.floor(i / perDir);
    const state = { mtimeNs: 1_700_000_000_000_000_000n + BigInt(i) * 1_000_003n, mode: 0o644, ino: 1_000_000 + i };
    yield [`d${String(d % 100).padStart(2, '0')}/s${String(Math.floor(d / 100)).padStart(3, '0')}/f${String(f).padStart(3, '0')}.dat`, {
      kind: 'file', size: (i * 37) % 101, hash: null, linkTarget: null, source: state, target: state,
    }];
  }
}

function columnsBytes(c) {
  const arrays = [c.offsets, c.kinds, c.sizes, c.linkRows].reduce((s, a) => s + a.byteLength, 0);
  const perSide = (s) => s.mtimes.byteLength + s.modes.byteLength + s.inos.byteLength;
  return { arrays, perSide: perSide(c), string: c.paths.length * (/[^\u0000-\u00ff]/.test(c.paths) ? 2 : 1) };
}

if (mode === 'rows') {
  const n = Number(arg);
  const { db, repo: r, id } = await freshRepo();
  const write = timed(() => db.transaction(() => r.upsertMany(id, syntheticRows(n)))());
  console.log(JSON.stringify({ what: 'upsertMany (new rows, one transaction)', rows: n, ms: Math.round(write.ms) }));

  const before = heldBytes();
  const columns = timed(() => r.loadColumns(id));
  const afterColumns = heldBytes();
  const sizes = columnsBytes(columns.value.source);
  console.log(JSON.stringify({
    what: 'loadColumns', rows: columns.value.count, ms: Math.round(columns.ms),
    heldBytesPerPath: +((afterColumns - before) / n).toFixed(1),
    layout: { commonArrays: sizes.arrays, perSideArrays: sizes.perSide, pathString: sizes.string },
  }));
  const keep = [columns.value];
  const loaded = timed(() => r.load(id));
  const afterLoad = heldBytes();
  console.log(JSON.stringify({ what: 'load (Map of entries, for comparison)', rows: loaded.value.size, ms: Math.round(loaded.ms), heldBytesPerPath: +((afterLoad - afterColumns) / n).toFixed(1) }));
  keep.push(loaded.value);
  const some = [...syntheticRows(Math.min(n, 200_000))].filter((_, i) => i % 1000 === 0).map(([p]) => p).slice(0, 200);
  const rows = timed(() => r.loadRows(id, some));
  console.log(JSON.stringify({ what: 'loadRows', asked: some.length, found: rows.value.size, ms: +rows.ms.toFixed(2) }));
  const del = timed(() => db.transaction(() => r.deleteMany(id, [...syntheticRows(n)].map(([p]) => p)))());
  console.log(JSON.stringify({ what: 'deleteMany (every row, one transaction)', rows: n, ms: Math.round(del.ms) }));
  db.close();
  void keep;
} else if (mode === 'scan') {
  // scan ROOT [DB [against-only]]: a DB kept from an earlier run is reused (its recording is not in this
  // process's peak RSS, so /usr/bin/time measures what a no-op holds); against-only skips the full scans.
  const root = path.resolve(arg);
  const disk = new NodeFileSystem();
  const rules = buildRules({ useIndexRules: false });
  const reuse = keptDb !== undefined && fs.existsSync(dbFile);
  const { db, repo: r, id } = reuse
    ? (() => { const d = new Database(dbFile); return { db: d, repo: new BaselineRepository(d), id: d.prepare(`SELECT id FROM sync_conduit WHERE name = 'bench'`).pluck().get() }; })()
    : await freshRepo();
  if (!reuse) {
    const first = await scanRoot(disk, root, { rules });
    const rows = new Map();
    for (const [p, e] of first.entries) {
      if (e.kind === 'problem') continue;
      const state = { mtimeNs: e.mtimeNs, mode: e.kind === 'symlink' ? 0 : e.mode, ino: e.ino };
      rows.set(p, { kind: e.kind, size: e.kind === 'file' ? e.size : 0, hash: null, linkTarget: e.kind === 'symlink' ? e.linkTarget : null, source: state, target: state });
    }
    db.transaction(() => r.upsertMany(id, rows))();
  }
  console.log(JSON.stringify({ what: 'before loading', rssMB: Math.round(process.memoryUsage().rss / 1e6) }));
  const load = timed(() => r.loadColumns(id));
  const { source, target } = load.value;
  console.log(JSON.stringify({ what: 'loadColumns', rows: source.count, ms: Math.round(load.ms) }));
  const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
  for (const against of only === 'against-only' ? [true] : [false, true]) {
    const times = [];
    const cpus = [];
    let reported = 0;
    let changes;
    for (let i = 0; i < Number(process.env.RUNS ?? 5); i++) {
      // Both roots' workers at once, as a generation scans (here the same root twice, each side's columns).
      const t = performance.now();
      const cpu = process.cpuUsage();
      const [a] = await Promise.all([
        scanRoot(disk, root, { rules, ...(against ? { against: source } : {}) }),
        scanRoot(disk, root, { rules, ...(against ? { against: target } : {}) }),
      ]);
      times.push(performance.now() - t);
      const used = process.cpuUsage(cpu);
      cpus.push((used.user + used.system) / 1000);
      reported = a.entries.size;
      changes = a.changes;
    }
    console.log(JSON.stringify({
      what: against ? 'two scans against the baseline (worker)' : 'two full scans (worker)', medianMs: Math.round(median(times)), medianCpuMs: Math.round(median(cpus)), reported,
      changes: changes && { gone: changes.gone.length, inScope: changes.inScope, unchanged: changes.unchanged },
      rssMB: Math.round(process.memoryUsage().rss / 1e6),
    }));
  }
  await stopScanWorkers();
  db.close();
} else {
  console.error('usage: node --expose-gc scripts/bench-baseline.mjs rows N | scan ROOT');
  process.exit(2);
}
fs.rmSync(work, { recursive: true, force: true });
if (keptDb !== undefined) console.log(JSON.stringify({ what: 'kept database', dbFile }));
