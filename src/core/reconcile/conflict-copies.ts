import { sameContent, type FileEntry, type Side, type SymlinkEntry } from '../entry.js';
import { conflictCopyOrigin, freeConflictCopyName } from '../conflict-name.js';
import type { ConflictCopyAction } from '../plan.js';
import type { Decision } from './decide.js';
import type { Sides } from './input.js';

/**
 * The keep-both conflict copies of one reconcile: a free name for each, or an
 * existing identical copy instead of a new one (SPEC §2.2). `forced` is the
 * resolve step's own map, read as it stands when each copy is planned.
 */
export class ConflictCopies {
  /** The copies to make, in the order they were planned. */
  readonly actions: ConflictCopyAction[] = [];
  private readonly plannedNames = new Set<string>();
  /** Origin path → the conflict copies of it found on either side, in path order. */
  private conflictCopyIndex: Map<string, string[]> | undefined;

  constructor(
    private readonly sides: Sides,
    private readonly decisions: ReadonlyMap<string, Decision>,
    /** Paths whose decision a directory conflict above them dictates. */
    private readonly forced: ReadonlyMap<string, Side | null>,
  ) {}

  /**
   * Picks a free conflict-copy name, unless a conflict copy holding the
   * loser's content already sits beside the path and stays there (SPEC §2.2):
   * then that copy is the conflict's copy, and no second one is made.
   */
  plan(path: string, loser: Side, entry: FileEntry | SymlinkEntry, sides: readonly Side[]): string | null {
    const existing = this.existingIdenticalCopy(path, entry, sides);
    if (existing) return existing;
    const { source, target, stamp } = this.sides.input;
    const name = freeConflictCopyName(path, loser, stamp, (c) => source.has(c) || target.has(c) || this.plannedNames.has(c));
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
      for (const candidate of this.sides.paths) {
        const origin = conflictCopyOrigin(candidate);
        if (origin === null) continue;
        const list = this.conflictCopyIndex.get(origin) ?? [];
        list.push(candidate); // sides.paths is sorted: so is each list
        this.conflictCopyIndex.set(origin, list);
      }
    }
    for (const candidate of this.conflictCopyIndex.get(path) ?? []) {
      for (const side of sides) {
        const e = this.sides.entry(side, candidate);
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
}
