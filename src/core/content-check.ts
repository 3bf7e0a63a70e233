import { changedSinceBaseline, mtimesMatchAcrossSides, type Baseline, type Side, type Snapshot } from './entry.js';
import type { Mode } from './vocabulary.js';

/**
 * Which files must be hashed before reconcile can decide (SPEC §3): where
 * both sides changed (or never synced) to files of equal size whose mtimes
 * differ, only their content says whether they are the same. With
 * `checksum: true`, every file is hashed: content decides everything.
 * Mirror never needs it: a differing mtime is replicated by a copy anyway.
 */
export function filesToHash(
  mode: Mode,
  checksum: boolean,
  baseline: Baseline,
  source: Snapshot,
  target: Snapshot,
): Record<Side, string[]> {
  const out: Record<Side, string[]> = { source: [], target: [] };
  if (checksum) {
    for (const [p, e] of source) if (e.kind === 'file') out.source.push(p);
    for (const [p, e] of target) if (e.kind === 'file') out.target.push(p);
    return out;
  }
  if (mode === 'mirror') return out;
  for (const [p, s] of source) {
    if (s.kind !== 'file') continue;
    const t = target.get(p);
    if (t?.kind !== 'file' || t.size !== s.size || mtimesMatchAcrossSides(s.mtimeNs, t.mtimeNs)) continue;
    const b = baseline.get(p);
    const bothChanged = !b || (changedSinceBaseline(s, b, 'source') && changedSinceBaseline(t, b, 'target'));
    const sourceChangedOnly = mode === 'selective' && (!b || changedSinceBaseline(s, b, 'source'));
    if (bothChanged || sourceChangedOnly) {
      out.source.push(p);
      out.target.push(p);
    }
  }
  return out;
}
