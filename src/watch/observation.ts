import type { Entry, Side } from '../core/entry.js';

/**
 * What the watcher saw at one path when it looked (an lstat right after the
 * event): plain values, so the aggregator and the verifier can judge
 * observations without touching the disk.
 */
export type ObservedState =
  | { readonly kind: 'file'; readonly size: number; readonly mtimeNs: bigint }
  | { readonly kind: 'dir' }
  | { readonly kind: 'symlink' }
  | { readonly kind: 'absent' }
  /** lstat failed for another reason than "gone": we know something happened, not what. */
  | { readonly kind: 'unknown' };

/** One path of one side of a conduit, as the watcher reported it. */
export interface Observation {
  readonly side: Side;
  /** Relative POSIX path under the side's root (never empty). */
  readonly path: string;
  readonly state: ObservedState;
}

/** The state a landed entry (what a generation wrote; null = deleted) should be observed in. */
export function expectedState(entry: Entry | null): ObservedState {
  if (entry === null) return { kind: 'absent' };
  switch (entry.kind) {
    case 'file': return { kind: 'file', size: entry.size, mtimeNs: entry.mtimeNs };
    case 'dir': return { kind: 'dir' };
    case 'symlink': return { kind: 'symlink' };
    case 'problem': return { kind: 'unknown' };
  }
}

/**
 * Whether an observation shows exactly what was expected. Files compare size
 * and the exact mtime (the value lstat reported right after the write, so no
 * cross-side slack is needed); directories and links compare kind only (a
 * directory's mtime moves with its contents). `unknown` never matches.
 */
export function sameState(observed: ObservedState, expected: ObservedState): boolean {
  if (observed.kind === 'unknown' || expected.kind === 'unknown') return false;
  if (observed.kind !== expected.kind) return false;
  if (observed.kind === 'file' && expected.kind === 'file') return observed.size === expected.size && observed.mtimeNs === expected.mtimeNs;
  return true;
}

export function describeState(state: ObservedState): string {
  switch (state.kind) {
    case 'file': return `file of ${state.size} bytes, mtime ${state.mtimeNs}ns`;
    case 'absent': return 'absent';
    default: return state.kind;
  }
}

export function observationKey(side: Side, path: string): string {
  return `${side}:${path}`;
}
