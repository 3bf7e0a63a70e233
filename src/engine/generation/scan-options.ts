import { isAbsolute, join } from 'node:path';
// Real paths of local roots and of the (always local) database, for the scan's excludes.
import { ownFilesInside } from '../../config/own-files.js';
import { relativePathsInside } from '../../config/paths.js';
import type { ConduitRow } from '../../db/store.js';
import { isFsError, type FileSystem } from '../../fs/file-system.js';
import { buildRules, pathPattern } from '../filters.js';
import type { ScanOptions } from '../scan.js';
import { tempTokenFor } from '../temp-name.js';

/**
 * Filter rules for this conduit: include/exclude, index rules with both
 * roots' `.conduitignore`, the versioning directory, and conduit's own files
 * (the database at `databasePath`, its -wal/-shm/-journal, the token file)
 * wherever they lie inside a root.
 */
export async function scanOptionsFor(fs: FileSystem, conduit: ConduitRow, onlyPaths?: readonly string[], databasePath?: string): Promise<ScanOptions> {
  const conduitIgnoreText: string[] = [];
  if (conduit.useIndexRules) {
    for (const root of [conduit.source, conduit.target]) {
      try {
        conduitIgnoreText.push(await fs.readText(join(root, '.conduitignore')));
      } catch (error) {
        if (!isFsError(error, 'ENOENT') && !isFsError(error, 'ENOTDIR')) throw error;
      }
    }
  }
  const roots = [conduit.source, conduit.target];
  const extraExcludes = [
    ...(conduit.versioning ? versioningExcludes(conduit.versioning.dir, roots) : []),
    // SPEC §4, defence in depth: add/edit/import refuse such a root, but a database can be moved into a
    // root later, or named with another --db at run time. Excluded on both sides alike: were the path
    // visible in the other root, reconcile would copy that file over conduit's own.
    ...(databasePath === undefined ? [] : roots.flatMap((root) => ownFilesInside(root, databasePath)).map(pathPattern)),
  ];
  const rules = buildRules({ include: conduit.include, exclude: conduit.exclude, useIndexRules: conduit.useIndexRules, conduitIgnoreText, extraExcludes });
  const tempToken = tempTokenFor(conduit.uuid);
  return onlyPaths ? { rules, onlyPaths, tempToken } : { rules, tempToken };
}

/** The versioning directory is never synced (SPEC §6): relative, or absolute but inside a root (as given, or through a symlink). */
function versioningExcludes(dir: string, roots: readonly string[]): string[] {
  if (!isAbsolute(dir)) return [pathPattern(dir)];
  return [...new Set(roots.flatMap((root) => relativePathsInside(root, dir)))].map(pathPattern);
}
