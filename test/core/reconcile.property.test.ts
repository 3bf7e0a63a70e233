import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reconcile } from '../../src/core/reconcile.js';
import { nextBaseline } from '../../src/core/next-baseline.js';
import { isConflictCopy } from '../../src/core/conflict-name.js';
import { baselineFromPair, type BaselineEntry, type Entry, type Side } from '../../src/core/entry.js';
import type { ConflictPolicy, Mode } from '../../src/core/vocabulary.js';
import { applyPlan, landedOutcomes } from './support.js';

/**
 * Properties over random histories of a small tree: a synced start, then
 * independent edits on each side (modify, delete, create, a directory turned
 * into a file and back), then one generation. Each file version carries a
 * unique number as its mtime, so "the same version" is exact.
 */
const FILES = ['a', 'b', 'd/x', 'd/y', 'd/e/z', 'f'] as const;
const STAMP = '20261122T101500Z';

type Op = 'keep' | 'modify' | 'delete' | 'create' | 'same-as-other';
const opArb = fc.constantFrom<Op>('keep', 'keep', 'modify', 'delete', 'create', 'same-as-other');

interface History {
  start: Record<string, number | undefined>; // version per file at the synced start (undefined: absent)
  ops: Record<Side, Op[]>;
  dToFile: Record<Side, boolean>;
}

const historyArb: fc.Arbitrary<History> = fc.record({
  start: fc.record(Object.fromEntries(FILES.map((f) => [f, fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined })]))),
  ops: fc.record({ source: fc.array(opArb, { minLength: FILES.length, maxLength: FILES.length }), target: fc.array(opArb, { minLength: FILES.length, maxLength: FILES.length }) }),
  dToFile: fc.record({ source: fc.boolean(), target: fc.boolean() }),
}) as fc.Arbitrary<History>;

let ino = 1;
const dir = (): Entry => ({ kind: 'dir', mode: 0o755, mtimeNs: 1n, ino: ino++ });
const file = (version: number): Entry => ({ kind: 'file', size: 8, mode: 0o644, mtimeNs: BigInt(version) * 1_000_000_000n, ino: ino++ });

function withParents(files: Map<string, number>): Map<string, Entry> {
  const out = new Map<string, Entry>();
  for (const [p, v] of files) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) { const d = parts.slice(0, i).join('/'); if (!out.has(d)) out.set(d, dir()); }
    out.set(p, file(v));
  }
  return out;
}

function build(h: History) {
  const startFiles = new Map<string, number>();
  for (const f of FILES) if (h.start[f] !== undefined) startFiles.set(f, h.start[f]!);
  const startTree = withParents(startFiles);
  const baseline = new Map<string, BaselineEntry>();
  for (const [p, e] of startTree) baseline.set(p, baselineFromPair(e, e)!);
  const sides = {} as Record<Side, Map<string, Entry>>;
  let next = 100;
  const shared = new Map<string, number>(); // 'same-as-other': both sides write the same new version
  for (const side of ['source', 'target'] as const) {
    const files = new Map(startFiles);
    h.ops[side].forEach((op, i) => {
      const f = FILES[i]!;
      if (op === 'modify' && files.has(f)) files.set(f, next++);
      else if (op === 'delete') files.delete(f);
      else if (op === 'create' && !files.has(f)) files.set(f, next++);
      else if (op === 'same-as-other') { if (!shared.has(f)) shared.set(f, 50 + i); files.set(f, shared.get(f)!); }
    });
    if (h.dToFile[side]) {
      for (const f of [...files.keys()]) if (f.startsWith('d/')) files.delete(f);
      files.set('d', next++);
    }
    sides[side] = withParents(files);
  }
  return { baseline, source: sides.source, target: sides.target };
}

const versions = (m: Map<string, Entry>) => new Set([...m.values()].filter((e) => e.kind === 'file').map((e) => (e as { mtimeNs: bigint }).mtimeNs));
const shape = (m: Map<string, Entry>) => [...m].map(([p, e]) => `${p}:${e.kind}:${e.kind === 'file' ? e.mtimeNs : ''}`).sort();

function generation(mode: Mode, policy: ConflictPolicy, h: History) {
  const { baseline, source, target } = build(h);
  const plan = reconcile({ mode, policy, baseline, source, target, stamp: STAMP });
  const after = { source: new Map(source), target: new Map(target) };
  applyPlan(plan, after); // throws on anything the disk would refuse
  const changes = nextBaseline(baseline, source, target, plan, landedOutcomes(plan, after));
  const nextBase = new Map(baseline);
  for (const p of changes.deletes) nextBase.delete(p);
  for (const [p, e] of changes.upserts) nextBase.set(p, e);
  const again = reconcile({ mode, policy, baseline: nextBase, source: after.source, target: after.target, stamp: '20261122T111500Z' });
  return { baseline, source, target, plan, after, again };
}

const RUNS = { numRuns: 400 };

describe('reconcile properties (bidirectional)', () => {
  for (const policy of ['keep-both', 'newer', 'source', 'target'] as const) {
    it(`${policy}: both sides converge, and a second reconcile plans nothing`, () => {
      fc.assert(fc.property(historyArb, (h) => {
        const g = generation('bidirectional', policy, h);
        expect(shape(g.after.source)).toEqual(shape(g.after.target));
        expect(g.again.actions).toEqual([]);
        expect(g.again.conflicts).toEqual([]);
      }), RUNS);
    });
  }

  it('keep-both: no version changed since the baseline is lost (it is at its path or in a conflict copy)', () => {
    fc.assert(fc.property(historyArb, (h) => {
      const g = generation('bidirectional', 'keep-both', h);
      const startVersions = new Set([...g.baseline.values()].map((b) => b.source.mtimeNs));
      const before = new Set([...versions(g.source), ...versions(g.target)]);
      const after = new Set([...versions(g.after.source), ...versions(g.after.target)]);
      for (const v of before) if (!startVersions.has(v)) expect(after.has(v), `version ${v} lost`).toBe(true);
    }), RUNS);
  });

  it('manual: conflicting paths are left exactly as they were on both sides, and nothing else is re-planned', () => {
    fc.assert(fc.property(historyArb, (h) => {
      const g = generation('bidirectional', 'manual', h);
      for (const c of g.plan.conflicts) {
        expect(c.resolution).toBe('unresolved');
        expect(g.after.source.get(c.path)).toEqual(g.source.get(c.path));
        expect(g.after.target.get(c.path)).toEqual(g.target.get(c.path));
      }
      expect(g.again.actions).toEqual([]);
    }), RUNS);
  });
});

describe('reconcile properties (one-way)', () => {
  it('mirror: the target ends as an exact replica of the source, and a second reconcile plans nothing', () => {
    fc.assert(fc.property(historyArb, (h) => {
      const g = generation('mirror', 'keep-both', h);
      expect(shape(g.after.target)).toEqual(shape(g.after.source));
      expect(shape(g.after.source)).toEqual(shape(g.source)); // the source is never written
      expect(g.again.actions).toEqual([]);
    }), RUNS);
  });

  it('selective: the source is never written, no target version the conduit did not write is lost, and it is idempotent', () => {
    fc.assert(fc.property(historyArb, (h) => {
      const g = generation('selective', 'keep-both', h);
      expect(shape(g.after.source)).toEqual(shape(g.source));
      const written = new Set([...g.baseline.values()].map((b) => b.target.mtimeNs));
      for (const v of versions(g.target)) {
        if (written.has(v) || versions(g.source).has(v)) continue; // the conduit's own bytes, or identical to the source
        expect(versions(g.after.target).has(v), `target's own version ${v} lost`).toBe(true);
      }
      expect(g.again.actions).toEqual([]);
      for (const p of g.after.target.keys()) if (isConflictCopy(p)) expect(g.after.source.has(p)).toBe(false);
    }), RUNS);
  });
});
