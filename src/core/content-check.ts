import { conflictCopyOrigin } from './conflict-name.js';
import { changedSinceBaseline, comparePaths, type Baseline, type Entry, type Side, type Snapshot } from './entry.js';
import type { Mode } from './vocabulary.js';

/**
 * Which files must be hashed before reconcile can decide (SPEC §3). Identity
 * across sides is decided by content, never by size + mtime, so wherever
 * reconcile will ask "are these two files the same", both are hashed,
 * whatever their mtimes:
 *
 * - a path where both sides hold files of equal size and both changed since
 *   the baseline, or that was never synced (no baseline): bidirectional's
 *   "both changed to identical content", and selective's "a target file the
 *   conduit did not write, or that the target edited since";
 * - a file that may lose a conflict (it changed since the baseline, or was
 *   never synced) and the existing conflict copies of its path, on either
 *   side, of the same size: keep-both makes no new copy when one of them
 *   already holds the loser's bytes (SPEC §2.2).
 *
 * Files of different sizes are different without reading them; a side that
 * did not change since the baseline is compared with nothing. Mirror never
 * needs a hash (its quick check decides, and it overwrites anyway). With
 * `checksum: true` every file is hashed: content decides everything.
 *
 * Returns, per side, the paths to hash in code-unit order, each once.
 */
export function filesToHash(
  mode: Mode,
  checksum: boolean,
  baseline: Baseline,
  source: Snapshot,
  target: Snapshot,
): Record<Side, string[]> {
  const want: Record<Side, Set<string>> = { source: new Set(), target: new Set() };
  const snapshots: Record<Side, Snapshot> = { source, target };
  if (checksum) {
    for (const side of ['source', 'target'] as const) for (const [p, e] of snapshots[side]) if (e.kind === 'file') want[side].add(p);
    return sorted(want);
  }
  if (mode === 'mirror') return sorted(want);

  const mayHaveChanged = (side: Side, path: string, e: Entry): boolean => {
    const b = baseline.get(path);
    return !b || changedSinceBaseline(e, b, side);
  };

  // Pairs: both sides changed (or never synced) to files of the same size.
  for (const [p, s] of source) {
    if (s.kind !== 'file') continue;
    const t = target.get(p);
    if (t?.kind !== 'file' || t.size !== s.size) continue;
    if (mayHaveChanged('source', p, s) && mayHaveChanged('target', p, t)) {
      want.source.add(p);
      want.target.add(p);
    }
  }

  // Conflict copies: only selective's target versions are saved on the target alone, and only a copy there keeps them.
  const loserSides: readonly Side[] = mode === 'selective' ? ['target'] : ['source', 'target'];
  const copiesOf = new Map<string, Array<{ side: Side; path: string; size: number }>>();
  for (const side of loserSides) {
    for (const [p, e] of snapshots[side]) {
      if (e.kind !== 'file') continue;
      const origin = conflictCopyOrigin(p);
      if (origin === null) continue;
      const list = copiesOf.get(origin) ?? [];
      list.push({ side, path: p, size: e.size });
      copiesOf.set(origin, list);
    }
  }
  for (const [origin, copies] of copiesOf) {
    for (const side of loserSides) {
      const e = snapshots[side].get(origin);
      if (e?.kind !== 'file' || !mayHaveChanged(side, origin, e)) continue;
      const same = copies.filter((c) => c.size === e.size);
      if (same.length === 0) continue;
      want[side].add(origin);
      for (const c of same) want[c.side].add(c.path);
    }
  }
  return sorted(want);
}

function sorted(want: Record<Side, Set<string>>): Record<Side, string[]> {
  return { source: [...want.source].sort(comparePaths), target: [...want.target].sort(comparePaths) };
}
