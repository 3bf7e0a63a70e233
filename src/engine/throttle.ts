import { FsError, type Throttle } from '../fs/file-system.js';

/** Bytes per second in one megabit per second (SPEC §3: `bandwidthLimitMbps` is megabits). */
export const BYTES_PER_SECOND_PER_MBPS = 125_000;

export interface TokenBucketOptions {
  /** Milliseconds on a monotonic clock; default `performance.now()`. */
  readonly now?: () => number;
  /** Wait `ms`, rejecting early when `signal` aborts; default a timer. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * A token bucket shared by every transfer of one generation: `rate` bytes a
 * second, bursts up to one second's worth.
 *
 * A `take` larger than what the bucket holds is granted at once and leaves
 * the bucket in debt; the caller then sleeps until the debt would be repaid.
 * So a chunk bigger than the burst still passes (no deadlock), and concurrent
 * takers queue behind each other's debt, which keeps the total rate — the
 * limit is for the whole conduit, not per file.
 */
export class TokenBucket implements Throttle {
  readonly bytesPerSecond: number;
  private readonly capacity: number;
  private tokens: number;
  private last: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(mbps: number, options: TokenBucketOptions = {}) {
    if (!Number.isFinite(mbps) || mbps <= 0) throw new RangeError(`bandwidth limit must be a positive number of Mbps, got ${mbps}`);
    this.bytesPerSecond = mbps * BYTES_PER_SECOND_PER_MBPS;
    this.capacity = this.bytesPerSecond;
    this.tokens = this.capacity;
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep ?? sleepWithSignal;
    this.last = this.now();
  }

  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw aborted();
    if (bytes <= 0) return;
    this.refill();
    this.tokens -= bytes;
    if (this.tokens >= 0) return;
    const waitMs = (-this.tokens / this.bytesPerSecond) * 1000;
    try {
      await this.sleep(waitMs, signal);
    } catch (err) {
      // Bytes that will never be sent should not slow down the transfers that are still running.
      this.tokens += bytes;
      if (signal?.aborted) throw aborted();
      throw err;
    }
  }

  private refill(): void {
    const now = this.now();
    const elapsedMs = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.capacity, this.tokens + (elapsedMs / 1000) * this.bytesPerSecond);
  }
}

/** The conduit's `bandwidthLimitMbps`: null means unlimited (no throttle, the kernel copy path). */
export function createThrottle(mbps: number | null, options?: TokenBucketOptions): Throttle | undefined {
  return mbps === null ? undefined : new TokenBucket(mbps, options);
}

function aborted(): FsError {
  return new FsError('ABORTED', 'throttle', '', 'ABORTED: operation aborted while waiting for bandwidth');
}

function sleepWithSignal(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(aborted());
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(aborted());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
