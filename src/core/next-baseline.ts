import {
  ancestorsOf, baselineFromPair, baselineFromQuickCheck, baselineFromWrittenPair, changedSinceBaseline, sideStateOf,
  type Baseline, type BaselineEntry, type Entry, type Side, type SideState, type Snapshot,
} from './entry.js';
import type { Outcome, Plan } from './plan.js';

/**
 * The baseline after a generation, computed only from what landed (DESIGN
 * principle 6): a path whose two sides are in sync now is recorded as they
 * are; a path gone from both sides is forgotten; anything else (a failed or
 * skipped action, a held conflict, a side's own edit that stands) keeps its
 * old entry, so the next generation sees the same difference and retries.
 *
 * "In sync" is proven, never guessed from stat across sides (SPEC §3): a
 * path an applied action wrote from the other side is the same by
 * construction (its baseline keeps the origin's hash when known); any other
 * pair needs equal hashes, or, for mirror only (`plan.identity`), its quick
 * check. Two files whose hashes are unknown are not recorded as in sync.
 */
export interface BaselineChanges {
  readonly upserts: ReadonlyMap<string, BaselineEntry>;
  readonly deletes: readonly string[];
}

export function nextBaseline(
  baseline: Baseline,
  source: Snapshot,
  target: Snapshot,
  plan: Plan,
  outcomes: readonly Outcome[],
): BaselineChanges {
  const finalState: Record<Side, Map<string, Entry | null>> = { source: new Map(), target: new Map() };
  for (const o of outcomes) for (const l of o.landed) finalState[l.side].set(l.path, l.entry);
  const touched = new Set<string>([...finalState.source.keys(), ...finalState.target.keys()]);
  const written = writtenPairs(outcomes);
  const inSync = (path: string, s: Entry, t: Entry): BaselineEntry | undefined => {
    if (written.has(path)) return baselineFromWrittenPair(s, t, written.get(path)!);
    return plan.identity === 'quick-check' ? baselineFromQuickCheck(s, t) : baselineFromPair(s, t);
  };
  const forget = new Set(plan.forget);
  const hold = new Set(plan.hold);
  const belowProblem = belowProblemOf(source, target);

  const upserts = new Map<string, BaselineEntry>();
  const deletes: string[] = [];
  const consider = (path: string) => {
    const old = baseline.get(path);
    if (hold.has(path)) return;
    // Below an unreadable directory a side's contents are unknown, not empty: its rows stay as they are.
    if (belowProblem(path)) return;
    if (forget.has(path)) {
      if (old) deletes.push(path);
      return;
    }
    const s = finalState.source.has(path) ? finalState.source.get(path) ?? undefined : source.get(path);
    const t = finalState.target.has(path) ? finalState.target.get(path) ?? undefined : target.get(path);
    // Fast path for the common no-op: nothing touched it and neither side moved since the baseline.
    if (old && !touched.has(path) && !changedSinceBaseline(s, old, 'source') && !changedSinceBaseline(t, old, 'target')) {
      if (s?.kind !== 'file' || old.hash !== null || s.hash === undefined) { // else: record a newly computed hash
        const refreshed = refreshedRow(old, s, t);
        if (refreshed) upserts.set(path, refreshed);
        return;
      }
    }
    if (!s && !t) {
      if (old) deletes.push(path);
      return;
    }
    if (!s || !t) return;
    const next = inSync(path, s, t);
    if (next && !sameBaseline(old, next)) upserts.set(path, next);
  };
  for (const path of baseline.keys()) consider(path);
  for (const path of source.keys()) if (!baseline.has(path)) consider(path);
  for (const path of target.keys()) if (!baseline.has(path) && !source.has(path)) consider(path);
  for (const path of touched) if (!baseline.has(path) && !source.has(path) && !target.has(path)) consider(path);
  return { upserts, deletes };
}

/**
 * Paths that applied actions wrote from the other side's version: a copy or
 * link at its path, a conflict copy saved on both sides. Each maps to the
 * origin's hash (null when the engine did not compute one).
 */
function writtenPairs(outcomes: readonly Outcome[]): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const o of outcomes) {
    if (o.status !== 'applied') continue;
    const a = o.action;
    if (a.op === 'copy') out.set(a.path, a.entry.hash ?? null);
    else if (a.op === 'symlink') out.set(a.path, null);
    else if (a.op === 'conflict_copy' && a.sides.includes('source') && a.sides.includes('target')) {
      out.set(a.copyPath, a.entry.kind === 'file' ? (a.entry.hash ?? null) : null);
    }
  }
  return out;
}

/**
 * A row whose sides did not change since it was written, brought up to what
 * they are (issue 9): an inode the row did not know (a row written before
 * the baseline recorded them), a link's mtime. A scan run against the
 * baseline reports every entry that is not exactly its row's, so a row left
 * stale would be reported, and cost, every generation. Directories keep their
 * recorded state (their mtime moves with their contents); null when nothing
 * is new.
 */
function refreshedRow(old: BaselineEntry, s: Entry | undefined, t: Entry | undefined): BaselineEntry | null {
  const refreshed: BaselineEntry = { ...old, source: refreshedSide(old.source, s), target: refreshedSide(old.target, t) };
  return sameBaseline(old, refreshed) ? null : refreshed;
}

function refreshedSide(state: SideState, entry: Entry | undefined): SideState {
  return entry !== undefined && (entry.kind === 'file' || entry.kind === 'symlink') ? sideStateOf(entry) : state;
}

/** A predicate: the path lies strictly below a problem entry of either side. */
function belowProblemOf(source: Snapshot, target: Snapshot): (path: string) => boolean {
  const problems = new Set<string>();
  for (const snapshot of [source, target]) for (const [path, entry] of snapshot) if (entry.kind === 'problem') problems.add(path);
  return (path) => problems.size > 0 && ancestorsOf(path).some((a) => problems.has(a));
}

function sameBaseline(a: BaselineEntry | undefined, b: BaselineEntry): boolean {
  return a !== undefined && a.kind === b.kind && a.size === b.size && a.hash === b.hash && a.linkTarget === b.linkTarget &&
    sameSide(a.source, b.source) && sameSide(a.target, b.target);
}

/** An unknown inode (absent or 0) is one value: a row that learns one is written back, one that loses one (a link's) too. */
function sameSide(a: SideState, b: SideState): boolean {
  return a.mtimeNs === b.mtimeNs && a.mode === b.mode && (a.ino ?? 0) === (b.ino ?? 0);
}
