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

/**
 * Existing conflict copies of `path` by `loser` in the same directory, any
 * timestamp: `<stem>.conflict-<loser>-<ts>[-n]<ext>`. Used to avoid a second
 * identical copy when the same conflict is met again.
 */
export function conflictCopyMatcher(path: string, loser: Side): (candidate: string) => boolean {
  const dir = posix.dirname(path);
  const base = posix.basename(path);
  const ext = posix.extname(base);
  const stem = ext ? base.slice(0, -ext.length) : base;
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`^${esc(stem)}\\.conflict-${loser}-\\d{8}T\\d{6}Z(-\\d+)?${esc(ext)}$`);
  return (candidate) => (posix.dirname(candidate) === dir) && re.test(posix.basename(candidate));
}
