import {
  ancestorsOf, changedSinceBaseline, comparePaths, depthOf, isUnder, otherSide, quickCheckMatches, sameContent,
  type Baseline, type BaselineEntry, type DirEntry, type Entry, type FileEntry, type Side, type Snapshot, type SymlinkEntry,
} from './entry.js';
import { conflictCopyOrigin, freeConflictCopyName, isConflictCopy } from './conflict-name.js';
import type { Action, Conflict, Plan, Skip, Stage } from './plan.js';
import { STAGES } from './plan.js';
import type { ConflictKind, ConflictPolicy, Mode, Resolution, Severity } from './vocabulary.js';

/**
 * reconcile(baseline, source, target, mode, policy) → Plan.
 *
 * Pure and deterministic: plain values in, a Plan out, paths visited in
 * sorted order. It never reads the disk or the clock (the conflict-copy
 * timestamp comes in as `stamp`). Whether two files are the same is decided
 * by their hashes (`sameContent`), which the engine computes beforehand for
 * exactly the files that `filesToHash` names; a file without a hash is never
 * taken as identical. Stat answers only "did this side change since the
 * baseline" (and mirror's quick check). Three steps:
 *
 * 1. decide, per path, from the baseline and both sides (SPEC §2.1, §2.3):
 *    nothing, propagate one side's state to the other, or a conflict;
 * 2. resolve conflicts by the policy (SPEC §2.2) into propagations, conflict
 *    copies or a hold (`manual`), subtrees included for directory conflicts;
 * 3. assemble actions by stage, then fix up parents: a path that will exist
 *    on a side gets its parent directories there, and a directory that will
 *    still hold something is not removed.
 */
export interface ReconcileInput {
  readonly mode: Mode;
  /** Used by `bidirectional`; one-way modes ignore it. */
  readonly policy: ConflictPolicy;
  readonly baseline: Baseline;
  readonly source: Snapshot;
  readonly target: Snapshot;
  /** Conflict-copy timestamp, `YYYYMMDDTHHMMSSZ` of the generation's start. */
  readonly stamp: string;
  /** `checksum: true`: a file changed when its content hash differs (entries and baseline carry hashes). */
  readonly checksum?: boolean;
}

type Decision =
  | { readonly t: 'none' }
  | { readonly t: 'propagate'; readonly from: Side }
  | { readonly t: 'conflict'; readonly kind: ConflictKind };

const NONE: Decision = { t: 'none' };
const FROM_SOURCE: Decision = { t: 'propagate', from: 'source' };
const FROM_TARGET: Decision = { t: 'propagate', from: 'target' };
const propagateFrom = (side: Side): Decision => (side === 'source' ? FROM_SOURCE : FROM_TARGET);

/** What the policy made of one conflict. */
interface Resolved {
  /** Whose state the path (and, for directory conflicts, its subtree) takes; null holds everything as it is. */
  readonly winner: Side | null;
  readonly resolution: Resolution;
  readonly severity: Severity;
  /** Keep-both: the losing version saved under a conflict-copy name on these sides. */
  readonly copy: { readonly loser: Side; readonly entry: FileEntry | SymlinkEntry; readonly sides: readonly Side[] } | null;
  /** Directory conflicts decide the whole subtree the same way. */
  readonly subtree: boolean;
}

export function reconcile(input: ReconcileInput): Plan {
  const ctx = new Context(input);
  ctx.decideAll();
  if (input.mode === 'bidirectional') ctx.detectReplacedDirectories();
  ctx.resolveConflicts();
  ctx.assemble();
  ctx.fixParents();
  return ctx.plan();
}

class Context {
  private readonly paths: string[];
  private readonly decisions = new Map<string, Decision>();
  private readonly resolved = new Map<string, Resolved>();
  /** Paths whose decision a directory conflict above them dictates. */
  private readonly forced = new Map<string, Side | null>();
  private readonly actions: Action[] = [];
  private readonly conflicts: Conflict[] = [];
  private readonly skips: Skip[] = [];
  private readonly forget: string[] = [];
  private readonly hold: string[] = [];
  private readonly plannedNames = new Set<string>();
  /** Origin path → the conflict copies of it found on either side, in path order. */
  private conflictCopyIndex: Map<string, string[]> | undefined;

  constructor(private readonly input: ReconcileInput) {
    const all = new Set<string>(input.baseline.keys());
    for (const p of input.source.keys()) all.add(p);
    for (const p of input.target.keys()) all.add(p);
    this.paths = [...all].sort(comparePaths);
  }

  private entry(side: Side, path: string): Entry | undefined {
    return (side === 'source' ? this.input.source : this.input.target).get(path);
  }

  private changed(side: Side, path: string): boolean {
    const e = this.entry(side, path);
    const b = this.input.baseline.get(path);
    if (this.input.checksum && e?.kind === 'file' && b?.kind === 'file' && e.hash !== undefined && b.hash !== null) {
      return e.size !== b.size || e.hash !== b.hash || e.mode !== b[side].mode;
    }
    return changedSinceBaseline(e, b, side);
  }

  // ---------------------------------------------------------------- 1. decide

  decideAll(): void {
    const problems = this.problemPaths();
    for (const path of this.paths) {
      if (problems.size > 0 && (problems.has(path) || ancestorsOf(path).some((a) => problems.has(a)))) {
        if (problems.has(path)) this.recordProblem(path);
        continue; // a problem's subtree is unknown, not empty: never act on it
      }
      const d = this.decide(path);
      if (d !== NONE) this.decisions.set(path, d);
    }
  }

  private problemPaths(): Set<string> {
    const out = new Set<string>();
    for (const snap of [this.input.source, this.input.target]) for (const [p, e] of snap) if (e.kind === 'problem') out.add(p);
    return out;
  }

  private recordProblem(path: string): void {
    for (const side of ['source', 'target'] as const) {
      const e = this.entry(side, path);
      if (e?.kind === 'problem') this.skips.push({ path, side, reason: `${e.code}: ${e.message}` });
    }
  }

  private decide(path: string): Decision {
    const s = this.entry('source', path);
    const t = this.entry('target', path);
    const b = this.input.baseline.get(path);
    switch (this.input.mode) {
      case 'mirror':
        return this.decideMirror(path, s, t, b);
      case 'selective':
        return this.decideSelective(path, s, t, b);
      case 'bidirectional':
        return this.decideBidirectional(path, s, t);
    }
  }

  /** The target becomes an exact replica: anything that differs follows the source. */
  private decideMirror(path: string, s: Entry | undefined, t: Entry | undefined, b: BaselineEntry | undefined): Decision {
    if (b && !this.changed('source', path) && !this.changed('target', path)) return NONE;
    if (!s && !t) return NONE;
    if (s && t && quickCheckMatches(s, t)) return NONE; // rsync's quick check: mirror overwrites, it never keeps a target version
    return FROM_SOURCE;
  }

  /** One-way, but never destroying bytes the conduit did not write (SPEC §2.3). */
  private decideSelective(path: string, s: Entry | undefined, t: Entry | undefined, b: BaselineEntry | undefined): Decision {
    if (!s) {
      if (!b || !t) return NONE; // the target's own, or already gone
      if (!this.changed('target', path)) return FROM_SOURCE; // still what the conduit wrote: delete it
      return t.kind === 'dir' ? NONE : { t: 'conflict', kind: 'modify_delete' };
    }
    if (b && !this.changed('source', path)) return NONE; // the target's edit or deletion stands until the source changes
    if (!t) return FROM_SOURCE;
    if (b && !this.changed('target', path)) return FROM_SOURCE; // the target holds what the conduit wrote
    // From here the target holds something the conduit did not write: only equal content may be replaced.
    if (s.kind === 'dir' && t.kind === 'dir') return NONE;
    if (sameContent(s, t)) return quickCheckMatches(s, t) ? NONE : FROM_SOURCE; // same bytes: at most mtime or mode to replicate
    return { t: 'conflict', kind: b ? 'both_modified' : 'first_sync_differs' };
  }

  /** SPEC §2.1, row by row. */
  private decideBidirectional(path: string, s: Entry | undefined, t: Entry | undefined): Decision {
    const sChanged = this.changed('source', path);
    const tChanged = this.changed('target', path);
    if (!sChanged && !tChanged) return NONE;
    if (sChanged && !tChanged) return FROM_SOURCE;
    if (!sChanged && tChanged) return FROM_TARGET;
    if (!s && !t) return NONE; // deleted on both sides
    if (s && t) {
      if (sameContent(s, t)) return NONE; // both changed to the same thing: a baseline update, not a conflict
      if ((s.kind === 'dir') !== (t.kind === 'dir')) return { t: 'conflict', kind: 'type_change' };
      return { t: 'conflict', kind: this.input.baseline.has(path) ? 'both_modified' : 'first_sync_differs' };
    }
    return { t: 'conflict', kind: 'modify_delete' };
  }

  /**
   * A side that replaced a directory by a file (or link) would remove the
   * whole directory on the other side; if the other side changed anything
   * inside it since the baseline, that is a `type_change` conflict instead.
   */
  detectReplacedDirectories(): void {
    const dirty: Record<Side, Set<string>> = { source: new Set(), target: new Set() };
    for (const path of this.paths) {
      for (const side of ['source', 'target'] as const) {
        const e = this.entry(side, path);
        if (e?.kind === 'dir' && this.input.baseline.get(path)?.kind === 'dir') continue;
        if (this.changed(side, path)) for (const a of ancestorsOf(path)) dirty[side].add(a);
      }
    }
    for (const [path, d] of this.decisions) {
      if (d.t !== 'propagate') continue;
      const from = this.entry(d.from, path);
      const other = otherSide(d.from);
      if (from && from.kind !== 'dir' && this.entry(other, path)?.kind === 'dir' && dirty[other].has(path)) {
        this.decisions.set(path, { t: 'conflict', kind: 'type_change' });
      }
    }
  }

  // ---------------------------------------------------------------- 2. resolve

  resolveConflicts(): void {
    for (const path of this.paths) {
      const d = this.decisions.get(path);
      if (d?.t !== 'conflict') continue;
      if (this.forced.has(path)) continue; // a directory conflict above it decides this path and records the conflict
      const r = this.input.mode === 'selective' ? this.resolveSelective(path, d.kind) : this.resolveBidirectional(path, d.kind);
      this.resolved.set(path, r);
      const s = this.entry('source', path) ?? null;
      const t = this.entry('target', path) ?? null;
      let copyPath: string | null = null;
      if (r.copy) copyPath = this.planConflictCopy(path, r.copy.loser, r.copy.entry, r.copy.sides);
      this.conflicts.push({ path, kind: d.kind, resolution: r.resolution, severity: r.severity, source: s, target: t, copyPath });
      if (r.winner === null && r.resolution === 'unresolved') this.hold.push(path);
      if (r.subtree) {
        for (const q of this.paths) {
          if (!isUnder(q, path)) continue;
          this.forced.set(q, r.winner);
          if (r.winner === null) this.hold.push(q);
        }
      }
    }
  }

  private resolveBidirectional(path: string, kind: ConflictKind): Resolved {
    const policy = this.input.policy;
    const s = this.entry('source', path);
    const t = this.entry('target', path);
    const isDirConflict = kind === 'type_change' || s?.kind === 'dir' || t?.kind === 'dir';
    if (policy === 'manual') return { winner: null, resolution: 'unresolved', severity: 'high', copy: null, subtree: isDirConflict };
    if (policy === 'source' || policy === 'target') {
      return { winner: policy, resolution: policy === 'source' ? 'accepted_source' : 'accepted_target', severity: 'medium', copy: null, subtree: isDirConflict };
    }
    if (kind === 'modify_delete') {
      const modified: Side = s ? 'source' : 'target';
      return {
        winner: modified,
        resolution: policy === 'keep-both' ? 'kept_both' : accepted(modified),
        severity: 'low',
        copy: null,
        subtree: isDirConflict,
      };
    }
    if (kind === 'type_change') {
      if (isConflictCopy(path)) {
        // No copy of a copy (SPEC §2.2): the newer version keeps the path, directory or file.
        const winner = newer(s, t);
        return { winner, resolution: accepted(winner), severity: 'medium', copy: null, subtree: true };
      }
      // keep-both and newer alike: the directory keeps the path, the file is saved beside it.
      const dirSide: Side = s?.kind === 'dir' ? 'source' : 'target';
      const fileSide = otherSide(dirSide);
      const file = this.entry(fileSide, path);
      const copy = file && (file.kind === 'file' || file.kind === 'symlink')
        ? { loser: fileSide, entry: file, sides: ['source', 'target'] as const }
        : null;
      return { winner: dirSide, resolution: 'kept_both', severity: 'low', copy, subtree: true };
    }
    // both_modified, first_sync_differs
    const winner = newer(s, t);
    if (policy === 'newer') return { winner, resolution: accepted(winner), severity: 'medium', copy: null, subtree: false };
    const loser = otherSide(winner);
    const lost = this.entry(loser, path);
    if (isConflictCopy(path)) return { winner, resolution: accepted(winner), severity: 'medium', copy: null, subtree: false };
    if (!lost || lost.kind === 'dir' || lost.kind === 'problem') return { winner, resolution: accepted(winner), severity: 'medium', copy: null, subtree: false };
    return { winner, resolution: 'kept_both', severity: 'low', copy: { loser, entry: lost, sides: ['source', 'target'] }, subtree: false };
  }

  /** Selective keeps the target's bytes as a conflict copy on the target, then writes the source's version. */
  private resolveSelective(path: string, kind: ConflictKind): Resolved {
    const t = this.entry('target', path);
    if (kind === 'modify_delete') {
      // The source deleted (or deselected) a file the target has edited since: it stays, as the target's own.
      this.forget.push(path);
      return { winner: null, resolution: 'accepted_target', severity: 'medium', copy: null, subtree: false };
    }
    if (t && (t.kind === 'file' || t.kind === 'symlink')) {
      return { winner: 'source', resolution: 'kept_both', severity: 'low', copy: { loser: 'target', entry: t, sides: ['target'] }, subtree: false };
    }
    // The target holds a directory of its own where the source has a file: nothing can be written without destroying it.
    return { winner: null, resolution: 'unresolved', severity: 'high', copy: null, subtree: true };
  }

  /**
   * Picks a free conflict-copy name, unless a conflict copy holding the
   * loser's content already sits beside the path and stays there (SPEC §2.2):
   * then that copy is the conflict's copy, and no second one is made.
   */
  private planConflictCopy(path: string, loser: Side, entry: FileEntry | SymlinkEntry, sides: readonly Side[]): string | null {
    const existing = this.existingIdenticalCopy(path, entry, sides);
    if (existing) return existing;
    const name = freeConflictCopyName(path, loser, this.input.stamp, (c) =>
      this.input.source.has(c) || this.input.target.has(c) || this.plannedNames.has(c));
    this.plannedNames.add(name);
    this.actions.push({ op: 'conflict_copy', stage: 'preserve', path, loser, entry, copyPath: name, sides });
    return name;
  }

  /**
   * An existing conflict copy of `path` — either side's label, any timestamp,
   * any `-n` — whose content equals `lost` (by hash: `sameContent`), on one of
   * the sides a new copy would be saved on. One side is enough: the copy's own
   * decision in this plan must keep that side's version (nothing to do, or it
   * propagates to the other side), so the loser's bytes survive this
   * generation there whatever else happens. A copy this plan deletes,
   * overwrites or finds in conflict does not count.
   */
  private existingIdenticalCopy(path: string, lost: FileEntry | SymlinkEntry, sides: readonly Side[]): string | null {
    if (!this.conflictCopyIndex) {
      this.conflictCopyIndex = new Map();
      for (const candidate of this.paths) {
        const origin = conflictCopyOrigin(candidate);
        if (origin === null) continue;
        const list = this.conflictCopyIndex.get(origin) ?? [];
        list.push(candidate); // this.paths is sorted: so is each list
        this.conflictCopyIndex.set(origin, list);
      }
    }
    for (const candidate of this.conflictCopyIndex.get(path) ?? []) {
      for (const side of sides) {
        const e = this.entry(side, candidate);
        if (e !== undefined && sameContent(e, lost) && this.keepsVersion(side, candidate)) return candidate;
      }
    }
    return null;
  }

  /** This plan leaves `side`'s version of `path` in place: no decision (nothing to do, or left alone), or it propagates from `side`. */
  private keepsVersion(side: Side, path: string): boolean {
    if (this.forced.has(path)) return this.forced.get(path) === side;
    const d = this.decisions.get(path);
    return d === undefined || (d.t === 'propagate' && d.from === side);
  }

  // ---------------------------------------------------------------- 3. assemble

  assemble(): void {
    const final = new Map<string, Side>(); // path → side whose state it takes
    for (const path of this.paths) {
      if (this.forced.has(path)) {
        const w = this.forced.get(path)!;
        if (w !== null) final.set(path, w);
        continue;
      }
      const d = this.decisions.get(path);
      if (!d || d.t === 'none') continue;
      if (d.t === 'propagate') final.set(path, d.from);
      else {
        const w = this.resolved.get(path)?.winner;
        if (w) final.set(path, w);
      }
    }
    // A directory replaced by a file or link is cleared first: everything under it goes in the `clear` stage.
    const cleared: Record<Side, Set<string>> = { source: new Set(), target: new Set() };
    for (const [path, from] of final) {
      const to = otherSide(from);
      const e = this.entry(from, path);
      if (e && e.kind !== 'dir' && this.entry(to, path)?.kind === 'dir') cleared[to].add(path);
    }
    const underCleared = (side: Side, path: string) =>
      cleared[side].size > 0 && (cleared[side].has(path) || ancestorsOf(path).some((a) => cleared[side].has(a)));

    const movedAway = new Set<string>(); // `${side}\0${path}`: the loser's file was moved to its conflict copy
    for (const a of this.actions) if (a.op === 'conflict_copy') movedAway.add(`${a.loser}\0${a.path}`);

    for (const [path, from] of final) {
      const to = otherSide(from);
      const have = this.entry(from, path);
      const there = movedAway.has(`${to}\0${path}`) ? undefined : this.entry(to, path);
      if (have?.kind === 'problem' || there?.kind === 'problem') continue;
      const clearing = underCleared(to, path);
      if (!have) {
        if (!there) continue;
        if (there.kind === 'dir') this.actions.push({ op: 'rmdir', stage: clearing ? 'clear' : 'rmdir', path, side: to });
        else this.actions.push({ op: 'delete', stage: clearing ? 'clear' : 'delete', path, side: to, expected: there });
        continue;
      }
      if (have.kind === 'dir') {
        if (there?.kind === 'dir') continue;
        if (there) this.actions.push({ op: 'delete', stage: 'clear', path, side: to, expected: there });
        this.actions.push({ op: 'mkdir', stage: 'mkdir', path, to, entry: have });
        continue;
      }
      if (there?.kind === 'dir') this.actions.push({ op: 'rmdir', stage: 'clear', path, side: to });
      const expected = there && there.kind !== 'dir' ? there : null;
      if (have.kind === 'file') this.actions.push({ op: 'copy', stage: 'transfer', path, from, to, entry: have, expected });
      else this.actions.push({ op: 'symlink', stage: 'transfer', path, from, to, entry: have, expected });
    }
  }

  /**
   * Parents first: every path that will exist on a side needs its ancestors
   * to be directories there (a restored file in a directory the other side
   * deleted brings the directory back), and a directory that will still hold
   * anything is not removed.
   */
  fixParents(): void {
    for (const side of ['source', 'target'] as const) {
      const snap = side === 'source' ? this.input.source : this.input.target;
      const removed = new Set<string>();
      const created = new Set<string>();
      const rmdirs = new Map<string, Action>();
      for (const a of this.actions) {
        if ((a.op === 'delete' || a.op === 'rmdir') && a.side === side) removed.add(a.path);
        if (a.op === 'rmdir' && a.side === side) rmdirs.set(a.path, a);
        if ((a.op === 'copy' || a.op === 'symlink' || a.op === 'mkdir') && a.to === side) created.add(a.path);
        if (a.op === 'conflict_copy') {
          if (a.loser === side) removed.add(a.path);
          if (a.sides.includes(side)) created.add(a.copyPath);
        }
      }
      const cancelled = new Set<Action>();
      const keepParentsOf = (path: string) => {
        for (const anc of ancestorsOf(path)) {
          const r = rmdirs.get(anc);
          if (r && !cancelled.has(r)) { cancelled.add(r); removed.delete(anc); }
        }
      };
      if (rmdirs.size > 0) {
        for (const p of snap.keys()) if (!removed.has(p)) keepParentsOf(p);
        for (const p of created) keepParentsOf(p);
      }
      const mkdirs: Action[] = [];
      const dropped = new Set<string>();
      for (const p of [...created].sort(comparePaths)) {
        const needed: string[] = [];
        let blocked = false;
        for (const anc of ancestorsOf(p)) {
          if (created.has(anc) && !dropped.has(anc)) break;
          const here = snap.get(anc);
          if (here?.kind === 'dir' && !removed.has(anc)) break;
          if (here && !removed.has(anc)) { blocked = true; break; } // a file the side keeps sits where a parent must go
          needed.push(anc);
        }
        if (blocked || needed.some((a) => dropped.has(a))) {
          // Writing here would destroy what the side keeps at a parent path (selective never does): skip it.
          dropped.add(p);
          this.skips.push({ path: p, side, reason: `a parent of this path is not a directory on the ${side}` });
          continue;
        }
        for (const anc of needed) {
          created.add(anc);
          const origin = this.entry(otherSide(side), anc);
          mkdirs.push({ op: 'mkdir', stage: 'mkdir', path: anc, to: side, entry: origin?.kind === 'dir' ? (origin as DirEntry) : null });
        }
      }
      // A directory that cannot be cleared (it keeps something) cannot be replaced by a file either.
      for (const r of cancelled) {
        if (r.stage !== 'clear') continue;
        dropped.add(r.path);
        this.skips.push({ path: r.path, side, reason: `the directory on the ${side} holds entries that are not synced; it is not replaced` });
      }
      const isDropped = (a: Action) =>
        dropped.size > 0 && (((a.op === 'copy' || a.op === 'symlink' || a.op === 'mkdir') && a.to === side && dropped.has(a.path)) ||
          (a.op === 'conflict_copy' && a.sides.includes(side) && dropped.has(a.copyPath)));
      if (cancelled.size > 0 || dropped.size > 0) {
        const keep = this.actions.filter((a) => !cancelled.has(a) && !isDropped(a));
        this.actions.length = 0;
        this.actions.push(...keep);
      }
      this.actions.push(...mkdirs);
    }
  }

  plan(): Plan {
    const order = new Map<Stage, number>(STAGES.map((s, i) => [s, i]));
    const actions = [...this.actions].sort((a, b) => {
      const st = order.get(a.stage)! - order.get(b.stage)!;
      if (st !== 0) return st;
      if (a.stage === 'mkdir') return depthOf(a.path) - depthOf(b.path) || comparePaths(a.path, b.path);
      if (a.stage === 'clear' || a.stage === 'rmdir') return depthOf(b.path) - depthOf(a.path) || comparePaths(a.path, b.path);
      return comparePaths(a.path, b.path);
    });
    return {
      actions, conflicts: this.conflicts, skips: this.skips, forget: this.forget, hold: this.hold,
      identity: this.input.mode === 'mirror' ? 'quick-check' : 'content',
    };
  }
}

/** The newer of two versions by mtime; a tie goes to the source. */
function newer(s: Entry | undefined, t: Entry | undefined): Side {
  const sm = s && s.kind !== 'problem' ? s.mtimeNs : -1n;
  const tm = t && t.kind !== 'problem' ? t.mtimeNs : -1n;
  return tm > sm ? 'target' : 'source';
}

function accepted(side: Side): Resolution {
  return side === 'source' ? 'accepted_source' : 'accepted_target';
}
