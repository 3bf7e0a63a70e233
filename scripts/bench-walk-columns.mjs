#!/usr/bin/env node
// What naming a full walk's baseline columns by digest costs against sending
// them (remote/wire/walk-wire.ts): for N rows, the SHA-256 digest of one side's
// columns, and their upload to a real `conduit agent` process over pipes in
// pieces (walkColumns: encode, pipe, decode, put back together on shared
// buffers). Pipes are the cheapest transport there is: over ssh the send
// costs more (encryption, the network), the digest the same.
//
//   npm run build && node scripts/bench-walk-columns.mjs [ROWS,...]   (default 20000,200000)

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(join(repo, 'dist/src', p));
const { columnsFromBaseline } = await dist('core/change-set/columns.js');
const { columnRuns, sliceColumns } = await dist('core/change-set/column-rows.js');
const { columnsDigest, WALK_PIECE_BYTES } = await dist('remote/wire/walk-wire.js');
const { openLink } = await dist('remote/link/link.js');

const sizes = (process.argv[2] ?? '20000,200000').split(',').map(Number);
const runs = 5;

/** A baseline shaped like a photo or source tree: ~100 files per folder, names of 20-40 characters. */
function baseline(rows) {
  const out = new Map();
  for (let i = 0; out.size < rows; i++) {
    const dir = `projects/p${String(Math.floor(i / 1000)).padStart(3, '0')}/folder-${String(Math.floor(i / 100) % 10)}`;
    if (i % 100 === 0) out.set(dir, { kind: 'dir', size: 0, hash: null, linkTarget: null, source: { mtimeNs: 1n, mode: 0o755, ino: i + 1 }, target: { mtimeNs: 1n, mode: 0o755, ino: i + 1 } });
    const state = { mtimeNs: 1_700_000_000_000_000_000n + BigInt(i) * 1_234_567n, mode: 0o644, ino: 1_000_000 + i };
    out.set(`${dir}/IMG_${String(i).padStart(6, '0')}-edited.jpg`, { kind: 'file', size: 1000 + i, hash: null, linkTarget: null, source: state, target: state });
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).slice(0, rows));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

const root = mkdtempSync(join(tmpdir(), 'conduit-walk-columns-'));
const child = spawn(process.execPath, [join(repo, 'bin/conduit.js'), 'agent'], { stdio: ['pipe', 'pipe', 'inherit'] });
const link = await openLink({ input: child.stdout, output: child.stdin, host: 'bench' }, { root, software: 'bench' });
try {
  for (const rows of sizes) {
    const columns = columnsFromBaseline(baseline(rows), 'target');
    const hash = [];
    const send = [];
    let bytes = 0;
    for (let r = 0; r < runs; r++) {
      let t0 = process.hrtime.bigint();
      const digest = columnsDigest(columns);
      hash.push(ms(t0));
      const before = link.stats.bytesSent;
      t0 = process.hrtime.bigint();
      for (const [start, end] of columnRuns(columns, WALK_PIECE_BYTES)) {
        await link.call('walkColumns', { root, digest: `${digest}-${r}`, count: columns.count, at: start, piece: sliceColumns(columns, start, end) });
      }
      send.push(ms(t0));
      bytes = link.stats.bytesSent - before;
    }
    {
      const t0 = process.hrtime.bigint();
      for (let r = 0; r < runs; r++) await link.call('ping', {});
      const rtt = ms(t0) / runs;
      console.log(`${rows} rows: digest ${median(hash).toFixed(2)} ms; upload ${(bytes / 1e6).toFixed(2)} MB in ${median(send).toFixed(1)} ms over pipes (round trip ${rtt.toFixed(2)} ms)`);
    }
  }
} finally {
  link.close();
  rmSync(root, { recursive: true, force: true });
}
