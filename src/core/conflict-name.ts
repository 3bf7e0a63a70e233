import { posix } from 'node:path';
import type { Side } from './entry.js';

/**
 * Conflict-copy names (SPEC §2.2): `<stem>.conflict-<side>-<YYYYMMDDTHHMMSSZ><ext>`,
 * where `<side>` is the side whose version lost, the timestamp is the
 * generation's start in UTC, and stem/ext split as `path.extname` does
 * (`a.tar.gz` → `a.tar` + `.gz`; `.env` → `.env` + ``). A taken name gets
 * `-2`, `-3`… appended to the timestamp.
 */

/** `2026-11-22T10:15:00.123Z` → `20261122T101500Z`. */
export function conflictStamp(startedAt: Date): string {
  return startedAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

export function conflictCopyName(path: string, loser: Side, stamp: string, suffix = ''): string {
  const dir = posix.dirname(path);
  const base = posix.basename(path);
  const ext = posix.extname(base);
  const stem = ext ? base.slice(0, -ext.length) : base;
  const name = `${stem}.conflict-${loser}-${stamp}${suffix}${ext}`;
  return dir === '.' ? name : `${dir}/${name}`;
}

/** The first free conflict-copy name for `path`, trying `-2`, `-3`… after the timestamp. */
export function freeConflictCopyName(path: string, loser: Side, stamp: string, taken: (candidate: string) => boolean): string {
  for (let n = 1; ; n++) {
    const candidate = conflictCopyName(path, loser, stamp, n === 1 ? '' : `-${n}`);
    if (!taken(candidate)) return candidate;
  }
}

const CONFLICT_COPY = /\.conflict-(source|target)-\d{8}T\d{6}Z(-\d+)?(\.[^./]*)?$/;

/** True for a path whose name is itself a conflict copy (no copy of a copy is ever made). */
export function isConflictCopy(path: string): boolean {
  return CONFLICT_COPY.test(posix.basename(path));
}

const CONFLICT_MARK = /\.conflict-(?:source|target)-\d{8}T\d{6}Z(?:-\d+)?(\.[^./]*)?$/;

/**
 * The path a conflict copy was made of (`d/a.conflict-target-…Z-2.txt` →
 * `d/a.txt`), whichever side lost and whatever its timestamp or `-n`; null
 * for a path that is not a conflict copy. The inverse of `conflictCopyName`.
 */
export function conflictCopyOrigin(path: string): string | null {
  if (!path.includes('.conflict-')) return null; // the common case, without a regex
  const slash = path.lastIndexOf('/');
  const base = path.slice(slash + 1);
  const m = CONFLICT_MARK.exec(base);
  if (!m || m.index === 0) return null;
  return path.slice(0, slash + 1) + base.slice(0, m.index) + (m[1] ?? '');
}
