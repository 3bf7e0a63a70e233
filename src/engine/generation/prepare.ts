import { join } from 'node:path';
import type { Baseline, Entry, Side, Snapshot } from '../../core/entry.js';
import { errorEventMessage } from '../../db/error-event.js';
import type { ConduitRow, GenerationEventInput } from '../../db/store.js';
import { isFsError, type FileSystem } from '../../fs/file-system.js';
import { checkAncestors, isConfinementError, type RootDirectories } from '../confine.js';
import type { ScanResult } from '../scan.js';

/**
 * What a generation does to the roots after its guards and before hashing:
 * its own stale temporaries go, and selective looks up the baseline paths
 * that left its selection.
 */

/**
 * This conduit's temporaries of an interrupted generation are removed before
 * anything else (SPEC §3), only on the sides its mode writes (mirror and
 * selective: the target; bidirectional: both). The scan listed only its own
 * (by token) and only in scope. Each removal is confined like any write; a
 * refused one is an error of the generation.
 */
export async function removeStaleTemps(
  fs: FileSystem, mode: ConduitRow['mode'], directories: Record<Side, RootDirectories>, source: ScanResult, target: ScanResult,
): Promise<GenerationEventInput[]> {
  const events: GenerationEventInput[] = [];
  const sides: readonly Side[] = mode === 'bidirectional' ? ['source', 'target'] : ['target'];
  for (const side of sides) {
    const dirs = directories[side];
    for (const rel of (side === 'source' ? source : target).staleTemps) {
      const path = join(dirs.root, rel);
      try {
        await checkAncestors(fs, dirs.ancestorsOf(rel), 'unlink', path);
        await fs.unlink(path);
      } catch (error) {
        if (isConfinementError(error) && error.code !== 'ENOENT') {
          events.push({ side, path: rel, action: 'error', bytes: 0, message: errorEventMessage('unlink-temp', error.message) });
        }
        // RACE: another process may have removed it already; a leftover is retried next generation.
      }
    }
  }
  return events;
}

/**
 * Selective deletes paths that left the selection (SPEC §2.3), which the
 * filtered target scan cannot see: lstat just those baseline paths. Over the
 * affected paths (generation/affected.ts) those are the rows gone from both
 * sides' scans: a row either side still has is there as it was.
 */
export async function withDeselectedBaselinePaths(
  fs: FileSystem, targetRoot: string, baseline: Baseline, source: Snapshot, target: Snapshot,
): Promise<Snapshot> {
  let out: Map<string, Entry> | undefined;
  for (const path of baseline.keys()) {
    if (source.has(path) || target.has(path)) continue;
    try {
      const entry = await fs.lstat(join(targetRoot, path));
      out ??= new Map(target);
      out.set(path, entry);
    } catch (error) {
      if (!isFsError(error, 'ENOENT') && !isFsError(error, 'ENOTDIR')) throw error;
    }
  }
  return out ?? target;
}
