#!/usr/bin/env node
// Where a generation's time goes, phase by phase, in one process (the compiled
// dist/ modules, the same steps as engine/generation.ts for a mirror conduit,
// without transfers). For profiling-driven work on the no-op cases.
//
//   node scripts/bench-phases.mjs --db DB --name NAME [--repeat N]
//
// The conduit must exist and have run once (a baseline). Prints, per repeat:
// store open, baseline load, both scans (in parallel, warm workers after the
// first repeat), reconcile, nextBaseline, with heap used.

import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const load = (p) => import(pathToFileURL(path.join(repo, 'dist', 'src', p)).href);

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const db = opt('--db');
const name = opt('--name');
const repeat = Number(opt('--repeat', '3'));
if (!db || !name) {
  process.stderr.write('usage: node scripts/bench-phases.mjs --db DB --name NAME [--repeat N]\n');
  process.exit(2);
}

const t = () => performance.now();
const ms = (x) => `${x.toFixed(1)} ms`;

const { openStore } = await load('db/open-store.js');
const { scanRoot, scanOptionsFor, stopScanWorkers, prewarmScanWorkers } = await (async () => {
  const scan = await load('engine/scan.js');
  const gen = await load('engine/generation.js');
  return { ...scan, scanOptionsFor: gen.scanOptionsFor };
})();
const { NodeFileSystem } = await load('fs/node-file-system.js');
const { reconcile } = await load('core/reconcile.js');
const { nextBaseline } = await load('core/next-baseline.js');

const fs = new NodeFileSystem();
if (prewarmScanWorkers) prewarmScanWorkers();
for (let r = 0; r < repeat; r++) {
  const t0 = t();
  const store = await openStore(path.resolve(db));
  const t1 = t();
  const conduit = store.getConduit(name);
  const baseline = store.loadBaseline(conduit.id);
  const t2 = t();
  const options = await scanOptionsFor(fs, conduit);
  const t3 = t();
  const [source, target] = await Promise.all([scanRoot(fs, conduit.source, options), scanRoot(fs, conduit.target, options)]);
  const t4 = t();
  const plan = reconcile({ mode: conduit.mode, policy: conduit.conflict, baseline, source: source.entries, target: target.entries, stamp: '20000101T000000Z', checksum: conduit.checksum });
  const t5 = t();
  const changes = nextBaseline(baseline, source.entries, target.entries, plan, []);
  const t6 = t();
  store.close();
  const heap = process.memoryUsage();
  console.log(
    `#${r + 1}: open ${ms(t1 - t0)}, baseline load ${ms(t2 - t1)} (${baseline.size} rows), scan options ${ms(t3 - t2)}, ` +
      `scans ${ms(t4 - t3)} (${source.entries.size}+${target.entries.size} entries), reconcile ${ms(t5 - t4)} (${plan.actions.length} actions), ` +
      `nextBaseline ${ms(t6 - t5)} (${changes.upserts.size} upserts), total ${ms(t6 - t0)}; heap ${(heap.heapUsed / 1e6).toFixed(0)} MB, rss ${(heap.rss / 1e6).toFixed(0)} MB`,
  );
}
await stopScanWorkers();
