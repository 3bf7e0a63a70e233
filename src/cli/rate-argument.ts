import { UsageError } from './usage-error.js';

/**
 * `--bwlimit <rate>` as rsync and rclone read it: a plain number is KiB/s
 * (rsync's unit), a `K`, `M` or `G` suffix (either case) is KiB/s, MiB/s or
 * GiB/s — `10M` is 10 MiB/s, 10,485,760 bytes a second. `0` means no limit
 * (rsync's `--bwlimit=0`). Returned in conduit's stored unit, megabits per
 * second (`bandwidthLimitMbps`: 10M is 83.886 Mbit/s), or null for no limit.
 */
const RATE_TEXT = /^([0-9]+(?:\.[0-9]+)?|\.[0-9]+)([KMGkmg]?)$/;
const BYTES_PER_UNIT: Record<string, number> = { '': 1024, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

export function bwlimitToMbps(flag: string, text: unknown): number | null {
  const m = typeof text === 'string' ? RATE_TEXT.exec(text) : null;
  if (!m) throw new UsageError(`${flag}: expected a rate in KiB/s, or with a K, M or G suffix (500, 10M, 1.5G), got ${JSON.stringify(String(text))}`);
  const bytesPerSecond = Number(m[1]) * BYTES_PER_UNIT[m[2]!.toLowerCase()]!;
  return bytesPerSecond === 0 ? null : (bytesPerSecond * 8) / 1e6;
}

/** A stored limit for people: `83.886 Mbit/s (10.0 MiB/s)`. */
export function describeMbps(mbps: number): string {
  const bytesPerSecond = (mbps * 1e6) / 8;
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytesPerSecond;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number(mbps.toFixed(3))} Mbit/s (${value.toFixed(1)} ${units[unit]}/s)`;
}
