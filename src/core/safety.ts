import type { Baseline, Snapshot, Side } from './entry.js';
import type { Plan } from './plan.js';

/**
 * The guards of SPEC §4 as small predicates over plain values. The engine
 * asks them before any transfer; a refusal changes nothing.
 */

export type RootCondition = 'ok' | 'missing' | 'not_a_directory' | 'unreadable';

/** Number of files (and links) the baseline says a side held at the end of the previous generation. */
export function baselineFileCount(baseline: Baseline): number {
  let n = 0;
  for (const e of baseline.values()) if (e.kind !== 'dir') n++;
  return n;
}

export function fileCount(snapshot: Snapshot): number {
  let n = 0;
  for (const e of snapshot.values()) if (e.kind === 'file' || e.kind === 'symlink') n++;
  return n;
}

/**
 * A root that is gone or unreadable never syncs (an unmounted drive must not
 * look like "everything was deleted"); `--force` does not override this.
 */
export function rootUnavailable(side: Side, condition: RootCondition, message?: string): string | null {
  if (condition === 'ok') return null;
  const what = condition === 'missing' ? 'is missing' : condition === 'not_a_directory' ? 'is not a directory' : 'is unreadable';
  return `${side} root ${what}${message ? ` (${message})` : ''}`;
}

/** A root that exists but holds nothing (after filters) while the baseline holds files for it: refused unless forced. */
export function rootEmptied(side: Side, snapshot: Snapshot, baseline: Baseline): string | null {
  return rootEmptiedOf(side, snapshot.size, baselineFileCount(baseline));
}

/** `rootEmptied` from counts: the entries the side holds in scope now, the files and links it held at the last generation. */
export function rootEmptiedOf(side: Side, inScope: number, held: number): string | null {
  if (inScope > 0) return null;
  return held > 0 ? `${side} root is empty but held ${held} files at the last generation (unmounted?); run with --force if the deletion is intended` : null;
}

/**
 * Files and links a plan removes from `side`, including a file replaced by a
 * directory (its `clear` delete). Conflict copies keep their bytes and do not count.
 */
export function plannedDeletes(plan: Plan, side: Side): number {
  let n = 0;
  for (const a of plan.actions) if (a.op === 'delete' && a.side === side) n++;
  return n;
}

/**
 * More than `maxDeletePercent` of the files a side held would go. "Held" is
 * the count at the end of the previous generation (the baseline); before the
 * first generation it is what the side holds now.
 */
export function tooManyDeletes(
  plan: Plan,
  side: Side,
  snapshot: Snapshot,
  baseline: Baseline,
  maxDeletePercent: number,
): string | null {
  if (plannedDeletes(plan, side) === 0) return null;
  return tooManyDeletesOf(plan, side, baseline.size > 0 ? baselineFileCount(baseline) : fileCount(snapshot), maxDeletePercent);
}

/**
 * `tooManyDeletes` from the count of files `side` held: the baseline's files
 * and links, or, before the first generation, what the side holds now
 * (`fileCount` of its snapshot: then every entry is in it).
 */
export function tooManyDeletesOf(plan: Plan, side: Side, held: number, maxDeletePercent: number): string | null {
  const deletes = plannedDeletes(plan, side);
  if (deletes === 0) return null;
  if (held === 0) return null;
  if (deletes * 100 <= held * maxDeletePercent) return null;
  const pct = Math.round((deletes * 100) / held);
  return `would delete ${deletes} of ${held} files on the ${side} (${pct}% > maxDeletePercent ${maxDeletePercent}); run with --force to allow it once`;
}

/**
 * Source and target are the same directory, or one contains the other
 * (SPEC §4): syncing would feed a side into itself. Paths are absolute and
 * normalised; the config layer also compares real paths when a conduit is saved.
 */
export function rootsOverlap(source: string, target: string): string | null {
  const strip = (p: string) => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p);
  const s = strip(source);
  const t = strip(target);
  if (s === t) return `source and target are the same directory (${s})`;
  if (t.startsWith(s === '/' ? '/' : `${s}/`)) return `the target ${t} is inside the source ${s}`;
  if (s.startsWith(t === '/' ? '/' : `${t}/`)) return `the source ${s} is inside the target ${t}`;
  return null;
}
