import { changedSinceBaseline, comparePaths, type Baseline, type Entry, type Side, type Snapshot } from '../entry.js';
import type { ConflictPolicy, Mode } from '../vocabulary.js';

export interface ReconcileInput {
  readonly mode: Mode;
  /** Used by `bidirectional`; one-way modes ignore it. */
  readonly policy: ConflictPolicy;
  readonly baseline: Baseline;
  readonly source: Snapshot;
  readonly target: Snapshot;
  /** Conflict-copy timestamp, `YYYYMMDDTHHMMSSZ` of the generation's start. */
  readonly stamp: string;
  /** `checksum: true`: a file changed when its content hash differs (entries and baseline carry hashes). */
  readonly checksum?: boolean;
}

/**
 * The input as reconcile's steps read it: every path of the baseline and of
 * both sides once, in sorted order; each side's entry at a path; and whether
 * a side changed there since the baseline.
 */
export class Sides {
  readonly paths: readonly string[];

  constructor(readonly input: ReconcileInput) {
    const all = new Set<string>(input.baseline.keys());
    for (const p of input.source.keys()) all.add(p);
    for (const p of input.target.keys()) all.add(p);
    this.paths = [...all].sort(comparePaths);
  }

  snapshot(side: Side): Snapshot {
    return side === 'source' ? this.input.source : this.input.target;
  }

  entry(side: Side, path: string): Entry | undefined {
    return this.snapshot(side).get(path);
  }

  changed(side: Side, path: string): boolean {
    const e = this.entry(side, path);
    const b = this.input.baseline.get(path);
    if (this.input.checksum && e?.kind === 'file' && b?.kind === 'file' && e.hash !== undefined && b.hash !== null) {
      return e.size !== b.size || e.hash !== b.hash || e.mode !== b[side].mode;
    }
    return changedSinceBaseline(e, b, side);
  }
}
