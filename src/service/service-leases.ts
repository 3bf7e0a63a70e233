import type { LeaseFence, LeaseHolder, LeaseHolderView } from '../db/lease.js';
import type { LeaseTiming } from '../db/lease-keeper.js';
import type { ConduitRow, Store } from '../db/store.js';

/**
 * The `service` leases of one `serve` process (src/db/lease.ts): it
 * schedules and watches only the conduits it holds. The enabled conduits
 * another process holds stand by; one heartbeat renews every lease held and
 * asks again for every conduit standing by, each in one transaction (a
 * serve of 10,000 conduits makes two small transactions every 10 s, not
 * 20,000).
 */
export interface ServiceLeaseEvents {
  /** The conduit's lease is ours now (at a heartbeat: its holder released it, died or stalled). */
  gained(name: string, tookOverFrom: LeaseHolderView | null): void;
  /** A heartbeat found our lease taken over (this process stalled past its expiry). */
  lost(name: string): void;
  /** The conduit is held by another process (said once per holder). */
  standingBy(name: string, holder: LeaseHolderView): void;
  /** A heartbeat could not reach the database; the next one tries again. */
  failed(error: unknown): void;
}

export class ServiceLeases {
  private readonly held = new Map<string, LeaseFence>();
  /** Conduit name → id, and the token of the holder last reported. */
  private readonly standby = new Map<string, { id: number; reportedToken: number | null }>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: Store,
    private readonly timing: LeaseTiming,
    private readonly holder: LeaseHolder,
    private readonly events: ServiceLeaseEvents,
  ) {}

  holds(name: string): boolean {
    return this.held.has(name);
  }

  standingBy(): string[] {
    return [...this.standby.keys()];
  }

  /** Asks for the leases of these conduits now; returns the ones held (already or newly). The others stand by. */
  claim(rows: readonly ConduitRow[]): ConduitRow[] {
    const wanted = rows.filter((row) => !this.held.has(row.name));
    const acquired = wanted.length === 0 ? new Map() : this.store.acquireLeases(wanted.map((r) => r.id), 'service', this.holder, this.timing.ttlMs);
    for (const row of wanted) {
      const acquisition = acquired.get(row.id);
      if (!acquisition) continue; // removed meanwhile
      if (acquisition.acquired) {
        this.held.set(row.name, acquisition.fence);
        this.standby.delete(row.name);
        continue;
      }
      const known = this.standby.get(row.name);
      this.standby.set(row.name, { id: row.id, reportedToken: acquisition.holder.token });
      if (known?.reportedToken !== acquisition.holder.token) this.events.standingBy(row.name, acquisition.holder);
    }
    return rows.filter((row) => this.held.has(row.name));
  }

  /** The conduit is removed, disabled or renamed: let its lease go, stop asking for it. */
  forget(name: string): void {
    this.standby.delete(name);
    const fence = this.held.get(name);
    if (!fence) return;
    this.held.delete(name);
    this.releaseQuietly([fence]);
  }

  start(): void {
    this.timer = setInterval(() => this.heartbeat(), this.timing.renewEveryMs);
    // The HTTP server keeps serve alive; the heartbeat alone must not.
    this.timer.unref();
  }

  /** Stops the heartbeat and releases every lease held: another serve may take the conduits over at once. */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.releaseQuietly([...this.held.values()]);
    this.held.clear();
    this.standby.clear();
  }

  private heartbeat(): void {
    try {
      const fences = [...this.held.entries()];
      if (fences.length > 0) {
        const { lost } = this.store.renewLeases(fences.map(([, fence]) => fence), this.timing.ttlMs);
        const lostTokens = new Set(lost);
        for (const [name, fence] of fences) {
          if (!lostTokens.has(fence)) continue;
          this.held.delete(name);
          // Stand by: should its new holder go, the conduit comes back here.
          this.standby.set(name, { id: fence.conduitId, reportedToken: null });
          this.events.lost(name);
        }
      }
      this.askAgain();
    } catch (error) {
      // RACE: the database was busy past its timeout. Should our leases expire meanwhile and be
      // taken over, the next heartbeat says so (lost), and a generation's fenced commit refuses it.
      this.events.failed(error);
    }
  }

  private askAgain(): void {
    if (this.standby.size === 0) return;
    const waiting = [...this.standby.entries()];
    const acquired = this.store.acquireLeases(waiting.map(([, s]) => s.id), 'service', this.holder, this.timing.ttlMs);
    for (const [name, s] of waiting) {
      const acquisition = acquired.get(s.id);
      if (!acquisition) {
        this.standby.delete(name); // removed
        continue;
      }
      if (!acquisition.acquired) {
        if (s.reportedToken !== acquisition.holder.token) this.events.standingBy(name, acquisition.holder);
        s.reportedToken = acquisition.holder.token;
        continue;
      }
      this.standby.delete(name);
      this.held.set(name, acquisition.fence);
      this.events.gained(name, acquisition.tookOverFrom);
    }
  }

  private releaseQuietly(fences: LeaseFence[]): void {
    if (fences.length === 0) return;
    try {
      this.store.releaseLeases(fences);
    } catch {
      // Busy or closed: the leases expire by themselves after one TTL.
    }
  }
}
