import { isAbsolute, join, posix } from 'node:path';
import type { Entry, FileEntry, SymlinkEntry } from '../core/entry.js';
import { FsError, isFsError, type FileSystem } from '../fs/file-system.js';
import { tempNameFor } from './temp-name.js';

/**
 * SPEC §6: before a sync overwrites or deletes a file, its old version moves
 * into the versions directory, under its relative path, with a timestamp.
 *
 * Naming: `<stem>.<YYYYMMDDTHHMMSSZ><ext>` with `<ext>` as `path.extname`
 * gives it — the same rule as conflict copies (SPEC §2.2), so an old version
 * keeps its extension and opens in the right program:
 * `docs/notes.txt` → `docs/notes.20261123T051500Z.txt`, `.env` →
 * `.env.20261123T051500Z`. A name already taken gets `-2`, `-3`… after the
 * stamp. The stamp is when the version was set aside (the generation's
 * start), which is what pruning counts from: the file's own mtime is its
 * original one, since the move keeps it.
 */

/** The stamp of a generation start: `20261123T051500Z`. */
export function versionStamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/** A side's versions directory: `dir` relative to that side's root, or absolute. */
export function versionsDirFor(root: string, dir: string): string {
  return isAbsolute(dir) ? dir : join(root, dir);
}

/** Relative name of a version of `relPath` inside the versions directory; `attempt` > 1 adds `-<attempt>`. */
export function versionName(relPath: string, stamp: string, attempt = 1): string {
  const dir = posix.dirname(relPath);
  const base = posix.basename(relPath);
  const ext = posix.extname(base);
  const stem = base.slice(0, base.length - ext.length);
  const name = `${stem}.${stamp}${attempt > 1 ? `-${attempt}` : ''}${ext}`;
  return dir === '.' ? name : `${dir}/${name}`;
}

const VERSION_NAME = /\.(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z(?:-\d+)?(?:\.[^.]*)?$/;

/** When a version was set aside, read back from its name; null for a name conduit did not make. */
export function parseVersionStamp(name: string): Date | null {
  const m = VERSION_NAME.exec(name);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return Number.isNaN(date.getTime()) ? null : date;
}

export interface MoveToVersionsRequest {
  /** The side's root, the path relative to it, and what is there now (verified by the caller just before). */
  readonly root: string;
  readonly relPath: string;
  readonly entry: FileEntry | SymlinkEntry;
  /** `dir` as configured (relative to the root, or absolute) and the generation's stamp. */
  readonly dir: string;
  readonly stamp: string;
  /** Suffix for the temporary used when the versions directory is on another filesystem. */
  readonly randomSuffix: () => string;
}

/**
 * Moves the file (or link) at `root/relPath` into the versions directory and
 * returns the version's absolute path — or null when, on the copy path, the
 * file changed while it was being copied (then nothing was moved and the
 * caller must treat the path as modified since scan).
 *
 * A rename when possible; across filesystems (EXDEV) a copy through a
 * temporary (no partial version under a final name), then unlink.
 */
export async function moveToVersions(fs: FileSystem, request: MoveToVersionsRequest): Promise<string | null> {
  const { root, relPath, entry, stamp } = request;
  const original = join(root, relPath);
  const versionsDir = versionsDirFor(root, request.dir);
  await ensureDir(fs, join(versionsDir, posix.dirname(relPath)));
  const destination = await freeVersionPath(fs, versionsDir, relPath, stamp);
  try {
    // RACE: the name was free a moment ago; the versions directory is conduit's own, so only
    // a second conduit versioning the same path in the same second could take it.
    await fs.rename(original, destination);
    return destination;
  } catch (err) {
    if (!isFsError(err, 'EXDEV')) throw err;
  }
  if (entry.kind === 'symlink') {
    await fs.symlink(entry.linkTarget, destination);
  } else {
    const temp = join(versionsDir, posix.dirname(relPath), tempNameFor(posix.basename(relPath), request.randomSuffix()));
    try {
      await fs.copyFile(original, temp);
      await fs.setAttributes(temp, { mode: entry.mode, mtimeNs: entry.mtimeNs });
      await fs.rename(temp, destination);
    } catch (err) {
      await fs.unlink(temp).catch(() => undefined);
      throw err;
    }
  }
  // RACE: the copy took time; only unlink the original if it still is what was copied.
  const now = await fs.lstat(original).catch((err: unknown) => (isFsError(err, 'ENOENT') ? null : Promise.reject(err)));
  if (now === null || !sameNode(now, entry)) {
    await fs.unlink(destination).catch(() => undefined);
    return null;
  }
  await fs.unlink(original);
  return destination;
}

function sameNode(now: Entry, was: FileEntry | SymlinkEntry): boolean {
  if (now.kind !== was.kind) return false;
  if (now.kind === 'symlink') return now.linkTarget === (was as SymlinkEntry).linkTarget && now.ino === was.ino;
  const f = was as FileEntry;
  return now.kind === 'file' && now.size === f.size && now.mtimeNs === f.mtimeNs && now.ino === f.ino;
}

async function freeVersionPath(fs: FileSystem, versionsDir: string, relPath: string, stamp: string): Promise<string> {
  for (let attempt = 1; attempt <= 1000; attempt++) {
    const candidate = join(versionsDir, versionName(relPath, stamp, attempt));
    try {
      await fs.lstat(candidate);
    } catch (err) {
      if (isFsError(err, 'ENOENT')) return candidate;
      throw err;
    }
  }
  throw new FsError('EEXIST', 'moveToVersions', join(versionsDir, relPath), `EEXIST: no free version name for '${relPath}' at ${stamp}`);
}

/** mkdir -p through the FileSystem seam: an existing directory is fine, missing parents are made first. */
export async function ensureDir(fs: FileSystem, dir: string): Promise<void> {
  try {
    await fs.mkdir(dir);
  } catch (err) {
    if (isFsError(err, 'EEXIST')) {
      const entry = await fs.lstat(dir);
      if (entry.kind === 'dir') return;
      throw err;
    }
    if (!isFsError(err, 'ENOENT')) throw err;
    const parent = join(dir, '..');
    if (parent === dir) throw err;
    await ensureDir(fs, parent);
    await ensureDir(fs, dir);
  }
}

/**
 * Remove versions set aside more than `keepDays` days before `now` (by the
 * stamp in their names), then the directories that leaves empty (the
 * versions directory itself stays). Names conduit did not make are never
 * touched. Returns the absolute paths removed. A missing directory is fine.
 */
export async function pruneVersions(fs: FileSystem, dir: string, keepDays: number, now: Date): Promise<string[]> {
  const cutoff = now.getTime() - keepDays * 86_400_000;
  const removed: string[] = [];
  // Returns true when `path` ended up empty.
  const walk = async (path: string): Promise<boolean> => {
    let names: string[];
    try {
      names = fs.readdirSync(path);
    } catch (err) {
      if (isFsError(err, 'ENOENT')) return false;
      throw err;
    }
    let left = names.length;
    for (const name of names) {
      const child = join(path, name);
      const entry = fs.lstatSync(child);
      if (entry.kind === 'dir') {
        if (await walk(child)) {
          await fs.rmdir(child);
          removed.push(child);
          left--;
        }
        continue;
      }
      if (entry.kind !== 'file' && entry.kind !== 'symlink') continue;
      const stamp = parseVersionStamp(name);
      if (stamp === null || stamp.getTime() >= cutoff) continue;
      await fs.unlink(child);
      removed.push(child);
      left--;
    }
    return left === 0;
  };
  await walk(dir);
  return removed;
}
