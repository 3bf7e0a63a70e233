import type { Side, Snapshot } from '../../core/entry.js';
import type { Problem } from '../../core/plan.js';
import type { ConduitRow } from '../../db/store.js';
import type { FileSystem } from '../../fs/file-system.js';
import type { RootDirectories } from '../confine.js';
import { replicateDirectoryAttributes } from '../directory-times.js';
import { pruneVersions, versionsAnchorFor, versionsDirFor } from '../versioning.js';
import type { GenerationRequest } from './request.js';
import type { Transferred } from './transfer-step.js';

/**
 * Versions older than `keepDays` go (SPEC §6), only on the sides this mode
 * writes (mirror and selective: the target; bidirectional: both): a one-way
 * conduit never writes its source, not even a folder there named like its
 * versioning dir. A failure to prune never fails the generation.
 */
export async function pruneOldVersions(
  fs: FileSystem, versioning: { dir: string; keepDays: number }, mode: ConduitRow['mode'], roots: Record<Side, string>, now: Date,
): Promise<void> {
  for (const root of new Set(mode === 'bidirectional' ? [roots.source, roots.target] : [roots.target])) {
    try {
      await pruneVersions(fs, versionsDirFor(root, versioning.dir), versioning.keepDays, now, versionsAnchorFor(root, versioning.dir));
    } catch {
      // The next generation tries again; old versions are only disk space.
    }
  }
}

/**
 * Mirror (and selective, in its selection) sets the replicated directories'
 * mode and mtime once their contents are written (directory-times.ts); not
 * after a stop. The problems, those of opening the directories for writing
 * first, are errors of the generation.
 */
export async function finishDirectoryAttributes(
  fs: FileSystem, request: GenerationRequest, targetDirectories: RootDirectories, hashed: Record<Side, Snapshot>,
  staleTemps: readonly string[], transferred: Transferred,
): Promise<Problem[]> {
  const { replicated, opened } = transferred;
  const directoryProblems = [...opened.problems];
  if (replicated && request.signal?.aborted !== true) {
    const attributes = await replicateDirectoryAttributes(fs, targetDirectories, hashed.source, hashed.target, transferred.outcomes, staleTemps, opened.opened, replicated);
    directoryProblems.push(...attributes.problems);
  }
  return directoryProblems;
}
