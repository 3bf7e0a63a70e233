/**
 * What a scan saw at one relative path of one root.
 *
 * Invariants (every producer keeps them, every consumer may rely on them):
 * - paths are relative POSIX paths, NFC, never empty, never start with `/`,
 *   never contain `.` or `..` segments; the root itself is not an entry;
 * - entries are immutable values: a later change on disk is a new Entry;
 * - `mtimeNs` is nanoseconds since the Unix epoch as the platform reported it;
 * - `mode` is the permission bits only (`st_mode & 0o7777`).
 */
export type EntryKind = 'file' | 'dir' | 'symlink' | 'problem';

export const SIDES = ['source', 'target'] as const;
/** One of the two roots of a conduit. */
export type Side = (typeof SIDES)[number];

export function otherSide(side: Side): Side {
  return side === 'source' ? 'target' : 'source';
}

export interface FileEntry {
  readonly kind: 'file';
  readonly size: number;
  readonly mtimeNs: bigint;
  readonly mode: number;
  /** Inode number: lets verify-before-overwrite notice a file replaced by another of equal size and mtime. */
  readonly ino: number;
  /**
   * Content hash (hex), only when the engine computed one (checksum mode, or a
   * content comparison across sides: `filesToHash`). Unknown means "not known
   * to equal anything": `sameContent` never takes it for a match.
   */
  readonly hash?: string;
}

export interface DirEntry {
  readonly kind: 'dir';
  readonly mode: number;
  readonly mtimeNs: bigint;
  readonly ino: number;
}

export interface SymlinkEntry {
  readonly kind: 'symlink';
  /** The link text, verbatim: never resolved, never followed. */
  readonly linkTarget: string;
  readonly mtimeNs: bigint;
  readonly ino: number;
}

/**
 * A path the scan could not turn into a file, directory or link: unreadable,
 * vanished mid-scan, or a socket/FIFO/device. Problems are data: reconcile
 * leaves these paths alone and the generation reports them.
 */
export interface ProblemEntry {
  readonly kind: 'problem';
  /** An FsErrorCode, or `unsupported` for sockets, FIFOs and devices. */
  readonly code: string;
  readonly message: string;
}

export type Entry = FileEntry | DirEntry | SymlinkEntry | ProblemEntry;

/** Relative path → entry for one root, after filters. Iteration order is not meaningful; sort when it matters. */
export type Snapshot = ReadonlyMap<string, Entry>;

/**
 * What one side held at a synced path at the end of the last generation that
 * touched it. Kind, size, hash and link text are the same on both sides of an
 * in-sync pair; mtime and mode are recorded per side because each side's own
 * stat is what "unchanged since the baseline" compares against.
 */
export interface SideState {
  readonly mtimeNs: bigint;
  readonly mode: number;
  /**
   * The inode this side's path had (issue 9): a path the scan finds unchanged is
   * rebuilt from its row, so verify-before-overwrite still knows which file it
   * saw. Absent or 0: unknown (a row written before issue 9).
   */
  readonly ino?: number;
}

export interface BaselineEntry {
  readonly kind: 'file' | 'dir' | 'symlink';
  readonly size: number;
  readonly hash: string | null;
  readonly linkTarget: string | null;
  readonly source: SideState;
  readonly target: SideState;
}

/** Relative path → baseline entry for one conduit. */
export type Baseline = ReadonlyMap<string, BaselineEntry>;

/**
 * Mtimes written with utimes() round-trip through a double of seconds, which
 * keeps roughly 240 ns of precision today; comparing mtimes across the two
 * sides therefore allows this much slack. A side compared with its own
 * baseline uses the exact value.
 */
export const CROSS_SIDE_MTIME_SLACK_NS = 1_000n;

export function mtimesMatchAcrossSides(a: bigint, b: bigint): boolean {
  const d = a > b ? a - b : b - a;
  return d <= CROSS_SIDE_MTIME_SLACK_NS;
}

/** True when `entry` (one side's current state) differs from what the baseline recorded for that side. */
export function changedSinceBaseline(entry: Entry | undefined, base: BaselineEntry | undefined, side: Side): boolean {
  if (!base) return entry !== undefined;
  if (!entry) return true;
  if (entry.kind === 'problem') return false; // unknown: treated as unchanged, the path is skipped anyway
  if (entry.kind !== base.kind) return true;
  const mine = base[side];
  switch (entry.kind) {
    case 'dir':
      return false; // a directory's mtime moves with its contents; its children carry the change
    case 'symlink':
      return entry.linkTarget !== base.linkTarget || inodesDiffer(entry.ino, mine.ino);
    case 'file':
      return entry.size !== base.size || entry.mtimeNs !== mine.mtimeNs || entry.mode !== mine.mode || inodesDiffer(entry.ino, mine.ino);
  }
}

/**
 * Another file at the path since the baseline, whatever its size and mtime
 * (replaced by a rename, `cp -p`, an editor's save-as): both inodes known
 * (non-zero) and different. A row without an inode (written before issue 9)
 * says nothing either way.
 */
function inodesDiffer(now: number, recorded: number | undefined): boolean {
  return now !== 0 && recorded !== undefined && recorded !== 0 && now !== recorded;
}

/**
 * Same kind and the same content (SPEC §3: identity across sides is decided by
 * content, never by size + mtime). Files: equal size and equal hashes, both
 * known; a file whose hash is unknown is never taken as identical to
 * anything, whatever its size and mtime. Directories are alike as such; links
 * by their text. Permission bits are not content.
 */
export function sameContent(a: Entry, b: Entry): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'problem':
      return false;
    case 'dir':
      return true;
    case 'symlink':
      return a.linkTarget === (b as SymlinkEntry).linkTarget;
    case 'file': {
      const f = b as FileEntry;
      return a.size === f.size && a.hash !== undefined && f.hash !== undefined && a.hash === f.hash;
    }
  }
}

/**
 * Mirror's quick check, as rsync's: the target already is a replica when kind,
 * size, permission bits and mtime (within the cross-side slack) match, and,
 * when both hashes are known (checksum mode), the hashes. Only mirror may take
 * this for "the same": it overwrites the target anyway and never keeps a
 * target version. Everywhere else identity is `sameContent`.
 */
export function quickCheckMatches(s: Entry, t: Entry): boolean {
  if (s.kind !== 'file' || t.kind !== 'file') return s.kind !== 'file' && t.kind !== 'file' && sameContent(s, t);
  if (s.size !== t.size || s.mode !== t.mode || !mtimesMatchAcrossSides(s.mtimeNs, t.mtimeNs)) return false;
  return s.hash === undefined || t.hash === undefined || s.hash === t.hash;
}

/** Baseline entry for a pair whose two sides hold the same content now (`sameContent`). */
export function baselineFromPair(source: Entry, target: Entry): BaselineEntry | undefined {
  if (source.kind === 'problem' || !sameContent(source, target)) return undefined;
  return inSyncBaseline(source, target, source.kind === 'file' ? (source.hash ?? null) : null);
}

/**
 * Baseline entry for a pair that is the same by construction: one side was
 * just written from the other (a landed copy, link or conflict copy), so no
 * hash is needed to know it; `hash` is the origin's when the engine knew it.
 * Only the shape is checked (kind, size, link text): anything else means the
 * pair is not what was written.
 */
export function baselineFromWrittenPair(source: Entry, target: Entry, hash: string | null): BaselineEntry | undefined {
  if (source.kind === 'problem' || source.kind !== target.kind) return undefined;
  if (source.kind === 'file' && source.size !== (target as FileEntry).size) return undefined;
  if (source.kind === 'symlink' && source.linkTarget !== (target as SymlinkEntry).linkTarget) return undefined;
  const known = source.kind === 'file' ? (hash ?? source.hash ?? (target as FileEntry).hash ?? null) : null;
  return inSyncBaseline(source, target, known);
}

/** Baseline entry for a pair that mirror's quick check found in sync (`quickCheckMatches`); the hash stays unknown unless computed. */
export function baselineFromQuickCheck(source: Entry, target: Entry): BaselineEntry | undefined {
  if (source.kind === 'problem' || !quickCheckMatches(source, target)) return undefined;
  return inSyncBaseline(source, target, source.kind === 'file' ? (source.hash ?? (target as FileEntry).hash ?? null) : null);
}

function inSyncBaseline(source: Exclude<Entry, ProblemEntry>, target: Entry, hash: string | null): BaselineEntry {
  const t = target as Exclude<Entry, ProblemEntry>;
  return {
    kind: source.kind,
    size: source.kind === 'file' ? source.size : 0,
    hash,
    linkTarget: source.kind === 'symlink' ? source.linkTarget : null,
    source: sideStateOf(source),
    target: sideStateOf(t),
  };
}

/**
 * What the baseline records of one side's entry: its mtime, its mode (0 for a
 * link), and, for files and links, its inode when known (a directory's is
 * never compared: directories are always rescanned, core/change-set.ts).
 */
export function sideStateOf(entry: Exclude<Entry, ProblemEntry>): SideState {
  const mode = entry.kind === 'symlink' ? 0 : entry.mode;
  return entry.kind !== 'dir' && entry.ino !== 0 ? { mtimeNs: entry.mtimeNs, mode, ino: entry.ino } : { mtimeNs: entry.mtimeNs, mode };
}

/** Parent of a relative path, or '' for a top-level path. */
export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** Every proper ancestor of a relative path, nearest first (`a/b/c` → `a/b`, `a`). */
export function ancestorsOf(path: string): string[] {
  const out: string[] = [];
  for (let p = parentOf(path); p !== ''; p = parentOf(p)) out.push(p);
  return out;
}

/** True when `path` lies strictly under directory `dir` (`dir` '' is the root). */
export function isUnder(path: string, dir: string): boolean {
  return dir === '' ? path !== '' : path.length > dir.length && path.startsWith(dir) && path[dir.length] === '/';
}

/** Depth of a relative path: `a` is 1, `a/b` is 2. */
export function depthOf(path: string): number {
  let n = 1;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 47) n++;
  return n;
}

/** Code-unit order: deterministic and locale-free, so plans are stable across machines. */
export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
