import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { Entry, FileEntry, Side, SymlinkEntry } from '../core/entry.js';
import type { Trigger } from '../core/vocabulary.js';
import { holdLease, type HeldLease } from '../db/lease-keeper.js';
import type { ConduitRow, GenerationRecord, Store } from '../db/store.js';
import { isFsError, lstatOrNull, type FileSystem } from '../fs/file-system.js';
import { rootPresent } from '../fs/root-present.js';
import { ancestorsBelow, checkAncestors, RootDirectories, type Ancestor } from '../engine/confine.js';
import { copyViaTemp, driveAsync, linkViaTemp, type CopyStep, type WriteResult } from '../engine/copy-protocol.js';
import { tempNameFor, tempTokenFor } from '../engine/temp-name.js';
import { ensureDirBelow, moveToVersions, parseVersionName, versionsAnchorFor, versionsDirFor, versionStamp } from '../engine/versioning.js';
import { requireConduit } from './require-conduit.js';

/**
 * What `versioning` kept for a conduit, and putting one of those versions
 * back (`conduit versions`, `conduit restore`, `GET …/versions`, `POST
 * …/restore`).
 *
 * Where versions are: on each side the conduit's mode writes (mirror and
 * selective: the target; bidirectional: both), in `versioning.dir` (relative
 * to that root, or absolute), under the file's relative path, named
 * `<stem>.<YYYYMMDDTHHMMSSZ>[-n]<ext>` (versioning.ts). The listing walks
 * those folders without following a link and reads each name back.
 *
 * A restore is a write like a generation's: under the conduit's generation
 * lease, through the copy protocol (a temporary beside the path, mode and
 * mtime set, the destination re-verified, renamed over it), each directory
 * above the path checked on the way down (confine.ts), and the file it
 * replaces kept as a version first. It lands on the side the version was
 * kept on and leaves the baseline alone, so the next generation sees the
 * restored file as a change of that side (bidirectional: it propagates; a
 * one-way conduit's next generation makes the target match the source
 * again, keeping the restored file as a version in turn). It is recorded as
 * a generation of its own (trigger `manual` from the CLI, `api` from the
 * HTTP API) with one `copy` event whose message names the version.
 */

export interface VersionView {
  /** The file's path relative to the root, as it was synced. */
  readonly path: string;
  /** The side whose versions folder holds it (and where a restore puts it back). */
  readonly side: Side;
  /** Absolute path of the kept version. */
  readonly versionPath: string;
  /** When it was set aside (the stamp in its name), ISO-8601 UTC. */
  readonly keptAt: string;
  readonly size: number;
}

/** A request that cannot be met as asked: no such version, a bad path, versioning off, a disabled conduit. Bad input (exit 2, HTTP 400/404). */
export class VersionRequestError extends Error {
  /** `not_found`: no version matches (HTTP 404); `bad_input`: the request itself is wrong (HTTP 400). */
  constructor(message: string, readonly kind: 'not_found' | 'bad_input' = 'bad_input') {
    super(message);
    this.name = 'VersionRequestError';
  }
}

/** The restore was refused or failed on the disk (a root missing, a directory in the way, a write that failed): exit 3, HTTP 409. Nothing was changed. */
export class RestoreRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestoreRefusedError';
  }
}

interface KeptVersion extends VersionView {
  readonly entry: FileEntry | SymlinkEntry;
  readonly attempt: number;
  /** The versions folder's confinement anchor (versioning.ts `versionsAnchorFor`). */
  readonly anchor: string;
}

/**
 * The versions kept for `conduit`, newest first (by stamp, then by `-n`),
 * optionally only those of `prefix` (a path, or a folder and what is below
 * it). A conduit without versioning has none.
 */
export async function listVersions(fs: FileSystem, conduit: ConduitRow, prefix?: string): Promise<VersionView[]> {
  return (await keptVersions(fs, conduit, prefix)).map(({ path, side, versionPath, keptAt, size }) => ({ path, side, versionPath, keptAt, size }));
}

async function keptVersions(fs: FileSystem, conduit: ConduitRow, prefix?: string): Promise<KeptVersion[]> {
  // A remote root's host first (issue 10): unreachable, UnreachableError before anything is read or changed.
  await fs.connect?.();
  const versioning = conduit.versioning;
  if (versioning === null) return [];
  const under = prefix === undefined ? '' : normalizePrefix(prefix);
  const matches = (path: string) => under === '' || path === under || path.startsWith(`${under}/`);
  const found: KeptVersion[] = [];
  const seen = new Set<string>();
  // One absolute folder may serve both sides of a bidirectional conduit: listed once, restored to the target.
  const sides: Side[] = conduit.mode === 'bidirectional' ? ['target', 'source'] : ['target'];
  for (const side of sides) {
    const root = side === 'source' ? conduit.source : conduit.target;
    const dir = versionsDirFor(root, versioning.dir);
    if (seen.has(dir)) continue;
    seen.add(dir);
    const anchor = versionsAnchorFor(root, versioning.dir);
    for (const { relName, entry } of await walkVersions(fs, dir, anchor)) {
      const parsed = parseVersionName(relName);
      if (parsed === null || !matches(parsed.original)) continue;
      found.push({
        path: parsed.original, side, versionPath: join(dir, relName), keptAt: parsed.keptAt.toISOString(),
        size: entry.kind === 'file' ? entry.size : 0, entry, attempt: parsed.attempt, anchor,
      });
    }
  }
  return found.sort((a, b) => b.keptAt.localeCompare(a.keptAt) || b.attempt - a.attempt || a.path.localeCompare(b.path));
}

/** `docs/`, `./docs`, `/docs` → `docs`; a `..` component is refused (a version path never has one). */
function normalizePrefix(prefix: string): string {
  const parts = prefix.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw new VersionRequestError(`path: expected a path inside the conduit, got ${JSON.stringify(prefix)}`);
  return parts.join('/');
}

/**
 * The files and links below `dir`, as names relative to it. Only real
 * directories are entered (a link inside the versions folder is listed as a
 * link, never followed), and a versions folder that is itself a link below
 * its anchor (a relative `dir` swapped for one) is not read at all.
 */
async function walkVersions(fs: FileSystem, dir: string, anchor: string): Promise<{ relName: string; entry: FileEntry | SymlinkEntry }[]> {
  let top: Entry;
  try {
    top = await fs.lstat(dir);
  } catch (err) {
    if (isFsError(err, 'ENOENT') || isFsError(err, 'ENOTDIR')) return [];
    throw err;
  }
  if (dir !== anchor) {
    if (top.kind !== 'dir') return [];
    await checkAncestors(fs, ancestorsBelow(anchor, dir), 'readdir', dir);
  }
  const out: { relName: string; entry: FileEntry | SymlinkEntry }[] = [];
  // readdir/lstat, not their Sync forms: the versions folder may be on a remote root (issue 10).
  const walk = async (path: string, rel: string): Promise<void> => {
    let names: string[];
    try {
      names = await fs.readdir(path);
    } catch (err) {
      if (isFsError(err, 'ENOENT') || isFsError(err, 'ENOTDIR')) return;
      throw err;
    }
    for (const name of names) {
      const child = join(path, name);
      const relName = rel === '' ? name : `${rel}/${name}`;
      // RACE: a name listed a moment ago may be gone (pruned meanwhile): then it is not listed.
      const entry = await lstatOrNull(fs, child);
      if (entry === null) continue;
      if (entry.kind === 'dir') await walk(child, relName);
      else if (entry.kind === 'file' || entry.kind === 'symlink') out.push({ relName, entry });
    }
  };
  await walk(dir, '');
  return out;
}

export interface RestoreRequest {
  /** The file's path relative to the root (as `listVersions` shows it). */
  readonly path: string;
  /** The version kept nearest at or before this time; default the newest. */
  readonly at?: Date;
  readonly trigger: Trigger;
  /** The conduit's generation lease when the caller took it; else taken here (busy: ConduitBusyError). */
  readonly lease?: HeldLease;
  readonly now?: () => Date;
  /** The conduit's filesystem and engine paths (remote/conduit-roots.ts `open`); without it, `fs` and the stored roots. */
  readonly openRoots?: (conduit: ConduitRow) => { readonly fs: FileSystem; readonly conduit: ConduitRow };
}

export interface RestoreResult {
  readonly restored: VersionView;
  /** Where the file the restore replaced is now kept (absolute), or null when there was none. */
  readonly replacedVersionPath: string | null;
  readonly record: GenerationRecord;
}

/** Puts one kept version back at its path (see the top of this file). */
export async function restoreVersion(store: Store, localFs: FileSystem, conduitName: string, request: RestoreRequest): Promise<RestoreResult> {
  const stored = requireConduit(store, conduitName);
  const { fs, conduit } = request.openRoots ? request.openRoots(stored) : { fs: localFs, conduit: stored };
  if (conduit.versioning === null) throw new VersionRequestError(`conduit "${conduit.name}" keeps no versions (its versioning is off)`);
  if (!conduit.enabled) throw new VersionRequestError(`conduit "${conduit.name}" is disabled; enable it first (conduit enable ${conduit.name})`);
  const path = normalizePrefix(request.path);
  const version = chooseVersion(conduit, path, (await keptVersions(fs, conduit, path)).filter((v) => v.path === path), request.at);
  const lease = request.lease ?? holdLease(store, conduit.id, 'generation');
  try {
    const now = request.now ?? (() => new Date());
    const startedAt = now();
    const root = version.side === 'source' ? conduit.source : conduit.target;
    // A missing root is never written into (an unplugged drive's empty mount point): as a generation's guard.
    if (!(await rootPresent(fs, root))) throw new RestoreRefusedError(`cannot restore into conduit "${conduit.name}": its ${version.side} root ${root} is missing`);
    const { id: generationId } = store.beginGeneration(conduit.id, request.trigger, false, startedAt.toISOString(), lease.fence);
    let outcome: { landed: WriteResult; replaced: string | null } | Error;
    try {
      outcome = await writeBack(fs, conduit, root, version, versionStamp(startedAt));
    } catch (err) {
      outcome = err instanceof Error ? err : new Error(String(err));
    }
    const { view, message } = describeOutcome(version, outcome);
    const landed = !(outcome instanceof Error) && outcome.landed.status === 'landed' ? outcome.landed : null;
    store.commitGeneration({
      conduitId: conduit.id, generationId, status: landed ? 'completed' : 'failed', completedAt: now().toISOString(),
      counters: {
        filesCopied: landed ? 1 : 0, filesDeleted: 0, dirsCreated: 0, dirsDeleted: 0, conflicts: 0, conflictsResolved: 0,
        bytesTransferred: landed?.bytes ?? 0, errorsEncountered: landed ? 0 : 1,
      },
      errorMessage: landed ? null : message,
      verificationStatus: 'unverified',
      events: [{ side: version.side, path: version.path, action: landed ? 'copy' : 'error', bytes: landed?.bytes ?? 0, message }],
      conflicts: [],
      // The baseline stays: the next generation must see the restored file as this side's change.
      baselineUpserts: new Map(), baselineDeletes: [],
      conduitState: conduit.state, lastSyncError: conduit.lastSyncError,
      countsTowardTotals: false, fence: lease.fence,
    });
    const record = store.getGenerationById(generationId)!;
    if (!landed) throw new RestoreRefusedError(`could not restore ${conduit.name}: ${version.path}: ${message} (recorded as generation ${record.generation})`);
    return { restored: view, replacedVersionPath: outcome instanceof Error ? null : outcome.replaced, record };
  } finally {
    if (!request.lease) lease.release();
  }
}

/** The newest version, or the newest kept at or before `at`; VersionRequestError naming what there is otherwise. */
function chooseVersion(conduit: ConduitRow, path: string, versions: readonly KeptVersion[], at: Date | undefined): KeptVersion {
  if (versions.length === 0) {
    throw new VersionRequestError(`conduit "${conduit.name}" keeps no version of ${JSON.stringify(path)} (see conduit versions ${conduit.name})`, 'not_found');
  }
  if (at === undefined) return versions[0]!;
  const chosen = versions.find((v) => Date.parse(v.keptAt) <= at.getTime());
  if (chosen) return chosen;
  throw new VersionRequestError(
    `conduit "${conduit.name}" keeps no version of ${JSON.stringify(path)} at or before ${at.toISOString()} (the oldest is from ${versions[versions.length - 1]!.keptAt})`,
    'not_found',
  );
}

function describeOutcome(version: KeptVersion, outcome: { landed: WriteResult; replaced: string | null } | Error): { view: VersionView; message: string } {
  const { path, side, versionPath, keptAt, size } = version;
  const view = { path, side, versionPath, keptAt, size };
  if (outcome instanceof Error) return { view, message: outcome.message };
  if (outcome.landed.status === 'skipped') return { view, message: `not restored: ${outcome.landed.reason} (try again)` };
  const replaced = outcome.replaced === null ? '' : `; the file it replaced is kept as ${outcome.replaced}`;
  return { view, message: `restored from ${versionPath} (kept at ${keptAt})${replaced}` };
}

/**
 * The write itself: the parent directories made where missing (confined
 * from the root down, versioning.ts `ensureDirBelow`), then the copy
 * protocol from the version to the path, with versioning on so that what is
 * there now moves aside first.
 */
async function writeBack(
  fs: FileSystem, conduit: ConduitRow, root: string, version: KeptVersion, stamp: string,
): Promise<{ landed: WriteResult; replaced: string | null }> {
  const versioning = conduit.versioning!;
  const dest = join(root, version.path);
  const parent = dirname(dest);
  if (parent !== root) await ensureDirBelow(fs, root, parent);
  const ancestors = new RootDirectories(root).ancestorsOf(version.path);
  await checkAncestors(fs, ancestors, 'lstat', dest);
  const expected = await lstatOrNull(fs, dest);
  if (expected !== null && expected.kind !== 'file' && expected.kind !== 'symlink') {
    throw new RestoreRefusedError(`${version.path} on the ${version.side} is now ${expected.kind === 'dir' ? 'a directory' : 'unreadable'}; nothing was restored`);
  }
  // The version is read from inside its folder, never through a directory swapped for a link.
  const versionAncestors: readonly Ancestor[] = ancestorsBelow(version.anchor, version.versionPath);
  await checkAncestors(fs, versionAncestors, 'copyFile', version.versionPath);
  const token = tempTokenFor(conduit.uuid);
  const random = () => randomBytes(6).toString('hex');
  const temp = join(parent, tempNameFor(basename(dest), token, random()));
  let replaced: string | null = null;
  const perform = async (step: CopyStep): Promise<unknown> => {
    switch (step.op) {
      case 'lstat':
        return lstatOrNull(fs, step.path);
      case 'copyToTemp': {
        // As the transfer's by-path copy (transfer/run.ts): the kernel copy, mode and mtime, a look at the origin.
        await fs.copyFile(step.from, step.to);
        await fs.setAttributes(step.to, { mode: step.planned.mode, mtimeNs: step.planned.mtimeNs });
        return { origin: await lstatOrNull(fs, step.from), written: null };
      }
      case 'symlink':
        return fs.symlink(step.linkTarget, step.path);
      case 'setAttributes':
        return fs.setAttributes(step.path, { mtimeNs: step.mtimeNs });
      case 'mkdir':
        return fs.mkdir(step.path, step.mode);
      case 'rmdir':
        return fs.rmdir(step.path);
      case 'setAside': {
        replaced = await moveToVersions(fs, {
          root, relPath: version.path, entry: step.entry, dir: versioning.dir, stamp, randomSuffix: random, tempToken: token, originAncestors: ancestors,
        });
        return replaced !== null;
      }
      case 'rename':
        return fs.rename(step.from, step.to);
      case 'unlink':
        return fs.unlink(step.path);
      case 'confine':
        return checkAncestors(fs, step.ancestors, step.before, step.path);
    }
  };
  const write = { dest, expected, temp, versioned: true, ancestors };
  const landed = version.entry.kind === 'file'
    ? await driveAsync(copyViaTemp({ ...write, origin: version.versionPath, originEntry: version.entry }), perform)
    : await driveAsync(linkViaTemp({ ...write, link: version.entry }), perform);
  return { landed, replaced };
}

