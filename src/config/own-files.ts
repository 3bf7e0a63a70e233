import { basename, dirname, join, resolve } from 'node:path';
import { tokenFilePath } from '../http/token.js';
import { ConfigError, describeValue } from './config-error.js';
import { containsPath, realPathOfExistingPart, relativePathsInside } from './paths.js';

/**
 * SPEC §4, "never accepted at all": a root that contains conduit's own files.
 * A mirror would delete them (they are not in the source), a bidirectional
 * conduit would copy a live database into the other side. The files are the
 * database, the companions SQLite keeps beside it (`-wal`, `-shm`,
 * `-journal`) and the API token file (beside the database, see
 * `tokenFilePath`). A root *inside* the database's folder holds none of them
 * and is fine.
 *
 * This is the one rule: `add`, `edit`, `import`, `serve --config` and the API
 * all reach it through `validateConduit`, and the scan uses `ownFilesInside`
 * to exclude the same files should one end up inside a root anyway.
 */

/** What SQLite writes beside a database file `x.db`: `x.db-wal`, `x.db-shm` (WAL mode), `x.db-journal` (rollback). */
const SQLITE_COMPANION_SUFFIXES = ['-wal', '-shm', '-journal'] as const;

export interface OwnFile {
  /** Real, absolute path (the parent resolved; the file itself need not exist yet). */
  readonly path: string;
  /** What it is, for messages: `the database`, `the database's write-ahead log`, … */
  readonly what: string;
}

const WHAT_OF_SUFFIX: Record<(typeof SQLITE_COMPANION_SUFFIXES)[number], string> = {
  '-wal': "the database's write-ahead log",
  '-shm': "the database's shared-memory file",
  '-journal': "the database's journal",
};

/**
 * conduit's own files for the database at `databasePath` (absolute, or
 * relative to the working directory), as real paths. Each is taken where it
 * is named (its parent's real path plus its name: a symlink there is itself
 * conduit's) and, when the database is a symlink, where it points too
 * (SQLite keeps `-wal`/`-shm` beside the file it resolves to).
 */
export function ownFilesOf(databasePath: string): readonly OwnFile[] {
  const database = resolve(databasePath);
  const bases = unique([named(database), realPathOfExistingPart(database)]);
  const files: OwnFile[] = [];
  for (const base of bases) {
    files.push({ path: base, what: 'the database' });
    for (const suffix of SQLITE_COMPANION_SUFFIXES) files.push({ path: base + suffix, what: WHAT_OF_SUFFIX[suffix] });
  }
  const token = tokenFilePath(database);
  for (const path of unique([named(token), realPathOfExistingPart(token)])) files.push({ path, what: 'the API token file' });
  return uniqueBy(files);
}

/**
 * Throws a `ConfigError` on `field` when the directory `root` (absolute; it
 * may not exist yet) is, or lies above, one of `ownFiles`. `realRoot` is its
 * real path, when the caller has it already.
 */
export function checkRootHoldsNoOwnFile(field: string, root: string, ownFiles: readonly OwnFile[], realRoot = realPathOfExistingPart(root)): void {
  const held = ownFiles.find((file) => containsPath(realRoot, file.path));
  if (held) {
    throw new ConfigError(
      field,
      `expected a directory that does not contain conduit's own files, got ${describeValue(root)} (it contains ${held.what}, ${held.path})`,
    );
  }
}

/**
 * The paths, relative to `root` (as the scan sees it), of conduit's own
 * files that lie inside it: for the scan's exact excludes. Compared both as
 * given and as real paths, so a root or a database reached through a
 * symlinked folder is caught either way. Empty in the normal case (the
 * rule above refuses such a root), but the database may be moved into a root
 * after the conduit was added, or named differently (`--db`) at run time.
 */
export function ownFilesInside(root: string, databasePath: string): string[] {
  const database = resolve(databasePath);
  const named = [database, ...SQLITE_COMPANION_SUFFIXES.map((suffix) => database + suffix), tokenFilePath(database)];
  const out = new Set<string>();
  for (const path of [...named, ...ownFilesOf(database).map((file) => file.path)]) {
    for (const inside of relativePathsInside(root, path)) out.add(inside);
  }
  return [...out];
}

/** The real path of `path`'s parent, plus its own name (a symlink at `path` is not followed). */
function named(path: string): string {
  return join(realPathOfExistingPart(dirname(path)), basename(path));
}

function unique(paths: readonly string[]): string[] {
  return [...new Set(paths)];
}

function uniqueBy(files: readonly OwnFile[]): OwnFile[] {
  const byPath = new Map<string, OwnFile>();
  for (const file of files) if (!byPath.has(file.path)) byPath.set(file.path, file);
  return [...byPath.values()];
}
