import { ConfigError, describeValue } from '../config/config-error.js';
import { ConduitBusyError, type LeaseFence, type LeaseHolder, type LeaseHolderView, type LeaseKind } from './lease.js';
import { thisProcess } from './lease-holder.js';
import type { Store } from './store.js';

/**
 * Holding a lease (src/db/lease.ts) while work runs: take it, renew it on a
 * heartbeat, notice when it was taken over, let it go.
 *
 * Timing: a lease lives 30 s past its last heartbeat (`CONDUIT_LEASE_TTL_MS`
 * overrides it, for tests) and is renewed every third of that (10 s), so a
 * holder may miss two heartbeats (a busy database, a loaded machine) and
 * still hold it. A holder that dies is replaced at once by a process in the
 * same pid space (its pid is gone) and after at most one TTL by any other.
 */
export interface LeaseTiming {
  readonly ttlMs: number;
  /** Heartbeat period. */
  readonly renewEveryMs: number;
  /** How often a waiter (`run --wait`, a standby `serve`) asks again. */
  readonly pollMs: number;
}

export const DEFAULT_LEASE_TTL_MS = 30_000;
const TTL_ENV = 'CONDUIT_LEASE_TTL_MS';
const MIN_TTL_MS = 100;
const MAX_TTL_MS = 24 * 3_600_000;

/** The lease timing, from `CONDUIT_LEASE_TTL_MS` when set; ConfigError naming the variable when it is not a whole number of ms in range. */
export function leaseTiming(env: NodeJS.ProcessEnv = process.env): LeaseTiming {
  const raw = env[TTL_ENV];
  let ttlMs = DEFAULT_LEASE_TTL_MS;
  if (raw !== undefined && raw !== '') {
    const value = Number(raw);
    if (!/^[0-9]+$/.test(raw) || value < MIN_TTL_MS || value > MAX_TTL_MS) {
      throw new ConfigError(TTL_ENV, `expected a whole number of milliseconds from ${MIN_TTL_MS} to ${MAX_TTL_MS}, got ${describeValue(raw)}`);
    }
    ttlMs = value;
  }
  const third = Math.max(30, Math.floor(ttlMs / 3));
  return { ttlMs, renewEveryMs: third, pollMs: Math.min(1_000, third) };
}

export interface HoldOptions {
  readonly timing?: LeaseTiming;
  readonly holder?: LeaseHolder;
  /** Called once when a heartbeat finds the lease taken over. */
  readonly onLost?: (why: string) => void;
}

/**
 * A lease this process holds, renewed every `renewEveryMs` until `release`.
 * `lost` aborts when a heartbeat finds that another holder took it over (this
 * process stalled past the expiry): the work should stop starting anything,
 * and its fenced commit will be refused anyway.
 */
export class HeldLease {
  private readonly lostController = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private done = false;

  constructor(
    private readonly store: Store,
    readonly fence: LeaseFence,
    readonly timing: LeaseTiming,
    /** Whose lease this process took over (its holder had died or stalled), if anyone's. */
    readonly tookOverFrom: LeaseHolderView | null,
    private readonly onLost?: (why: string) => void,
  ) {
    this.timer = setInterval(() => this.heartbeat(), timing.renewEveryMs);
    // The heartbeat alone must not keep a process alive that has nothing else to do.
    this.timer.unref();
  }

  get lost(): AbortSignal {
    return this.lostController.signal;
  }

  /** Lets the lease go (a lost one is not ours to release). Never throws: a lease not released expires. */
  release(): void {
    if (this.done) return;
    this.done = true;
    clearInterval(this.timer);
    if (this.lost.aborted) return;
    try {
      this.store.releaseLease(this.fence);
    } catch {
      // The database is busy or closed: the lease expires by itself after one TTL.
    }
  }

  private heartbeat(): void {
    if (this.done) return;
    let renewed: string | null;
    try {
      renewed = this.store.renewLease(this.fence, this.timing.ttlMs);
    } catch {
      // RACE: the database was busy past its timeout; the next heartbeat tries again, and should the
      // lease expire meanwhile and be taken over, the fenced commit refuses this holder's results.
      return;
    }
    if (renewed !== null) return;
    this.done = true;
    clearInterval(this.timer);
    const why = 'another process took the lease over (this one stalled past its expiry)';
    this.lostController.abort(`interrupted: ${why}`);
    this.onLost?.(why);
  }
}

/** Takes the lease, or returns who holds it. */
export function tryHoldLease(
  store: Store, conduitId: number, kind: LeaseKind, options: HoldOptions = {},
): HeldLease | { readonly busy: LeaseHolderView } {
  const timing = options.timing ?? leaseTiming();
  const acquisition = store.acquireLease(conduitId, kind, options.holder ?? thisProcess(), timing.ttlMs);
  if (!acquisition.acquired) return { busy: acquisition.holder };
  return new HeldLease(store, acquisition.fence, timing, acquisition.tookOverFrom, options.onLost);
}

/** Takes the lease, or throws ConduitBusyError naming its holder. */
export function holdLease(store: Store, conduitId: number, kind: LeaseKind, options: HoldOptions = {}): HeldLease {
  const held = tryHoldLease(store, conduitId, kind, options);
  if (held instanceof HeldLease) return held;
  throw new ConduitBusyError(held.busy);
}

/**
 * Waits for the lease (`conduit run --wait`): asks every `pollMs` (a timer,
 * not a busy loop) until it is free, expired, or its holder is gone.
 * `onWait` hears about each new holder once. Resolves null when `signal`
 * aborts first.
 */
export async function waitForLease(
  store: Store, conduitId: number, kind: LeaseKind,
  options: HoldOptions & { readonly signal?: AbortSignal; readonly onWait?: (holder: LeaseHolderView) => void } = {},
): Promise<HeldLease | null> {
  const timing = options.timing ?? leaseTiming();
  let lastToken: number | null = null;
  for (;;) {
    if (options.signal?.aborted) return null;
    const held = tryHoldLease(store, conduitId, kind, { ...options, timing });
    if (held instanceof HeldLease) return held;
    if (held.busy.token !== lastToken) {
      lastToken = held.busy.token;
      options.onWait?.(held.busy);
    }
    await pause(timing.pollMs, options.signal);
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
