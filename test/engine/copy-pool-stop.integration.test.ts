import fs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { FileEntry } from '../../src/core/entry.js';
import type { CopyAction, Outcome } from '../../src/core/plan.js';
import { SKIP_REASON } from '../../src/engine/copy-protocol.js';
import { CopyPool } from '../../src/engine/copy-pool.js';
import { executePlan } from '../../src/engine/transfer.js';
import { NodeFileSystem } from '../../src/fs/node-file-system.js';

/**
 * Issue 8 §6: a stop during the copy workers' batches. The batches in flight
 * finish; the ones not started must come back as `skipped: interrupted`
 * outcomes — not as holes in the outcome array, which made the generation
 * fail with "Cannot read properties of undefined (reading 'landed')" and
 * record none of the files that had landed.
 */
const node = new NodeFileSystem();
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'conduit-poolstop-'));
  fs.mkdirSync(join(dir, 'source'));
  fs.mkdirSync(join(dir, 'target'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('a stop while copy workers run: one outcome per action, applied exactly for the files that landed, the rest skipped as interrupted (map left holes)', async () => {
  const actions: CopyAction[] = [];
  for (let i = 0; i < 1_000; i++) {
    const name = `f${String(i).padStart(4, '0')}.txt`;
    fs.writeFileSync(join(dir, 'source', name), `file ${i}`);
    actions.push({ op: 'copy', stage: 'transfer', path: name, from: 'source', to: 'target', entry: node.lstatSync(join(dir, 'source', name)) as FileEntry, expected: null });
  }
  const stop = new AbortController();
  const pool = CopyPool.start(2);
  let outcomes: Outcome[];
  try {
    outcomes = await executePlan({ actions }, {
      fs: node, roots: { source: join(dir, 'source'), target: join(dir, 'target') }, parallelTransfers: 2, copyPool: pool, tempToken: '0123456789ab',
      signal: stop.signal,
      onProgress: (p) => { if (p.done) stop.abort(); },
    });
  } finally {
    await pool.close();
  }

  const landed = fs.readdirSync(join(dir, 'target')).filter((n) => !n.includes('.conduit-tmp-')).sort();
  expect(landed.length).toBeGreaterThan(0);
  expect(landed.length).toBeLessThan(actions.length);
  expect(Object.keys(outcomes)).toHaveLength(actions.length); // no holes
  const applied = outcomes.filter((o) => o.status === 'applied').map((o) => o.action.path).sort();
  expect(applied).toEqual(landed);
  const rest = outcomes.filter((o) => o.status !== 'applied');
  expect(rest).toHaveLength(actions.length - landed.length);
  expect(rest.every((o) => o.status === 'skipped' && o.reason === SKIP_REASON.interrupted && o.landed.length === 0)).toBe(true);
});
