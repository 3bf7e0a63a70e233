import type { Side, Snapshot } from '../../core/entry.js';
import type { Plan } from '../../core/plan.js';
import { fileCount, plannedDeletes, rootEmptiedOf, rootsOverlap, rootUnavailable, tooManyDeletesOf } from '../../core/safety.js';
import type { ConduitState } from '../../core/vocabulary.js';
import { isFsError, type FileSystem } from '../../fs/file-system.js';
import type { ScanResult } from '../scan.js';
import type { GenerationRequest } from './request.js';

/**
 * A generation's guards (SPEC §4), each before anything changes: the roots
 * apart, both roots there and not emptied, and not too many deletions in the
 * plan. A guard that says no throws a Refusal; runGeneration records it.
 */

/** A refusal: a guard said no before anything changed. */
export class Refusal extends Error {
  constructor(message: string, readonly state: ConduitState) {
    super(message);
  }
}

export function guardRootsApart(roots: Record<Side, string>): void {
  const overlap = rootsOverlap(roots.source, roots.target);
  if (overlap) throw new Refusal(overlap, 'failed');
}

/**
 * Guards on the scanned roots (SPEC §4): an unmounted drive must never look
 * like "everything was deleted". The first generation creates a missing
 * target (not in a dry run); the target's scan comes back with its root `ok`.
 */
export async function guardRoots<T extends ScanResult>(
  fs: FileSystem, request: GenerationRequest, source: T, target: T, baseline: BaselineCounts,
): Promise<T> {
  const sourceDown = rootUnavailable('source', source.root, source.rootMessage);
  if (sourceDown) throw new Refusal(sourceDown, 'waiting_for_source');
  if (target.root === 'missing' && baseline.rows === 0) {
    if (request.dryRun !== true) await createTargetRoot(fs, request.conduit.target);
    target = { ...target, root: 'ok' };
  }
  const targetDown = rootUnavailable('target', target.root, target.rootMessage);
  if (targetDown) throw new Refusal(targetDown, 'waiting_for_source');
  if (!request.force && !request.onlyPaths) {
    const emptied = rootEmptiedOf('source', inScope(source), baseline.files) ?? rootEmptiedOf('target', inScope(target), baseline.files);
    // SPEC §4: an emptied root is an unmounted drive until --force says otherwise; the service retries it like a missing one.
    if (emptied) throw new Refusal(emptied, 'waiting_for_source');
  }
  return target;
}

/**
 * The delete guard (SPEC §4): the whole index judges how much of a side the
 * plan would delete (its counts: the generation holds only the affected
 * rows); before the first generation, what the side holds now (then every
 * entry is affected, so `hashed` holds them all). --force accepts it once.
 */
export function guardDeletes(request: GenerationRequest, plan: Plan, hashed: Record<Side, Snapshot>, baseline: BaselineCounts): void {
  if (request.force) return;
  if (request.maxDeletes !== undefined) {
    // rsync's and rclone's --max-delete: a count of files (and links), both sides together.
    const deletes = plannedDeletes(plan, 'source') + plannedDeletes(plan, 'target');
    if (deletes > request.maxDeletes) {
      throw new Refusal(`would delete ${deletes} files (more than --max-delete ${request.maxDeletes}); run with --force to allow it once`, 'failed');
    }
  }
  for (const side of ['source', 'target'] as const) {
    const held = baseline.rows > 0 ? baseline.files : fileCount(side === 'source' ? hashed.source : hashed.target);
    const refusal = tooManyDeletesOf(plan, side, held, request.conduit.maxDeletePercent);
    if (refusal) throw new Refusal(refusal, 'failed');
  }
}

/** What the guards need of the whole baseline: its rows, and the files and links among them. */
export interface BaselineCounts {
  readonly rows: number;
  readonly files: number;
}

/** Entries the side holds in scope now: counted by a scan run against the baseline, else its entries. */
function inScope(scan: ScanResult): number {
  return scan.changes?.inScope ?? scan.entries.size;
}

/** The first generation creates a target that does not exist yet; its parent must. */
async function createTargetRoot(fs: FileSystem, target: string): Promise<void> {
  try {
    await fs.mkdir(target);
  } catch (error) {
    if (isFsError(error, 'EEXIST')) return;
    throw new Refusal(`cannot create the target root ${target}: ${error instanceof Error ? error.message : String(error)}`, 'failed');
  }
}
