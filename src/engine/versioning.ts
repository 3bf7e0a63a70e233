import { dirname, isAbsolute, join, posix } from 'node:path';
import type { Entry, FileEntry, SymlinkEntry } from '../core/entry.js';
import { FsError, isFsError, lstatOrNull, type FileSystem } from '../fs/file-system.js';
import { ancestorsBelow, ancestorViolation, checkAncestors, confinementError, isConfinementError, type Ancestor } from './confine.js';
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

/**
 * Where confinement of the versions directory starts (confine.ts): writes
 * into it never pass through a link below this. A relative `dir` lives in the
 * root, which anyone who writes into the root can change, so it is checked
 * from the root down, the versions directory itself included; an absolute one
 * is the user's choice, like a root, and is checked below itself.
 */
export function versionsAnchorFor(root: string, dir: string): string {
  return isAbsolute(dir) ? dir : root;
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
  /** The writing conduit's temp token (temp-name.ts), for that temporary. */
  readonly tempToken: string;
  /**
   * The directories between `root` and the file, with the inodes the scan
   * saw (confine.ts); default: each must only be a real directory, not a link.
   */
  readonly originAncestors?: readonly Ancestor[];
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
  const originAncestors = request.originAncestors ?? ancestorsBelow(root, original);
  const versionsDir = versionsDirFor(root, request.dir);
  const anchor = versionsAnchorFor(root, request.dir);
  await ensureDirBelow(fs, anchor, join(versionsDir, posix.dirname(relPath)));
  const destination = await freeVersionPath(fs, versionsDir, relPath, stamp);
  const destinationAncestors = ancestorsBelow(anchor, destination);
  // Both ends of every step are confined: the file leaves its root only for the versions directory.
  const confined = async (op: string, path: string, ancestors: readonly Ancestor[]) => checkAncestors(fs, ancestors, op, path);
  try {
    await confined('rename', original, originAncestors);
    await confined('rename', destination, destinationAncestors);
    // RACE: the name was free a moment ago; the versions directory is conduit's own, so only
    // a second conduit versioning the same path in the same second could take it.
    await fs.rename(original, destination);
  } catch (err) {
    if (!isFsError(err, 'EXDEV')) throw err;
    return await copyToVersions(fs, request, original, originAncestors, destination, destinationAncestors);
  }
  await undoIfStrayed(fs, destination, destinationAncestors, () => fs.rename(destination, original));
  return destination;
}

/**
 * After a write into the versions directory: are the directories above it
 * still real ones? A directory swapped for a link between the check and the
 * write (RACE: no renameat in Node) sent it wherever the link points; then
 * `undo` takes it back through the same path (the file moves back where it
 * was; a made copy is removed) and the confinement error is thrown.
 */
async function undoIfStrayed(fs: FileSystem, path: string, ancestors: readonly Ancestor[], undo: () => Promise<void>): Promise<void> {
  try {
    await checkAncestors(fs, ancestors, 'lstat', path);
  } catch (err) {
    if (isConfinementError(err)) await undo().catch(() => undefined);
    throw err;
  }
}

/** Across filesystems (EXDEV): a copy through a temporary (no partial version under a final name), then unlink. */
async function copyToVersions(
  fs: FileSystem, request: MoveToVersionsRequest, original: string, originAncestors: readonly Ancestor[],
  destination: string, destinationAncestors: readonly Ancestor[],
): Promise<string | null> {
  const { relPath, entry } = request;
  const confined = async (op: string, path: string, ancestors: readonly Ancestor[]) => checkAncestors(fs, ancestors, op, path);
  if (entry.kind === 'symlink') {
    await confined('symlink', destination, destinationAncestors);
    await fs.symlink(entry.linkTarget, destination);
    await undoIfStrayed(fs, destination, destinationAncestors, () => fs.unlink(destination));
  } else {
    const temp = join(dirname(destination), tempNameFor(posix.basename(relPath), request.tempToken, request.randomSuffix()));
    // From the copy on, a temporary may exist (a failed copy can leave one): removed on every failure.
    let mayExist = false;
    try {
      await confined('create', temp, destinationAncestors);
      mayExist = true;
      await fs.copyFile(original, temp);
      // A stray temporary (created through a swapped directory) is conduit's own: removed where it went.
      await undoIfStrayed(fs, temp, destinationAncestors, () => fs.unlink(temp));
      await confined('setAttributes', temp, destinationAncestors);
      await fs.setAttributes(temp, { mode: entry.mode, mtimeNs: entry.mtimeNs });
      await confined('rename', destination, destinationAncestors);
      await fs.rename(temp, destination);
      await undoIfStrayed(fs, destination, destinationAncestors, () => fs.unlink(destination));
    } catch (err) {
      // EEXIST: the name was someone else's, never ours to remove.
      if (mayExist && !isFsError(err, 'EEXIST')) await confined('unlink', temp, destinationAncestors).then(() => fs.unlink(temp)).catch(() => undefined);
      throw err;
    }
  }
  // RACE: the copy took time; only unlink the original if it still is what was copied.
  const now = await fs.lstat(original).catch((err: unknown) => (isFsError(err, 'ENOENT') ? null : Promise.reject(err)));
  if (now === null || !sameNode(now, entry)) {
    await confined('unlink', destination, destinationAncestors).then(() => fs.unlink(destination)).catch(() => undefined);
    return null;
  }
  await confined('unlink', original, originAncestors);
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

/**
 * `dir` and the directories between `anchor` and it, made where missing,
 * each a real directory (never a link) when the next one is made below it.
 * The anchor itself is the user's choice: made with its parents when
 * missing (`ensureDir`), and accepted as it is (a link included) otherwise.
 */
export async function ensureDirBelow(fs: FileSystem, anchor: string, dir: string): Promise<void> {
  if ((await lstatOrNull(fs, anchor)) === null) await ensureDir(fs, anchor);
  if (dir === anchor) return;
  const chain: Ancestor[] = [...ancestorsBelow(anchor, dir), { path: dir, ino: null }];
  const made: string[] = [];
  for (const step of chain) {
    let entry = await lstatOrNull(fs, step.path);
    if (entry === null) {
      // RACE: the directories above were checked just now, one lstat each; one swapped for a link
      // since then would still redirect this mkdir (no mkdirat in Node): the check after the loop catches it.
      try {
        await fs.mkdir(step.path);
        made.push(step.path);
      } catch (err) {
        if (!isFsError(err, 'EEXIST')) throw err;
      }
      entry = await lstatOrNull(fs, step.path);
    }
    const violation = ancestorViolation(step, entry);
    if (violation !== null) throw confinementError('mkdir', dir, step, violation);
  }
  try {
    await checkAncestors(fs, chain, 'mkdir', dir);
  } catch (err) {
    // The directories made here went wherever a swapped one points: they are conduit's own and empty.
    for (const path of made.reverse()) await fs.rmdir(path).catch(() => undefined);
    throw err;
  }
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
 *
 * Confined like every write (confine.ts): below `anchor` (see
 * `versionsAnchorFor`; default `dir` itself) the walk enters only real
 * directories, and each unlink and rmdir first checks that the directories
 * above it are still the ones the walk entered.
 */
export async function pruneVersions(fs: FileSystem, dir: string, keepDays: number, now: Date, anchor: string = dir): Promise<string[]> {
  const cutoff = now.getTime() - keepDays * 86_400_000;
  const removed: string[] = [];
  let top: Ancestor[] = [];
  if (dir !== anchor) {
    const self = await lstatOrNull(fs, dir);
    if (self === null) return removed;
    top = [...ancestorsBelow(anchor, dir), { path: dir, ino: self.kind === 'dir' ? self.ino : null }];
    await checkAncestors(fs, top, 'readdir', dir);
  }
  // Returns true when `path` ended up empty. `chain`: the directories from the anchor down to `path`.
  const walk = async (path: string, chain: readonly Ancestor[]): Promise<boolean> => {
    let names: string[];
    try {
      // readdir/lstat, not their Sync forms: the versions folder may be on a remote root (issue 10).
      names = await fs.readdir(path);
    } catch (err) {
      if (isFsError(err, 'ENOENT')) return false;
      throw err;
    }
    let left = names.length;
    for (const name of names) {
      const child = join(path, name);
      // RACE: a name listed a moment ago may be gone: nothing left to prune there.
      const entry = await lstatOrNull(fs, child);
      if (entry === null) continue;
      if (entry.kind === 'dir') {
        if (await walk(child, [...chain, { path: child, ino: entry.ino }])) {
          await checkAncestors(fs, chain, 'rmdir', child);
          await fs.rmdir(child);
          removed.push(child);
          left--;
        }
        continue;
      }
      if (entry.kind !== 'file' && entry.kind !== 'symlink') continue;
      const stamp = parseVersionStamp(name);
      if (stamp === null || stamp.getTime() >= cutoff) continue;
      await checkAncestors(fs, chain, 'unlink', child);
      await fs.unlink(child);
      removed.push(child);
      left--;
    }
    return left === 0;
  };
  await walk(dir, top);
  return removed;
}

/**
 * `versionName` read back: the original relative path and when the version
 * was set aside, or null for a name conduit did not make. The stamp sits
 * before the extension (`notes.<stamp>.txt`) or at the end for a name
 * without one (`.env.<stamp>`); a stamp followed by one more dot-segment is
 * read as stamp + extension first, which is how `versionName` writes it.
 */
export function parseVersionName(relName: string): { readonly original: string; readonly keptAt: Date; readonly attempt: number } | null {
  const slash = relName.lastIndexOf('/');
  const dir = slash < 0 ? '' : relName.slice(0, slash + 1);
  const base = relName.slice(slash + 1);
  const m = WITH_EXTENSION.exec(base) ?? WITHOUT_EXTENSION.exec(base);
  if (!m) return null;
  const [, stem = '', stamp = '', attempt, ext = ''] = m;
  const keptAt = parseVersionStamp(`.${stamp}`);
  // Date.UTC rolls month 13 into January: only a stamp that reads back as itself is one.
  if (keptAt === null || versionStamp(keptAt) !== stamp || stem === '') return null;
  return { original: `${dir}${stem}${ext}`, keptAt, attempt: attempt === undefined ? 1 : Number(attempt) };
}

const WITH_EXTENSION = /^(.+?)\.(\d{8}T\d{6}Z)(?:-(\d+))?(\.[^.]*)$/;
const WITHOUT_EXTENSION = /^(.+)\.(\d{8}T\d{6}Z)(?:-(\d+))?()$/;
