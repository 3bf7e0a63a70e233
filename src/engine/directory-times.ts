import { join } from 'node:path';
import { comparePaths, depthOf, mtimesMatchAcrossSides, parentOf, type Snapshot } from '../core/entry.js';
import type { Outcome } from '../core/plan.js';
import type { FileSystem } from '../fs/file-system.js';

/**
 * Mirror replicates directory mtimes too, as `rsync -a` does. Writing into a
 * directory moves its mtime, so this runs after the transfer: every target
 * directory whose mtime differs from the source's, or that the generation
 * wrote into, gets the source's mtime, deepest first (setting a directory's
 * time does not touch its parent). Reconcile ignores directory mtimes, so a
 * failure here is cosmetic and never fails the generation; the next
 * generation tries again.
 */
export async function replicateDirectoryTimes(
  fs: FileSystem,
  targetRoot: string,
  source: Snapshot,
  target: Snapshot,
  outcomes: readonly Outcome[],
  removedTemps: readonly string[],
): Promise<number> {
  const wroteInto = new Set<string>();
  for (const o of outcomes) {
    for (const l of o.landed) if (l.side === 'target') wroteInto.add(parentOf(l.path));
  }
  for (const temp of removedTemps) wroteInto.add(parentOf(temp));
  const due: { path: string; mtimeNs: bigint }[] = [];
  for (const [path, entry] of source) {
    if (entry.kind !== 'dir') continue;
    const there = target.get(path);
    if (wroteInto.has(path) || there === undefined || there.kind !== 'dir' || !mtimesMatchAcrossSides(there.mtimeNs, entry.mtimeNs)) {
      due.push({ path, mtimeNs: entry.mtimeNs });
    }
  }
  due.sort((a, b) => depthOf(b.path) - depthOf(a.path) || comparePaths(a.path, b.path));
  let set = 0;
  for (const { path, mtimeNs } of due) {
    try {
      await fs.setAttributes(join(targetRoot, path), { mtimeNs });
      set++;
    } catch {
      // Gone, replaced or not ours to touch: directory times are cosmetic; the next generation retries.
    }
  }
  return set;
}
