import { dirname } from 'node:path';
import type { Entry, Side } from '../core/entry.js';
import type { ConduitRow, ConflictRecord, EntrySummary } from '../db/store.js';
import { isFsError, lstatOrNull, type FileSystem } from '../fs/file-system.js';
import { diffLines, type DiffLine } from './text-diff.js';

/**
 * `GET /api/conflicts/:id/detail`: a conflict as a person choosing a side
 * needs it — where each side's version really is (the root's folder, not
 * only "source"), what each holds now (kind, size, time), and, for small
 * text files, a line diff of the two.
 *
 * Reading is confined to the roots as writing is (issue 8): the conflict's
 * path must be a plain relative path, every directory between the root and
 * the file must be a real directory (not a symbolic link), and the file is
 * opened without following a link. Only regular files up to
 * MAX_DIFF_BYTES are read, so the route never reads a large file.
 */
export const MAX_DIFF_BYTES = 64 * 1024;

export interface SideDetail {
  /** The conduit's root of this side. */
  readonly root: string;
  /** The absolute path of the conflicting entry on this side, and the folder holding it. */
  readonly path: string;
  readonly folder: string;
  /** What the generation that detected the conflict saw there (null: nothing). */
  readonly recorded: EntrySummary | null;
  /** What is there now (null: nothing). */
  readonly current: EntrySummary | null;
}

export interface ConflictDetail {
  readonly id: number;
  readonly conduit: string;
  readonly path: string;
  readonly kind: ConflictRecord['kind'];
  readonly resolution: ConflictRecord['resolution'];
  readonly generation: number;
  readonly detectedAt: string;
  readonly conflictCopy: string | null;
  readonly source: SideDetail;
  readonly target: SideDetail;
  /** Source lines `-`, target lines `+`; null when no diff could be made (see diffUnavailable). */
  readonly diff: { readonly lines: DiffLine[]; readonly truncated: boolean; readonly identical: boolean } | null;
  /** Why there is no diff ("the target's version is larger than 64 KiB", "… is not text"). */
  readonly diffUnavailable: string | null;
}

type Reader = Pick<FileSystem, 'lstat' | 'readText'>;

export async function conflictDetail(fs: Reader, conduit: ConduitRow, conflict: ConflictRecord): Promise<ConflictDetail> {
  const segments = relativeSegments(conflict.path);
  const [source, target] = await Promise.all([
    sideDetail(fs, conduit.source, segments, conflict.source),
    sideDetail(fs, conduit.target, segments, conflict.target),
  ]);
  const texts = await Promise.all([
    readSmallText(fs, 'source', source),
    readSmallText(fs, 'target', target),
  ]);
  const unavailable = texts.find((t): t is { reason: string } => 'reason' in t);
  const [sourceText, targetText] = texts.map((t) => ('text' in t ? t.text : ''));
  return {
    id: conflict.id, conduit: conflict.conduit, path: conflict.path, kind: conflict.kind, resolution: conflict.resolution,
    generation: conflict.generation, detectedAt: conflict.detectedAt, conflictCopy: conflict.conflictCopy,
    source: source.detail, target: target.detail,
    diff: unavailable ? null : diffLines(sourceText ?? '', targetText ?? ''),
    diffUnavailable: unavailable ? unavailable.reason : null,
  };
}

/** The conflict's path as segments; anything but a plain relative path is refused (it comes from the database, but a read must not trust it). */
function relativeSegments(path: string): string[] {
  const segments = path.split('/');
  if (path === '' || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new Error(`conflict path ${JSON.stringify(path)} is not a plain relative path`);
  }
  return segments;
}

interface SideState {
  readonly detail: SideDetail;
  /** The entry now there, when every directory on the way is a real one. */
  readonly entry: Entry | null;
  /** Why the entry cannot be read even if it looks like a file. */
  readonly blocked: string | null;
}

async function sideDetail(fs: Reader, root: string, segments: readonly string[], recorded: EntrySummary | null): Promise<SideState> {
  const path = joinUnder(root, segments);
  let blocked: string | null = null;
  // Every directory between the root (exclusive: a root that is a link is the user's choice) and the entry.
  for (let depth = 1; depth < segments.length && blocked === null; depth++) {
    const ancestor = joinUnder(root, segments.slice(0, depth));
    const entry = await lstatOrNull(fs, ancestor);
    if (entry === null) blocked = `'${ancestor}' is gone`;
    else if (entry.kind !== 'dir') blocked = `'${ancestor}' is ${entry.kind === 'symlink' ? 'a symbolic link' : `not a directory`}`;
  }
  const entry = blocked === null ? await lstatOrNull(fs, path) : null;
  const detail: SideDetail = { root, path, folder: dirname(path), recorded, current: entry === null ? null : summaryOf(entry) };
  return { detail, entry, blocked };
}

async function readSmallText(fs: Reader, side: Side, state: SideState): Promise<{ text: string } | { reason: string }> {
  const { entry } = state;
  if (state.blocked !== null) return { reason: `the ${side}'s version is not read: ${state.blocked}` };
  if (entry === null) return { text: '' };
  if (entry.kind !== 'file') return { reason: `the ${side}'s version is ${entry.kind === 'dir' ? 'a directory' : entry.kind === 'symlink' ? 'a symbolic link' : 'unreadable'}` };
  if (entry.size > MAX_DIFF_BYTES) return { reason: `the ${side}'s version is larger than ${MAX_DIFF_BYTES / 1024} KiB` };
  let text: string;
  try {
    // RACE: a directory on the way may be swapped for a link between the checks above and this open; the
    // open does not follow a link at the last component, and what is read is only shown, never written.
    text = await fs.readText(state.detail.path);
  } catch (error) {
    return { reason: `the ${side}'s version could not be read (${error instanceof Error ? error.message : String(error)})` };
  }
  if (text.length > MAX_DIFF_BYTES) return { reason: `the ${side}'s version is larger than ${MAX_DIFF_BYTES / 1024} KiB` };
  if (text.includes('\u0000') || text.includes('\uFFFD')) return { reason: `the ${side}'s version is not text` };
  return { text };
}

function joinUnder(root: string, segments: readonly string[]): string {
  return `${root.replace(/\/+$/, '')}/${segments.join('/')}`;
}


function summaryOf(entry: Entry): EntrySummary {
  if (entry.kind === 'problem') return { kind: 'problem', size: 0, mtime: '' };
  return {
    kind: entry.kind,
    size: entry.kind === 'file' ? entry.size : 0,
    mtime: new Date(Number(entry.mtimeNs / 1_000_000n)).toISOString(),
  };
}
