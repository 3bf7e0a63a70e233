import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { affectedPaths, columnsFromBaseline, reportAgainstBaseline, restrictToAffected } from '../../src/core/change-set/index.js';
import {
  ancestorsOf, comparePaths, depthOf, type BaselineEntry, type Entry, type Side, type SideState, type Snapshot,
} from '../../src/core/entry.js';
import { nextBaseline } from '../../src/core/next-baseline.js';
import type { Action, Outcome, Plan } from '../../src/core/plan.js';
import { baselineWithin, withinPaths } from '../../src/core/scope.js';
import type { ConflictPolicy, Mode } from '../../src/core/vocabulary.js';
import { CONTENT, hashOf, reconcileAsEngine } from './support.js';

/**
 * The equivalence property of issue 9: reconcile and nextBaseline over the
 * affected paths only (each side's scan reported against the baseline,
 * `reportAgainstBaseline`; the rows of the affected paths; the restriction,
 * `restrictToAffected`) give the same plan and the same baseline changes as
 * over the full snapshots and the whole baseline.
 *
 * Trees are random per side and independent of the baseline: every property
 * of an entry (kind, content, size, mtime, mode, inode) is drawn on its own,
 * and the baseline records each side's mtime, mode and inode on its own
 * (an inode of 0: a row written before issue 9). Each side starts from the
 * baseline's tree and, path by path, keeps it exactly (the common case: these
 * paths are not reported), touches, chmods, replaces (another inode, maybe the
 * same size and mtime), rewrites, deletes, makes a problem or a directory;
 * a directory deleted, replaced or unreadable takes its subtree with it. The
 * trees hold links, conflict copies (some the very bytes a conflict loses
 * now), type changes and paths the baseline never had (a selective target's
 * own or deselected paths are entries like any other).
 */
const OLD = '20200101T000000Z';
const STAMP = '20261122T101500Z';
const DIRS = ['d', 'd/e', 'g'] as const;
const LEAVES = ['a', 'b.txt', 'd/x', 'd/y', 'd/e/z', 'g/h', `a.conflict-target-${OLD}`, `b.conflict-source-${OLD}.txt`, `d/x.conflict-target-${OLD}`] as const;
const POSITIONS: readonly string[] = [...DIRS, ...LEAVES].sort((a, b) => depthOf(a) - depthOf(b) || comparePaths(a, b));

const CONTENTS = ['AAAA', 'BBBB', 'CCCC', 'dd'] as const; // three of one size
const MTIMES = [10n, 20n, 30n] as const;
const MODES = [0o644, 0o755] as const;
const INOS = [1, 2, 3, 4, 5, 6] as const;
const LINKS = ['x', 'y'] as const;

/** A node as drawn: content by name, mtime in seconds. */
type Node =
  | { readonly t: 'file'; readonly c: string; readonly m: bigint; readonly mode: number; readonly ino: number }
  | { readonly t: 'link'; readonly to: string; readonly m: bigint; readonly ino: number }
  | { readonly t: 'dir'; readonly m: bigint; readonly mode: number; readonly ino: number }
  | { readonly t: 'problem' };

const ino = fc.constantFrom(...INOS);
const fileArb = fc.record({ t: fc.constant('file' as const), c: fc.constantFrom(...CONTENTS), m: fc.constantFrom(...MTIMES), mode: fc.constantFrom(...MODES), ino });
const linkArb = fc.record({ t: fc.constant('link' as const), to: fc.constantFrom(...LINKS), m: fc.constantFrom(...MTIMES), ino });
const dirArb = fc.record({ t: fc.constant('dir' as const), m: fc.constantFrom(...MTIMES), mode: fc.constantFrom(...MODES), ino });
const leafArb: fc.Arbitrary<Node | undefined> = fc.oneof(
  { weight: 4, arbitrary: fileArb }, { weight: 1, arbitrary: linkArb }, { weight: 1, arbitrary: dirArb }, { weight: 2, arbitrary: fc.constant(undefined) },
);
const dirPositionArb: fc.Arbitrary<Node | undefined> = fc.oneof(
  { weight: 6, arbitrary: dirArb }, { weight: 1, arbitrary: fileArb }, { weight: 1, arbitrary: linkArb }, { weight: 1, arbitrary: fc.constant(undefined) },
);

/** What one side recorded in the baseline for a path: its own mtime, mode and inode (0: unknown). */
const recordedArb = fc.record({ m: fc.constantFrom(...MTIMES), mode: fc.constantFrom(...MODES), ino: fc.constantFrom(0, ...INOS) });
type Recorded = { m: bigint; mode: number; ino: number };

type Op =
  | { readonly op: 'keep'; readonly freshIno: number }
  | { readonly op: 'touch'; readonly m: bigint }
  | { readonly op: 'chmod'; readonly mode: number }
  | { readonly op: 'replace'; readonly ino: number; readonly c: string }
  | { readonly op: 'write'; readonly node: Node }
  | { readonly op: 'delete' }
  | { readonly op: 'problem' };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ op: fc.constant('keep' as const), freshIno: fc.constantFrom(0, ...INOS) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('touch' as const), m: fc.constantFrom(...MTIMES) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('chmod' as const), mode: fc.constantFrom(...MODES) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('replace' as const), ino, c: fc.constantFrom(...CONTENTS) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('write' as const), node: fc.oneof(leafArb, dirArb).filter((n): n is Node => n !== undefined) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'delete' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'problem' as const }) },
);

interface World {
  readonly start: Record<string, Node | undefined>;
  readonly hashed: Record<string, boolean>;
  readonly recorded: Record<Side, Record<string, Recorded>>;
  readonly ops: Record<Side, Record<string, Op>>;
  /** Which actions fail (by index, modulo): nextBaseline must keep those rows. */
  readonly failures: readonly boolean[];
}

const perPosition = <T>(arb: (p: string) => fc.Arbitrary<T>) => fc.record(Object.fromEntries(POSITIONS.map((p) => [p, arb(p)]))) as fc.Arbitrary<Record<string, T>>;
const worldArb: fc.Arbitrary<World> = fc.record({
  start: perPosition((p) => ((DIRS as readonly string[]).includes(p) ? dirPositionArb : leafArb)),
  hashed: perPosition(() => fc.boolean()),
  recorded: fc.record({ source: perPosition(() => recordedArb), target: perPosition(() => recordedArb) }),
  ops: fc.record({ source: perPosition(() => opArb), target: perPosition(() => opArb) }),
  failures: fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
});

const NS = 1_000_000_000n;

function entryOf(n: Node): Entry {
  switch (n.t) {
    case 'file': {
      const e = { kind: 'file' as const, size: n.c.length, mtimeNs: n.m * NS, mode: n.mode, ino: n.ino };
      (e as Record<symbol, unknown>)[CONTENT] = n.c;
      return e;
    }
    case 'link':
      return { kind: 'symlink', linkTarget: n.to, mtimeNs: n.m * NS, ino: n.ino };
    case 'dir':
      return { kind: 'dir', mode: n.mode, mtimeNs: n.m * NS, ino: n.ino };
    case 'problem':
      return { kind: 'problem', code: 'EACCES', message: 'permission denied' };
  }
}

/** Drop what no walk could report: anything below a path that is not a directory on that side. */
function consistent(nodes: Map<string, Node>): Map<string, Node> {
  const out = new Map<string, Node>();
  for (const p of POSITIONS) {
    const n = nodes.get(p);
    if (n !== undefined && ancestorsOf(p).every((a) => out.get(a)?.t === 'dir')) out.set(p, n);
  }
  return out;
}

function build(w: World) {
  const start = consistent(new Map(POSITIONS.flatMap((p) => (w.start[p] ? [[p, w.start[p]!] as const] : []))));
  const baseline = new Map<string, BaselineEntry>();
  for (const [p, n] of start) {
    if (n.t === 'problem') continue;
    const side = (s: Side): SideState => {
      const r = w.recorded[s][p]!;
      const state = { mtimeNs: r.m * NS, mode: n.t === 'link' ? 0 : r.mode };
      return r.ino === 0 ? state : { ...state, ino: r.ino };
    };
    baseline.set(p, {
      kind: n.t === 'link' ? 'symlink' : n.t,
      size: n.t === 'file' ? n.c.length : 0,
      hash: n.t === 'file' && w.hashed[p] ? hashOf(n.c) : null,
      linkTarget: n.t === 'link' ? n.to : null,
      source: side('source'),
      target: side('target'),
    });
  }
  const sides = {} as Record<Side, Map<string, Entry>>;
  for (const side of ['source', 'target'] as const) {
    const nodes = new Map<string, Node>();
    for (const p of POSITIONS) {
      const op = w.ops[side][p]!;
      const was = start.get(p);
      const row = baseline.get(p);
      // The side as the baseline recorded it: its own mtime, mode and inode; where the row knows no
      // inode the file still has one (or 0, a filesystem without them), drawn with the op.
      const unknownIno = op.op === 'keep' ? op.freshIno : 7;
      const kept = was === undefined || row === undefined ? was : asRecorded(was, row[side], unknownIno);
      switch (op.op) {
        case 'keep': if (kept) nodes.set(p, kept); break;
        case 'touch': if (kept && kept.t !== 'problem') nodes.set(p, { ...kept, m: op.m }); break;
        case 'chmod': if (kept && (kept.t === 'file' || kept.t === 'dir')) nodes.set(p, { ...kept, mode: op.mode }); break;
        case 'replace': if (kept && kept.t === 'file') nodes.set(p, { ...kept, ino: op.ino, c: op.c.length === kept.c.length ? op.c : kept.c }); else if (kept) nodes.set(p, kept); break;
        case 'write': nodes.set(p, op.node); break;
        case 'delete': break;
        case 'problem': nodes.set(p, { t: 'problem' }); break;
      }
    }
    // A problem's subtree is unknown to the walk: nothing below it is reported.
    const walked = new Map<string, Entry>();
    for (const [p, n] of consistent(nodes)) walked.set(p, entryOf(n));
    sides[side] = walked;
  }
  // `consistent` keeps below a directory only: a problem where a directory was hides its subtree.
  return { baseline, source: sides.source, target: sides.target };
}

function asRecorded(was: Node, state: SideState, unknownIno: number): Node {
  const m = state.mtimeNs / NS;
  switch (was.t) {
    case 'file': return { ...was, m, mode: state.mode, ino: state.ino ?? unknownIno };
    case 'link': return { ...was, m, ino: state.ino ?? unknownIno };
    case 'dir': return { ...was, m, mode: state.mode };
    case 'problem': return was;
  }
}

/** Outcomes for a plan, the same in both worlds: some actions fail (nothing landed), the others land what they wrote. */
function outcomesOf(plan: Plan, failures: readonly boolean[]): Outcome[] {
  let nextIno = 500;
  const landedEntry = (e: Entry): Entry => {
    if (e.kind === 'problem') return e;
    const { hash: _h, ...rest } = e as Entry & { hash?: string };
    return { ...rest, ino: nextIno++ } as Entry;
  };
  return plan.actions.map((action: Action, i): Outcome => {
    if (failures[i % failures.length]) {
      return { action, status: 'failed', landed: [], problem: { path: action.path, op: action.op, code: 'EIO', message: 'i/o error', transient: false } } as unknown as Outcome;
    }
    const landed: Array<{ side: Side; path: string; entry: Entry | null }> = [];
    switch (action.op) {
      case 'copy': case 'symlink': landed.push({ side: action.to, path: action.path, entry: landedEntry(action.entry) }); break;
      case 'mkdir': landed.push({ side: action.to, path: action.path, entry: { kind: 'dir', mode: 0o755, mtimeNs: 1n, ino: nextIno++ } }); break;
      case 'delete': case 'rmdir': landed.push({ side: action.side, path: action.path, entry: null }); break;
      case 'conflict_copy':
        landed.push({ side: action.loser, path: action.path, entry: null });
        for (const s of action.sides) landed.push({ side: s, path: action.copyPath, entry: landedEntry(action.entry) });
        break;
    }
    return { action, status: 'applied', landed, bytes: 0 };
  });
}

/** Plain data for comparing: bigints as strings, no symbols (the fixtures' content tags), arrays of paths sorted. */
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x)));
const byKey = (xs: readonly unknown[]) => xs.map(plain).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
function normalised(plan: Plan) {
  return {
    actions: byKey(plan.actions), conflicts: byKey(plan.conflicts), skips: byKey(plan.skips),
    forget: [...plan.forget].sort(), hold: [...plan.hold].sort(), identity: plan.identity,
  };
}
function normalisedChanges(c: ReturnType<typeof nextBaseline>) {
  return { upserts: byKey([...c.upserts]), deletes: [...c.deletes].sort() };
}

interface Case { mode: Mode; policy: ConflictPolicy; checksum?: boolean; onlyPaths?: readonly string[] }

/** One generation both ways: over the full snapshots and whole baseline, and over the affected paths. */
function bothWays(w: World, c: Case) {
  const built = build(w);
  const within = c.onlyPaths ? withinPaths(c.onlyPaths) : () => true;
  const scanned = (snap: Snapshot) => new Map([...snap].filter(([p]) => within(p)));
  const full = {
    baseline: c.onlyPaths ? baselineWithin(built.baseline, c.onlyPaths) : built.baseline,
    source: scanned(built.source), target: scanned(built.target),
  };
  const options = { ...(c.onlyPaths ? { onlyPaths: c.onlyPaths } : {}), everything: c.checksum === true };
  const reports = {
    source: reportAgainstBaseline({ entries: full.source, root: 'ok' }, columnsFromBaseline(built.baseline, 'source'), options),
    target: reportAgainstBaseline({ entries: full.target, root: 'ok' }, columnsFromBaseline(built.baseline, 'target'), options),
  };
  const affected = affectedPaths(reports.source, reports.target);
  // The store point-loads the affected paths' rows from the whole baseline: all of them must lie in the scans' scope.
  const rows = new Map(affected.flatMap((p) => (built.baseline.has(p) ? [[p, built.baseline.get(p)!] as const] : [])));
  for (const p of rows.keys()) expect(within(p), `${p} loaded outside the scope`).toBe(true);
  const small = restrictToAffected(rows, reports.source, reports.target);

  const common = { mode: c.mode, policy: c.policy, stamp: STAMP, checksum: c.checksum === true };
  const wide = reconcileAsEngine({ ...common, ...full });
  const narrow = reconcileAsEngine({ ...common, ...small });
  const outcomes = outcomesOf(wide.plan, w.failures);
  return {
    full, reports, small,
    plans: { wide: normalised(wide.plan), narrow: normalised(narrow.plan) },
    changes: {
      wide: normalisedChanges(nextBaseline(full.baseline, wide.source, wide.target, wide.plan, outcomes)),
      narrow: normalisedChanges(nextBaseline(small.baseline, narrow.source, narrow.target, narrow.plan, outcomes)),
    },
  };
}

const RUNS = { numRuns: 400 };
const CASES: Case[] = [
  ...(['keep-both', 'newer', 'source', 'target', 'manual'] as const).map((policy) => ({ mode: 'bidirectional' as const, policy })),
  { mode: 'mirror', policy: 'keep-both' },
  { mode: 'selective', policy: 'keep-both' },
];

describe('reconcile over the affected paths gives the same plan and baseline changes as over full snapshots', () => {
  for (const c of CASES) {
    it(`${c.mode}${c.mode === 'bidirectional' ? ` (${c.policy})` : ''}`, () => {
      fc.assert(fc.property(worldArb, (w) => {
        const r = bothWays(w, c);
        expect(r.plans.narrow).toEqual(r.plans.wide);
        expect(r.changes.narrow).toEqual(r.changes.wide);
      }), RUNS);
    });
  }

  for (const mode of ['bidirectional', 'mirror', 'selective'] as const) {
    it(`${mode}, checksum: every entry reported, the same plan`, () => {
      fc.assert(fc.property(worldArb, (w) => {
        const r = bothWays(w, { mode, policy: 'keep-both', checksum: true });
        expect(r.plans.narrow).toEqual(r.plans.wide);
        expect(r.changes.narrow).toEqual(r.changes.wide);
      }), { numRuns: 150 });
    });
  }

  const asked = fc.subarray([...POSITIONS, 'd/new', 'g/h/below'], { minLength: 1, maxLength: 3 });
  for (const c of CASES.filter((x) => x.policy === 'keep-both' || x.policy === 'manual')) {
    it(`the fast path (onlyPaths): ${c.mode}${c.mode === 'bidirectional' ? ` (${c.policy})` : ''}`, () => {
      fc.assert(fc.property(worldArb, asked, (w, onlyPaths) => {
        const r = bothWays(w, { ...c, onlyPaths });
        expect(r.plans.narrow).toEqual(r.plans.wide);
        expect(r.changes.narrow).toEqual(r.changes.wide);
      }), RUNS);
    });
  }

  it('the worlds differ in size: a kept path is neither reported nor loaded (the property is not vacuous)', () => {
    let smaller = 0;
    fc.assert(fc.property(worldArb, (w) => {
      const r = bothWays(w, { mode: 'bidirectional', policy: 'keep-both' });
      if (r.small.source.size < r.full.source.size) smaller++;
      // Every entry left out of the report is exactly its row's: the restriction puts back what the full scan had.
      for (const side of ['source', 'target'] as const) {
        for (const [p, e] of r.small[side]) expect(plain(e), `${side}:${p}`).toEqual(plain(r.full[side].get(p)));
      }
    }), RUNS);
    expect(smaller).toBeGreaterThan(RUNS.numRuns / 4);
  });
});
