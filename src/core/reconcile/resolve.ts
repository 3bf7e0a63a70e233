import { isUnder, otherSide, type Entry, type FileEntry, type Side, type SymlinkEntry } from '../entry.js';
import { isConflictCopy } from '../conflict-name.js';
import type { Conflict, ConflictCopyAction } from '../plan.js';
import type { ConflictKind, Resolution, Severity } from '../vocabulary.js';
import { ConflictCopies } from './conflict-copies.js';
import type { Decision } from './decide.js';
import type { Sides } from './input.js';

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
  /** Selective: the conduit stops tracking the path, which stays as the target's own. */
  readonly forget?: true;
}

export interface Resolutions {
  readonly conflicts: readonly Conflict[];
  /** Conflict path → whose state it takes; null holds it as it is. */
  readonly winners: ReadonlyMap<string, Side | null>;
  /** Paths whose decision a directory conflict above them dictates (the side, or null: held). */
  readonly forced: ReadonlyMap<string, Side | null>;
  /** The keep-both conflict copies to make, in the order their conflicts were met. */
  readonly copies: readonly ConflictCopyAction[];
  readonly forget: readonly string[];
  readonly hold: readonly string[];
}

/**
 * Step 2 of reconcile: resolve conflicts by the policy (SPEC §2.2) into
 * propagations, conflict copies or a hold (`manual`), subtrees included for
 * directory conflicts.
 */
export function resolveConflicts(sides: Sides, decisions: ReadonlyMap<string, Decision>): Resolutions {
  const conflicts: Conflict[] = [];
  const winners = new Map<string, Side | null>();
  const forced = new Map<string, Side | null>();
  const forget: string[] = [];
  const hold: string[] = [];
  const copies = new ConflictCopies(sides, decisions, forced);
  for (const path of sides.paths) {
    const d = decisions.get(path);
    if (d?.t !== 'conflict') continue;
    if (forced.has(path)) continue; // a directory conflict above it decides this path and records the conflict
    const r = sides.input.mode === 'selective' ? resolveSelective(sides, path, d.kind) : resolveBidirectional(sides, path, d.kind);
    if (r.forget) forget.push(path);
    winners.set(path, r.winner);
    const s = sides.entry('source', path) ?? null;
    const t = sides.entry('target', path) ?? null;
    let copyPath: string | null = null;
    if (r.copy) copyPath = copies.plan(path, r.copy.loser, r.copy.entry, r.copy.sides);
    conflicts.push({ path, kind: d.kind, resolution: r.resolution, severity: r.severity, source: s, target: t, copyPath });
    if (r.winner === null && r.resolution === 'unresolved') hold.push(path);
    if (r.subtree) {
      for (const q of sides.paths) {
        if (!isUnder(q, path)) continue;
        forced.set(q, r.winner);
        if (r.winner === null) hold.push(q);
      }
    }
  }
  return { conflicts, winners, forced, copies: copies.actions, forget, hold };
}

function resolveBidirectional(sides: Sides, path: string, kind: ConflictKind): Resolved {
  const policy = sides.input.policy;
  const s = sides.entry('source', path);
  const t = sides.entry('target', path);
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
    const file = sides.entry(fileSide, path);
    const copy = file && (file.kind === 'file' || file.kind === 'symlink')
      ? { loser: fileSide, entry: file, sides: ['source', 'target'] as const }
      : null;
    return { winner: dirSide, resolution: 'kept_both', severity: 'low', copy, subtree: true };
  }
  // both_modified, first_sync_differs
  const winner = newer(s, t);
  if (policy === 'newer') return { winner, resolution: accepted(winner), severity: 'medium', copy: null, subtree: false };
  const loser = otherSide(winner);
  const lost = sides.entry(loser, path);
  if (isConflictCopy(path)) return { winner, resolution: accepted(winner), severity: 'medium', copy: null, subtree: false };
  if (!lost || lost.kind === 'dir' || lost.kind === 'problem') return { winner, resolution: accepted(winner), severity: 'medium', copy: null, subtree: false };
  return { winner, resolution: 'kept_both', severity: 'low', copy: { loser, entry: lost, sides: ['source', 'target'] }, subtree: false };
}

/** Selective keeps the target's bytes as a conflict copy on the target, then writes the source's version. */
function resolveSelective(sides: Sides, path: string, kind: ConflictKind): Resolved {
  const t = sides.entry('target', path);
  if (kind === 'modify_delete') {
    // The source deleted (or deselected) a file the target has edited since: it stays, as the target's own.
    return { winner: null, resolution: 'accepted_target', severity: 'medium', copy: null, subtree: false, forget: true };
  }
  if (t && (t.kind === 'file' || t.kind === 'symlink')) {
    return { winner: 'source', resolution: 'kept_both', severity: 'low', copy: { loser: 'target', entry: t, sides: ['target'] }, subtree: false };
  }
  // The target holds a directory of its own where the source has a file: nothing can be written without destroying it.
  return { winner: null, resolution: 'unresolved', severity: 'high', copy: null, subtree: true };
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
