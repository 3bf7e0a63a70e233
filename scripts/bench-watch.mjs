#!/usr/bin/env node
// The watcher alone on a big tree (issue 9): what NodeFileSystem.watch
// (src/watch/watcher.ts, chokidar behind it) costs to get ready on a tree of
// FILES files (default 100,000) in folders of 100 (1,011 directories at the
// default, the layout of scripts/bench-latency.mjs), and then, with --fill,
// while the files are copied (`cp -a`, another process) into a watched empty
// target, as a first sync does. Each run is a fresh child process, so the
// peak (VmHWM, the kernel's high-water mark of the RSS) is the watcher's own.
//
//   npm run build && node scripts/bench-watch.mjs [--files N] [--runs N] [--fill] [--dist DIR] [--keep DIR]
//
// --dist DIR: the compiled tree to load (default dist/ of this checkout), for
//   A/B runs against another build.
// --keep DIR: build the tree in DIR (or reuse it if it is there) and leave it.
// Prints one line per run: time to `ready`, peak RSS at ready, heap in use at
// ready and after a full GC; with --fill also the peak after the copy, the
// change events delivered, and how long until the last one.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write('usage: node scripts/bench-watch.mjs [--files N (100000)] [--runs N (3)] [--fill] [--dist DIR (dist)] [--keep DIR]\n' +
    '  time to ready, peak RSS and heap of the watcher alone on a tree of N files in folders of 100; --fill: and while cp -a fills a watched target.\n');
  process.exit(0);
}
const textArg = (name) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : null;
};
const numberArg = (name, fallback) => (textArg(name) === null ? fallback : Number(textArg(name)));

if (argv[0] === '--child') await child(argv[1], argv[2], argv[3] === 'fill', Number(argv[4]));
else await main();

async function main() {
  const files = numberArg('files', 100_000);
  const runs = numberArg('runs', 3);
  const fill = argv.includes('--fill');
  const dist = resolve(textArg('dist') ?? join(repo, 'dist'));
  if (!existsSync(join(dist, 'src/fs/node-file-system.js'))) throw new Error(`no build in ${dist}: run npm run build`);
  const keep = textArg('keep');
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'conduit-bench-watch-'));
  const source = join(dir, 'source');
  if (!existsSync(join(dir, 'tree-done'))) {
    mkdirSync(dir, { recursive: true });
    const dirs = Math.ceil(files / 100);
    for (let d = 0; d < dirs; d++) {
      const folder = join(source, `d${String(Math.floor(d / 100)).padStart(2, '0')}`, `e${String(d % 100).padStart(2, '0')}`);
      mkdirSync(folder, { recursive: true });
      for (let f = 0; f < 100 && d * 100 + f < files; f++) writeFileSync(join(folder, `f${f}.txt`), `file ${d}/${f}\n`);
    }
    writeFileSync(join(dir, 'tree-done'), `${files}\n`);
  }
  const treeFiles = Number(readFileSync(join(dir, 'tree-done'), 'utf8'));
  process.stdout.write(`tree: ${treeFiles} files in ${dir} (${dist}); load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`);
  try {
    for (let run = 0; run < runs; run++) {
      const target = join(dir, 'target');
      rmSync(target, { recursive: true, force: true });
      mkdirSync(target);
      const line = await new Promise((resolveLine, reject) => {
        const proc = spawn(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', dist, dir, fill ? 'fill' : 'ready', String(treeFiles)], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        proc.stdout.on('data', (chunk) => { out += chunk; });
        proc.on('error', reject);
        proc.on('exit', (code) => (code === 0 ? resolveLine(out.trim()) : reject(new Error(`child exited ${code}: ${out}`))));
      });
      process.stdout.write(`run ${run + 1}: ${line}\n`);
    }
  } finally {
    rmSync(join(dir, 'target'), { recursive: true, force: true });
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

/** The kernel's view of this process, in MB: VmHWM (peak RSS) and VmRSS. */
function kernelMemory() {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { peakMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
}

async function child(dist, dir, fill, files) {
  const { NodeFileSystem } = await import(pathToFileURL(join(dist, 'src/fs/node-file-system.js')).href);
  const source = join(dir, 'source');
  const target = join(dir, 'target');
  const mb = (bytes) => (bytes / 1024 / 1024).toFixed(0);
  const before = kernelMemory();
  let changes = 0;
  let lastChangeAt = 0;
  let errors = 0;
  const started = performance.now();
  const watcher = new NodeFileSystem().watch(fill ? [source, target] : [source], {}, (events) => {
    for (const event of events) {
      if (event.type === 'change' && event.root === target) {
        changes++;
        lastChangeAt = performance.now();
      } else if (event.type === 'error') errors++;
    }
  });
  await watcher.ready;
  const readyMs = performance.now() - started;
  const atReady = kernelMemory();
  const heapAtReady = process.memoryUsage().heapUsed;
  globalThis.gc();
  const heapAfterGc = process.memoryUsage().heapUsed;
  let line = `ready ${readyMs.toFixed(0)} ms, RSS ${before.rssMb.toFixed(0)} → peak ${atReady.peakMb.toFixed(0)} MB, heap ${mb(heapAtReady)} MB at ready, ${mb(heapAfterGc)} MB after GC`;
  if (fill) {
    const copyStarted = performance.now();
    const copy = spawnSync('cp', ['-a', `${source}/.`, target]);
    if (copy.status !== 0) throw new Error(`cp failed: ${copy.stderr}`);
    const copyMs = performance.now() - copyStarted;
    // Done when nothing new arrived for 3 s (the events name files and directories, some more than once).
    while (changes === 0 || performance.now() - lastChangeAt < 3_000) await new Promise((r) => setTimeout(r, 200));
    const afterFill = kernelMemory();
    line += `; fill: cp ${copyMs.toFixed(0)} ms, ${changes} events for ${files} files, last ${(lastChangeAt - copyStarted).toFixed(0)} ms after the copy began, peak ${afterFill.peakMb.toFixed(0)} MB, RSS ${afterFill.rssMb.toFixed(0)} MB, ${errors} errors`;
  }
  await watcher.close();
  process.stdout.write(`${line}\n`);
}
