import type { RunningGeneration } from '../service/conduit-service.js';

/**
 * What a running generation's progress means to a person watching it: how
 * far it is (percent), how fast it goes now (not the whole-run average the
 * service reports, which a slow scan drags down), and how long it still
 * needs. The live events and the overview route add these to the progress
 * the service publishes, so every client shows the same numbers.
 */
export interface ProgressEstimate {
  /** 0–100, by bytes when there are bytes to move, else by actions; null while the plan is not known yet (scanning). */
  readonly percent: number | null;
  /** Bytes per second over the last few seconds. */
  readonly currentRate: number;
  /** Seconds until done at the current pace; null when it cannot be told yet. */
  readonly etaSeconds: number | null;
}

/** The current rate looks this far back. */
const WINDOW_MS = 10_000;
/** A window shorter than this says little: the service's average is used instead. */
const MIN_SPAN_MS = 500;

interface Sample {
  readonly at: number;
  readonly bytes: number;
  readonly actions: number;
}

export class ProgressEstimator {
  private readonly windows = new Map<string, { generation: number; samples: Sample[] }>();
  /** Every connection sends the same event object: it is estimated once, when first seen. */
  private readonly memo = new WeakMap<object, ProgressEstimate>();

  /** The estimate for `progress` observed at `at` (ms); the same object always gets the same answer. */
  estimate(progress: RunningGeneration, at: number): ProgressEstimate {
    const known = this.memo.get(progress);
    if (known) return known;
    let window = this.windows.get(progress.conduit);
    if (!window || window.generation !== progress.generation) {
      window = { generation: progress.generation, samples: [] };
      this.windows.set(progress.conduit, window);
    }
    const samples = window.samples;
    samples.push({ at, bytes: progress.bytesDone, actions: progress.actionsDone });
    while (samples.length > 2 && samples[0]!.at < at - WINDOW_MS) samples.shift();
    const estimate = estimateFrom(progress, samples);
    this.memo.set(progress, estimate);
    return estimate;
  }

  /** The generation ended: its samples are of no further use. */
  finished(conduit: string): void {
    this.windows.delete(conduit);
  }
}

/** Pure: the estimate from the progress and the samples of the window (oldest first, the last is now). */
export function estimateFrom(progress: RunningGeneration, samples: readonly Sample[]): ProgressEstimate {
  const first = samples[0];
  const last = samples[samples.length - 1];
  const span = first && last ? last.at - first.at : 0;
  const windowRate = span >= MIN_SPAN_MS && first && last ? ((last.bytes - first.bytes) * 1000) / span : null;
  const currentRate = Math.max(0, Math.round(windowRate ?? progress.rate));
  const byBytes = progress.bytesTotal > 0;
  const percent = byBytes
    ? clampPercent((100 * progress.bytesDone) / progress.bytesTotal)
    : progress.actionsTotal > 0 ? clampPercent((100 * progress.actionsDone) / progress.actionsTotal) : null;
  let etaSeconds: number | null = null;
  if (byBytes && currentRate > 0) {
    etaSeconds = Math.max(0, Math.ceil((progress.bytesTotal - progress.bytesDone) / currentRate));
  } else if (!byBytes && progress.actionsTotal > 0 && span >= MIN_SPAN_MS && first && last && last.actions > first.actions) {
    const actionRate = ((last.actions - first.actions) * 1000) / span;
    etaSeconds = Math.max(0, Math.ceil((progress.actionsTotal - progress.actionsDone) / actionRate));
  }
  if (percent === 100) etaSeconds = 0;
  return { percent, currentRate, etaSeconds };
}

function clampPercent(value: number): number {
  return Math.min(100, Math.max(0, Math.floor(value * 10) / 10));
}
