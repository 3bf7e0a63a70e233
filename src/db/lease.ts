/**
 * Conduit leases (SPEC §4, last paragraph; DESIGN "Ownership is a lease
 * row"): who may act for a conduit right now, across processes and hosts.
 * One row per (conduit, kind) in `conduit_lease`:
 *
 * - `generation`: held by whoever runs a generation of the conduit (CLI
 *   `run`, `serve`'s scheduler, an API request). One generation per conduit
 *   at a time, whatever process or host asks.
 * - `service`: held by the `serve` process that schedules and watches the
 *   conduit; a second `serve` on the same database leaves it alone until that
 *   lease is released or expires.
 *
 * A lease is taken and renewed in a write transaction, expires `ttlMs` after
 * its last heartbeat, and carries a fencing token that grows on every
 * acquire (the row stays after release, so the token never goes back). A
 * generation's commit is accepted only while its token is still the current
 * one (Kleppmann's fencing token): a holder that stalled past its expiry and
 * was taken over cannot record over its successor.
 *
 * Times are UTC ISO-8601 strings from the database's clock, so hosts with
 * skewed clocks agree on expiry; a process's liveness (its pid) is consulted
 * only by a process in the same pid namespace on the same boot.
 */

export const LEASE_KINDS = ['generation', 'service'] as const;
export type LeaseKind = (typeof LEASE_KINDS)[number];

/** The process that holds (or asks for) a lease. */
export interface LeaseHolder {
  /** Random per process: two processes never share it, whatever their pids and hosts. */
  readonly id: string;
  readonly pid: number;
  /** os.hostname(), for people to read. */
  readonly host: string;
  /** Boot and pid namespace: only a holder in the same pid space can be checked for liveness by pid. */
  readonly pidSpace: string;
}

/** What a generation carries to prove, at its commit, that the lease is still its own. */
export interface LeaseFence {
  readonly conduitId: number;
  readonly kind: LeaseKind;
  readonly token: number;
  readonly holderId: string;
}

/** Someone else's live lease, as the busy message names it. */
export interface LeaseHolderView {
  readonly conduitId: number;
  readonly conduit: string;
  readonly kind: LeaseKind;
  readonly token: number;
  readonly pid: number | null;
  readonly host: string | null;
  readonly acquiredAt: string | null;
  readonly expiresAt: string | null;
  /** The generation (id) it runs, for a `generation` lease. */
  readonly generationId: number | null;
  /** The holder is this very process. */
  readonly self: boolean;
}

export type LeaseAcquisition =
  | { readonly acquired: true; readonly fence: LeaseFence; readonly expiresAt: string; readonly tookOverFrom: LeaseHolderView | null }
  | { readonly acquired: false; readonly holder: LeaseHolderView };

/** A lease row as stored. */
export interface LeaseRecord {
  readonly conduitId: number;
  readonly kind: LeaseKind;
  readonly token: number;
  readonly holderId: string | null;
  readonly holderPid: number | null;
  readonly holderHost: string | null;
  readonly holderPidSpace: string | null;
  readonly acquiredAt: string | null;
  readonly heartbeatAt: string | null;
  readonly expiresAt: string | null;
  readonly generationId: number | null;
}

/** Why a lease row does not (or does) keep others out, judged at `now` (ISO) by `asker`. */
export type LeaseState = 'free' | 'expired' | 'holder_gone' | 'live';

/**
 * Whether a lease keeps `asker` out at `now`. A released lease is free; one
 * past its expiry is expired. A holder in the asker's pid space whose pid no
 * longer exists died without releasing (kill -9): its lease is as good as
 * expired, so a takeover need not wait out the TTL. Across hosts only the
 * expiry counts.
 *
 * RACE: a pid reused by another process makes a dead holder look alive; the
 * lease then lasts until its expiry, which errs the safe way.
 */
export function leaseState(
  lease: Pick<LeaseRecord, 'holderId' | 'holderPid' | 'holderPidSpace' | 'expiresAt'>,
  now: string,
  asker: LeaseHolder,
  isAlive: (pid: number | null) => boolean,
): LeaseState {
  if (lease.holderId === null) return 'free';
  if (lease.expiresAt === null || lease.expiresAt <= now) return 'expired';
  if (lease.holderId !== asker.id && lease.holderPidSpace === asker.pidSpace && !isAlive(lease.holderPid)) return 'holder_gone';
  return 'live';
}

/** "since 06:57:19Z" today, "since 2026-11-30 06:57:19Z" on another day (UTC). */
function since(acquiredAt: string | null, now: Date): string {
  if (acquiredAt === null) return '';
  const day = acquiredAt.slice(0, 10);
  const time = `${acquiredAt.slice(11, 19)}Z`;
  return ` since ${day === now.toISOString().slice(0, 10) ? time : `${day} ${time}`}`;
}

/** One line naming the holder: "conduit m1 is running in pid 4242 on host h1 since 06:57:19Z". */
export function describeHolder(holder: LeaseHolderView, now: Date = new Date()): string {
  const where = `pid ${holder.pid ?? '?'} on host ${holder.host ?? '?'}${holder.self ? ' (this process)' : ''}`;
  const what = holder.kind === 'generation' ? 'is running in' : 'is served by';
  return `conduit ${holder.conduit} ${what} ${where}${since(holder.acquiredAt, now)}`;
}

/**
 * Another process holds the conduit's lease: nothing was started or changed.
 * The CLI prints the message and exits 4 (`EXIT.busy`); the API answers 409.
 */
export class ConduitBusyError extends Error {
  constructor(readonly holder: LeaseHolderView) {
    super(describeHolder(holder));
    this.name = 'ConduitBusyError';
  }
}

export function isConduitBusy(error: unknown): error is ConduitBusyError {
  return error instanceof ConduitBusyError;
}
