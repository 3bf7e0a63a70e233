import { ancestorsOf, otherSide, quickCheckMatches, sameContent, type BaselineEntry, type Entry, type Side } from '../entry.js';
import type { Skip } from '../plan.js';
import type { ConflictKind } from '../vocabulary.js';
import type { Sides } from './input.js';

/** What step 1 decided for one path. */
export type Decision =
  | { readonly t: 'none' }
  | { readonly t: 'propagate'; readonly from: Side }
  | { readonly t: 'conflict'; readonly kind: ConflictKind };

const NONE: Decision = { t: 'none' };
const FROM_SOURCE: Decision = { t: 'propagate', from: 'source' };
const FROM_TARGET: Decision = { t: 'propagate', from: 'target' };

export interface Decisions {
  /** Path → its decision; a path absent has nothing to do (or is a problem, or under one). */
  readonly decisions: ReadonlyMap<string, Decision>;
  /** The problem entries, each reported as a skip of its side. */
  readonly skips: readonly Skip[];
}

/**
 * Step 1 of reconcile: decide, per path, from the baseline and both sides
 * (SPEC §2.1, §2.3): nothing, propagate one side's state to the other, or a
 * conflict. Problem entries, and everything under them, get no decision.
 */
export function decide(sides: Sides): Decisions {
  const decisions = new Map<string, Decision>();
  const skips: Skip[] = [];
  const problems = problemPaths(sides);
  for (const path of sides.paths) {
    if (problems.size > 0 && (problems.has(path) || ancestorsOf(path).some((a) => problems.has(a)))) {
      if (problems.has(path)) skips.push(...problemSkips(sides, path));
      continue; // a problem's subtree is unknown, not empty: never act on it
    }
    const d = decidePath(sides, path);
    if (d !== NONE) decisions.set(path, d);
  }
  if (sides.input.mode === 'bidirectional') detectReplacedDirectories(sides, decisions);
  return { decisions, skips };
}

function problemPaths(sides: Sides): Set<string> {
  const out = new Set<string>();
  for (const snap of [sides.input.source, sides.input.target]) for (const [p, e] of snap) if (e.kind === 'problem') out.add(p);
  return out;
}

function problemSkips(sides: Sides, path: string): Skip[] {
  const out: Skip[] = [];
  for (const side of ['source', 'target'] as const) {
    const e = sides.entry(side, path);
    if (e?.kind === 'problem') out.push({ path, side, reason: `${e.code}: ${e.message}` });
  }
  return out;
}

function decidePath(sides: Sides, path: string): Decision {
  const s = sides.entry('source', path);
  const t = sides.entry('target', path);
  const b = sides.input.baseline.get(path);
  switch (sides.input.mode) {
    case 'mirror':
      return decideMirror(sides, path, s, t, b);
    case 'selective':
      return decideSelective(sides, path, s, t, b);
    case 'bidirectional':
      return decideBidirectional(sides, path, s, t);
  }
}

/** The target becomes an exact replica: anything that differs follows the source. */
function decideMirror(sides: Sides, path: string, s: Entry | undefined, t: Entry | undefined, b: BaselineEntry | undefined): Decision {
  if (b && !sides.changed('source', path) && !sides.changed('target', path)) return NONE;
  if (!s && !t) return NONE;
  if (s && t && quickCheckMatches(s, t)) return NONE; // rsync's quick check: mirror overwrites, it never keeps a target version
  return FROM_SOURCE;
}

/** One-way, but never destroying bytes the conduit did not write (SPEC §2.3). */
function decideSelective(sides: Sides, path: string, s: Entry | undefined, t: Entry | undefined, b: BaselineEntry | undefined): Decision {
  if (!s) {
    if (!b || !t) return NONE; // the target's own, or already gone
    if (!sides.changed('target', path)) return FROM_SOURCE; // still what the conduit wrote: delete it
    return t.kind === 'dir' ? NONE : { t: 'conflict', kind: 'modify_delete' };
  }
  if (b && !sides.changed('source', path)) return NONE; // the target's edit or deletion stands until the source changes
  if (!t) return FROM_SOURCE;
  if (b && !sides.changed('target', path)) return FROM_SOURCE; // the target holds what the conduit wrote
  // From here the target holds something the conduit did not write: only equal content may be replaced.
  if (s.kind === 'dir' && t.kind === 'dir') return NONE;
  if (sameContent(s, t)) return quickCheckMatches(s, t) ? NONE : FROM_SOURCE; // same bytes: at most mtime or mode to replicate
  return { t: 'conflict', kind: b ? 'both_modified' : 'first_sync_differs' };
}

/** SPEC §2.1, row by row. */
function decideBidirectional(sides: Sides, path: string, s: Entry | undefined, t: Entry | undefined): Decision {
  const sChanged = sides.changed('source', path);
  const tChanged = sides.changed('target', path);
  if (!sChanged && !tChanged) return NONE;
  if (sChanged && !tChanged) return FROM_SOURCE;
  if (!sChanged && tChanged) return FROM_TARGET;
  if (!s && !t) return NONE; // deleted on both sides
  if (s && t) {
    if (sameContent(s, t)) return NONE; // both changed to the same thing: a baseline update, not a conflict
    if ((s.kind === 'dir') !== (t.kind === 'dir')) return { t: 'conflict', kind: 'type_change' };
    return { t: 'conflict', kind: sides.input.baseline.has(path) ? 'both_modified' : 'first_sync_differs' };
  }
  return { t: 'conflict', kind: 'modify_delete' };
}

/**
 * A side that replaced a directory by a file (or link) would remove the
 * whole directory on the other side; if the other side changed anything
 * inside it since the baseline, that is a `type_change` conflict instead.
 */
function detectReplacedDirectories(sides: Sides, decisions: Map<string, Decision>): void {
  const dirty: Record<Side, Set<string>> = { source: new Set(), target: new Set() };
  for (const path of sides.paths) {
    for (const side of ['source', 'target'] as const) {
      const e = sides.entry(side, path);
      if (e?.kind === 'dir' && sides.input.baseline.get(path)?.kind === 'dir') continue;
      if (sides.changed(side, path)) for (const a of ancestorsOf(path)) dirty[side].add(a);
    }
  }
  for (const [path, d] of decisions) {
    if (d.t !== 'propagate') continue;
    const from = sides.entry(d.from, path);
    const other = otherSide(d.from);
    if (from && from.kind !== 'dir' && sides.entry(other, path)?.kind === 'dir' && dirty[other].has(path)) {
      decisions.set(path, { t: 'conflict', kind: 'type_change' });
    }
  }
}
