/**
 * The rate `--progress` shows: bytes per second over the last few seconds
 * (a moving window, as rsync's and rclone's), not the whole run's average,
 * which a slow start or a pause would drag down for the rest of the run.
 * Pure: the caller gives the times.
 */
export class MovingRate {
  private readonly samples: { readonly at: number; readonly done: number }[] = [];

  constructor(private readonly windowMs = 5_000) {}

  /** `done` (bytes, or actions) reached at time `at` (ms). */
  add(at: number, done: number): void {
    this.samples.push({ at, done });
    // Keep one sample at or before the window's start, so the window is always covered.
    while (this.samples.length > 2 && this.samples[1]!.at <= at - this.windowMs) this.samples.shift();
  }

  /** Per second over the window; 0 until two samples are apart in time. */
  perSecond(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at <= first.at) return 0;
    return ((last.done - first.done) * 1000) / (last.at - first.at);
  }
}

/** Seconds left at `rate` per second for `remaining`; null when it cannot be told (no rate yet). */
export function etaSeconds(remaining: number, rate: number): number | null {
  if (remaining <= 0) return 0;
  return rate > 0 ? Math.ceil(remaining / rate) : null;
}

/** `0:07`, `12:34`, `1:02:03`; `--:--` when unknown. */
export function clock(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
