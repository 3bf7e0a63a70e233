#!/usr/bin/env node
// Summarise V8 .cpuprofile files (from `node --cpu-prof --cpu-prof-dir=DIR ...`):
// the top functions by self time, and by inclusive ("total") time, per file.
// Each thread (main, every worker) writes its own file.
//
//   node scripts/cpuprofile-top.mjs DIR_OR_FILES... [--top N] [--filter TEXT]
//
// Self time: the sampled time whose innermost frame is the function.
// Total time: the sampled time with the function anywhere on the stack
// (counted once per sample, so recursion does not inflate it).
// "(program)", "(garbage collector)" and "(idle)" are V8's own buckets.

import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
let top = 25;
let filter = null;
const inputs = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--top') top = Number(args[++i]);
  else if (args[i] === '--filter') filter = args[++i];
  else inputs.push(args[i]);
}
if (inputs.length === 0) {
  process.stderr.write('usage: node scripts/cpuprofile-top.mjs DIR_OR_FILES... [--top N] [--filter TEXT]\n');
  process.exit(2);
}

const files = inputs.flatMap((p) => (fs.statSync(p).isDirectory()
  ? fs.readdirSync(p).filter((f) => f.endsWith('.cpuprofile')).sort().map((f) => path.join(p, f))
  : [p]));

function shortUrl(url) {
  if (!url) return '';
  const u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) return u.slice(nm + 1);
  const dist = u.indexOf('/dist/');
  if (dist >= 0) return u.slice(dist + 1);
  return u.startsWith('node:') ? u : path.basename(u);
}

function keyOf(frame) {
  const name = frame.functionName || '(anonymous)';
  const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
  return where ? `${name} ${where}` : name;
}

for (const file of files) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map();
  const parent = new Map();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const self = new Map();
  const total = new Map();
  let sum = 0;
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the time since the previous sample; attribute it to sample i's stack.
    const dt = Math.max(0, timeDeltas[i] ?? 0) / 1000;
    sum += dt;
    let id = samples[i];
    const leaf = keyOf(byId.get(id).callFrame);
    self.set(leaf, (self.get(leaf) ?? 0) + dt);
    const seen = new Set();
    while (id !== undefined) {
      const k = keyOf(byId.get(id).callFrame);
      if (!seen.has(k)) {
        seen.add(k);
        total.set(k, (total.get(k) ?? 0) + dt);
      }
      id = parent.get(id);
    }
  }
  const wall = (profile.endTime - profile.startTime) / 1000;
  const idle = self.get('(idle)') ?? 0;
  console.log(`\n== ${path.basename(file)}: ${wall.toFixed(0)} ms profiled, ${(sum - idle).toFixed(0)} ms busy, ${idle.toFixed(0)} ms idle, ${samples.length} samples`);
  const print = (title, map) => {
    console.log(`-- ${title}`);
    const rows = [...map.entries()]
      .filter(([k]) => k !== '(root)' && (!filter || k.includes(filter)))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top);
    for (const [k, ms] of rows) console.log(`${ms.toFixed(1).padStart(9)} ms ${((ms / sum) * 100).toFixed(1).padStart(5)}%  ${k}`);
  };
  print('self time', self);
  print('total time (function on the stack)', total);
}
