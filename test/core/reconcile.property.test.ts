import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conflictCopyOrigin, isConflictCopy } from '../../src/core/conflict-name.js';
import { ancestorsOf, changedSinceBaseline, type BaselineEntry, type Entry, type Side } from '../../src/core/entry.js';
import type { ConflictPolicy, Mode } from '../../src/core/vocabulary.js';
import { baselineOf, contentOf, generationInMemory, reconcileAsEngine, tree, type TreeSpec } from './support.js';

/**
 * Properties over random histories of a small tree: a synced start, then
 * independent edits on each side, then one generation run as the engine runs
 * it (hash what `filesToHash` names, reconcile, apply, next baseline), then a
 * second reconcile.
 *
 * Content, mtime and mode are drawn independently from small sets, so two
 * files of the same size and mtime with other bytes, or the same bytes with
 * other mtimes, come up all the time. Histories also hold symlinks, problem
 * entries (unreadable paths), a directory turned into a file or made
 * unreadable, and conflict copies made by an earlier generation, some holding
 * the very bytes that lose now.
 */
const OLD = '20200101T000000Z';
const PLAIN = ['a', 'b.txt', 'd/x', 'd/y', 'd/e/z', 'f'] as const;
const COPIES = [`a.conflict-target-${OLD}`, `a.conflict-source-${OLD}-2`, `b.conflict-target-${OLD}.txt`, `f.conflict-source-${OLD}`] as const;
const PATHS = [...PLAIN, ...COPIES] as const;
const STAMP = '20261122T101500Z';

const CONTENTS = ['AAAA', 'BBBB', 'CCCC', 'dd'] as const; // three of the same size
const MTIMES = [10, 20, 30] as const;
const MODES = [0o644, 0o755] as const;
const LINKS = ['x', 'y'] as const;

type Node =
  | { readonly t: 'file'; readonly c: string; readonly m: number; readonly mode: number }
  | { readonly t: 'link'; readonly to: string }
  | { readonly t: 'problem' };

const fileArb: fc.Arbitrary<Node> = fc.record({
  t: fc.constant('file' as const), c: fc.constantFrom(...CONTENTS), m: fc.constantFrom(...MTIMES), mode: fc.constantFrom(...MODES),
});
const linkArb: fc.Arbitrary<Node> = fc.record({ t: fc.constant('link' as const), to: fc.constantFrom(...LINKS) });
const syncedNodeArb = fc.oneof({ weight: 5, arbitrary: fileArb }, { weight: 1, arbitrary: linkArb });

type Op =
  | { readonly op: 'keep' }
  | { readonly op: 'delete' }
  | { readonly op: 'write'; readonly node: Node }
  | { readonly op: 'same-as-other'; readonly node: Node } // both sides end with this very node
  | { readonly op: 'problem' };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ op: 'keep' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'delete' as const }) },
  { weight: 3, arbitrary: syncedNodeArb.map((node) => ({ op: 'write' as const, node })) },
  { weight: 1, arbitrary: syncedNodeArb.map((node) => ({ op: 'same-as-other' as const, node })) },
  { weight: 1, arbitrary: fc.constant({ op: 'problem' as const }) },
);
type DirOp = 'keep' | 'to-file' | 'unreadable';
const dirOpArb = fc.constantFrom<DirOp>('keep', 'keep', 'keep', 'to-file', 'unreadable');

interface History {
  start: Record<string, Node | undefined>;
  ops: Record<Side, Op[]>;
  dir: Record<Side, DirOp>;
  dFile: Record<Side, Node>;
}

const opsArb = fc.array(opArb, { minLength: PATHS.length, maxLength: PATHS.length });
const historyArb: fc.Arbitrary<History> = fc.record({
  start: fc.record(Object.fromEntries(PATHS.map((p) => [p, fc.option(syncedNodeArb, { nil: undefined, freq: 3 })]))),
  ops: fc.record({ source: opsArb, target: opsArb }),
  dir: fc.record({ source: dirOpArb, target: dirOpArb }),
  dFile: fc.record({ source: fileArb, target: fileArb }),
}) as fc.Arbitrary<History>;

function specOf(nodes: ReadonlyMap<string, Node>): TreeSpec {
  const spec: TreeSpec = {};
  for (const [p, n] of nodes) {
    spec[p] = n.t === 'file' ? { content: n.c, mtime: n.m, mode: n.mode } : n.t === 'link' ? { link: n.to } : { problem: 'permission denied' };
  }
  return spec;
}

const sameStat = (a: Node, b: Node) => a.t === 'file' && b.t === 'file' && a.c.length === b.c.length && a.m === b.m && a.mode === b.mode;

function build(h: History) {
  const start = new Map<string, Node>();
  for (const p of PATHS) if (h.start[p] !== undefined) start.set(p, h.start[p]!);
  const sides = {} as Record<Side, Map<string, Node>>;
  const shared = new Map<number, Node>(); // 'same-as-other': every side with that op writes the first one's node
  const written = (i: number, node: Node): Node => {
    const was = start.get(PATHS[i]!);
    // An edit the quick check cannot see (same size, mtime and mode as the baseline, other bytes) is, by
    // SPEC §3, no edit at all: a real write moves the mtime, so this one does too.
    return was && sameStat(was, node) && node.t === 'file' && was.t === 'file' && was.c !== node.c ? { ...node, m: 40 + i } : node;
  };
  for (const side of ['source', 'target'] as const) {
    const nodes = new Map(start);
    h.ops[side].forEach((op, i) => {
      const p = PATHS[i]!;
      if (op.op === 'delete') nodes.delete(p);
      else if (op.op === 'problem') nodes.set(p, { t: 'problem' });
      else if (op.op === 'same-as-other') {
        if (!shared.has(i)) shared.set(i, written(i, op.node));
        nodes.set(p, shared.get(i)!);
      } else if (op.op === 'write') nodes.set(p, written(i, op.node));
    });
    if (h.dir[side] !== 'keep') {
      for (const p of [...nodes.keys()]) if (p.startsWith('d/')) nodes.delete(p);
      nodes.set('d', h.dir[side] === 'to-file' ? h.dFile[side] : { t: 'problem' });
    }
    sides[side] = nodes;
  }
  return { baseline: baselineOf(specOf(start)), source: sides.source, target: sides.target };
}

const RUNS = { numRuns: 500 };

function generation(mode: Mode, policy: ConflictPolicy, h: History) {
  const built = build(h);
  const source = tree(specOf(built.source));
  const target = tree(specOf(built.target));
  const input = { mode, policy, baseline: built.baseline, source, target, stamp: STAMP };
  const g = generationInMemory(input);
  const again = reconcileAsEngine({ ...input, baseline: g.baseline, source: g.after.source, target: g.after.target, stamp: '20261122T111500Z' }).plan;
  return { baseline: built.baseline, source, target, plan: g.plan, after: g.after, again };
}

/**
 * Paths reconcile must leave alone: a problem on either side and everything
 * under it (unknown, not empty), and the directories holding one (they can be
 * neither removed nor replaced while they hold something unreadable).
 */
function unknownPaths(...snaps: ReadonlyMap<string, Entry>[]): (p: string) => boolean {
  const problems = new Set<string>();
  const holders = new Set<string>();
  for (const snap of snaps) for (const [p, e] of snap) if (e.kind === 'problem') { problems.add(p); for (const a of ancestorsOf(p)) holders.add(a); }
  return (p) => problems.has(p) || holders.has(p) || ancestorsOf(p).some((a) => problems.has(a));
}

const versionOf = (e: Entry): string | null =>
  e.kind === 'file' ? `file:${contentOf(e)}` : e.kind === 'symlink' ? `link:${e.linkTarget}` : null;

/** Path → kind and content: what both sides of a bidirectional conduit must agree on (mtimes and modes of equal content may differ). */
function shape(m: ReadonlyMap<string, Entry>, skip: (p: string) => boolean): string[] {
  return [...m].filter(([p]) => !skip(p)).map(([p, e]) => `${p}:${e.kind}:${versionOf(e) ?? ''}`).sort();
}

/** What mirror's quick check compares: kind, size, mtime, mode, link text. */
function replica(m: ReadonlyMap<string, Entry>, skip: (p: string) => boolean): string[] {
  return [...m].filter(([p]) => !skip(p)).map(([p, e]) => {
    if (e.kind === 'file') return `${p}:file:${e.size}:${e.mtimeNs}:${e.mode}`;
    if (e.kind === 'symlink') return `${p}:link:${e.linkTarget}`;
    return `${p}:${e.kind}`;
  }).sort();
}

function versionsIn(...snaps: ReadonlyMap<string, Entry>[]): Set<string> {
  const out = new Set<string>();
  for (const snap of snaps) for (const e of snap.values()) { const v = versionOf(e); if (v) out.add(v); }
  return out;
}

/** Versions a side holds that changed since the baseline (or were never synced): what keep-both must never lose. */
function changedVersions(side: Side, snap: ReadonlyMap<string, Entry>, baseline: ReadonlyMap<string, BaselineEntry>, except: (p: string) => boolean) {
  const out: Array<{ path: string; version: string }> = [];
  for (const [p, e] of snap) {
    const v = versionOf(e);
    if (v && !except(p) && changedSinceBaseline(e, baseline.get(p), side)) out.push({ path: p, version: v });
  }
  return out;
}

describe('reconcile properties (bidirectional)', () => {
  for (const policy of ['keep-both', 'newer', 'source', 'target'] as const) {
    it(`${policy}: both sides converge (problem subtrees aside), and a second reconcile plans nothing`, () => {
      fc.assert(fc.property(historyArb, (h) => {
        const g = generation('bidirectional', policy, h);
        const unknown = unknownPaths(g.source, g.target);
        expect(shape(g.after.source, unknown)).toEqual(shape(g.after.target, unknown));
        expect(g.again.actions).toEqual([]);
        // A type change blocked by an unreadable entry inside the directory is met again, and only that.
        expect(g.again.conflicts.filter((c) => !unknown(c.path))).toEqual([]);
      }), RUNS);
    });
  }

  it('keep-both: no version changed since the baseline is lost (it is at its path or in a conflict copy)', () => {
    fc.assert(fc.property(historyArb, (h) => {
      const g = generation('bidirectional', 'keep-both', h);
      // SPEC §2.2: a conflict on a path that is itself a conflict copy keeps only the newer version.
      const copyInConflict = (p: string) => isConflictCopy(p) && g.plan.conflicts.some((c) => c.path === p);
      const after = versionsIn(g.after.source, g.after.target);
      for (const side of ['source', 'target'] as const) {
        for (const { path, version } of changedVersions(side, side === 'source' ? g.source : g.target, g.baseline, copyInConflict)) {
          expect(after.has(version), `${side}:${path} ${version} lost`).toBe(true);
        }
      }
    }), RUNS);
  });

  it('keep-both: a conflict whose losing version already sits in a conflict copy beside it makes no new copy', () => {
    fc.assert(fc.property(historyArb, (h) => {
      const g = generation('bidirectional', 'keep-both', h);
      for (const c of g.plan.conflicts) {
        if (!c.copyPath || isConflictCopy(c.path)) continue;
        const made = g.plan.actions.some((a) => a.op === 'conflict_copy' && a.copyPath === c.copyPath);
        if (made) continue;
        // Reused: it is an existing copy of this path, and after the generation it holds the loser's version
        // on both sides (where it is readable: an unreadable one is left alone).
        expect(conflictCopyOrigin(c.copyPath)).toBe(c.path);
        const lost = [c.source, c.target].map((e) => (e ? versionOf(e) : null));
        let kept = 0;
        for (const side of ['source', 'target'] as const) {
          const e = g.after[side].get(c.copyPath);
          if (e?.kind === 'problem') continue;
          expect(e, `${c.copyPath} on the ${side}`).toBeDefined();
          expect(lost).toContain(versionOf(e!));
          kept++;
        }
        expect(kept).toBeGreaterThan(0);
      }
      // And never two new copies of one version beside one path.
      const made = g.plan.actions.filter((a) => a.op === 'conflict_copy');
      expect(new Set(made.map((a) => a.path)).size).toBe(made.length);
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
  it('mirror: the target ends as a replica of the source by its quick check, the source is never written, and a second reconcile plans nothing', () => {
    fc.assert(fc.property(historyArb, (h) => {
      const g = generation('mirror', 'keep-both', h);
      const unknown = unknownPaths(g.source, g.target);
      expect(replica(g.after.target, unknown)).toEqual(replica(g.after.source, unknown));
      expect(g.after.source).toEqual(g.source);
      expect(g.again.actions).toEqual([]);
    }), RUNS);
  });

  it('selective: the source is never written, no target version the conduit did not write is lost, and it is idempotent', () => {
    fc.assert(fc.property(historyArb, (h) => {
      const g = generation('selective', 'keep-both', h);
      expect(g.after.source).toEqual(g.source);
      const onTarget = versionsIn(g.after.target);
      for (const { path, version } of changedVersions('target', g.target, g.baseline, () => false)) {
        expect(onTarget.has(version), `the target's own ${path} (${version}) lost`).toBe(true);
      }
      expect(g.again.actions).toEqual([]);
      expect(g.again.conflicts.filter((c) => c.resolution !== 'unresolved')).toEqual([]);
      for (const p of g.after.target.keys()) if (isConflictCopy(p) && !g.source.has(p)) expect(g.after.source.has(p)).toBe(false);
    }), RUNS);
  });
});
