import type { ConduitRow, GenerationRecord, PendingPathRecord } from '../db/store.js';
import { remoteRootOf } from '../config/roots.js';
import { DEFAULT_REMOTE_COMMAND, DEFAULT_SSH_COMMAND } from '../remote/link/link-source.js';
import { authorityOf } from '../remote/root-url.js';
import { describeMbps } from './rate-argument.js';

/** Text output a person reads at a glance. (`--json` output comes from src/service/views.ts.) */

/** Columns padded to their widest cell; the last column is not padded. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** `2026-11-23 04:59:51Z`, or `never`. */
export function when(timestamp: string | null): string {
  if (timestamp === null) return 'never';
  const date = new Date(timestamp);
  return Number.isNaN(date.getTime()) ? timestamp : `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** Local date and time with the zone's offset, `2026-12-01 16:09:16 +05:30` (a time a person acts on: when conduit tries again). */
export function localTime(timestamp: string): string {
  const date = new Date(timestamp);
  if (Number.isNaN(date.getTime())) return timestamp;
  const pad = (n: number) => String(n).padStart(2, '0');
  const minutes = -date.getTimezoneOffset();
  const offset = `${minutes < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(minutes) / 60))}:${pad(Math.abs(minutes) % 60)}`;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())} ${offset}`;
}

export function bytes(count: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = count;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${count} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export function conduitTable(rows: readonly ConduitRow[]): string {
  return table(
    ['NAME', 'MODE', 'SCHEDULE', 'STATE', 'LAST SYNC', 'GENERATIONS'],
    rows.map((row) => [row.name, row.mode, row.schedule, stateText(row), when(row.lastSyncCompletedAt), String(row.syncGeneration)]),
  );
}

/** `pending (3 paths)`: the state, with how many paths did not land when any did not; `unreachable: <reason>` with its reason. */
function stateText(row: ConduitRow): string {
  if (row.state === 'unreachable') return `unreachable: ${row.lastSyncError ?? 'the remote root\'s host could not be reached'}`;
  return row.pendingPaths > 0 ? `${row.state} (${row.pendingPaths} path${row.pendingPaths === 1 ? '' : 's'} pending)` : row.state;
}

/** How many pending paths `show` lists (the oldest first); `show --json` and the API give them all. */
export const PENDING_SHOWN = 10;

/**
 * Everything about one conduit, as aligned `label  value` lines. `pending`:
 * its oldest pending paths (`show`), each with its reason; a warning for
 * those pending `warnAfter` generations or more.
 */
export function conduitDetails(row: ConduitRow, lastGeneration?: GenerationRecord, pending?: { paths: readonly PendingPathRecord[]; warnAfter: number }): string {
  const list = (values: readonly string[]) => (values.length === 0 ? '(none)' : values.join(', '));
  const lines: [string, string][] = [
    ['name', row.name],
    ['uuid', row.uuid],
    ['source', row.source],
    ['target', row.target],
    ['mode', row.mode],
    ['schedule', row.schedule],
    ['enabled', row.enabled ? 'yes' : 'no'],
    ['state', stateText(row)],
    ['include', list(row.include)],
    ['exclude', list(row.exclude)],
    ['index rules', row.useIndexRules ? 'yes' : 'no'],
  ];
  if (row.mode === 'bidirectional') lines.push(['conflict', row.conflict]);
  lines.push(
    ['parallel', String(row.parallelTransfers)],
    ['bandwidth limit', row.bandwidthLimitMbps === null ? 'none' : describeMbps(row.bandwidthLimitMbps)],
    ['max delete', `${row.maxDeletePercent}%`],
    ['checksum', row.checksum ? 'yes' : 'no'],
    ['versioning', row.versioning === null ? 'off' : `${row.versioning.dir} (keep ${row.versioning.keepDays} days)`],
    ['verify timeout', `${row.verifyTimeoutSeconds}s`],
    ...remoteLines(row),
    ['last sync', when(row.lastSyncCompletedAt)],
    ['generations', String(row.syncGeneration)],
  );
  if (lastGeneration) lines.push(['last generation', generationSummary(lastGeneration)]);
  if (row.lastSyncError !== null) lines.push(['last error', row.lastSyncError]);
  if (row.attemptCount > 0) {
    // Issue 10: the backoff of an unreachable host; a person's `conduit run` does not wait for it.
    const next = row.nextAttemptAt === null ? '' : `, next attempt at ${localTime(row.nextAttemptAt)}`;
    lines.push(['attempts', `attempt ${row.attemptCount}${next} (automatic runs wait; conduit run ${row.name} tries now)`]);
  }
  if (row.offlineHints > 0) {
    lines.push(['offline changes', `${row.offlineHints} path${row.offlineHints === 1 ? '' : 's'} changed here while the host was unreachable (synced when it answers)`]);
  }
  if (row.managedBy !== null) lines.push(['managed by', `${row.managedBy} (edit it there, then SIGHUP the serve)`]);
  if (row.pendingPaths > 0) {
    lines.push(['pending', `${row.pendingPaths} path${row.pendingPaths === 1 ? '' : 's'} pending (did not land; the next generation retries them)`]);
    for (const p of pending?.paths ?? []) {
      const stuck = p.generations >= (pending?.warnAfter ?? Number.POSITIVE_INFINITY);
      lines.push(['', `${stuck ? 'WARNING ' : ''}${p.path}: ${p.reason} (since generation ${p.sinceGeneration}, ${p.generations} generation${p.generations === 1 ? '' : 's'} in a row)`]);
    }
    if ((pending?.paths.length ?? 0) < row.pendingPaths) lines.push(['', `… and ${row.pendingPaths - (pending?.paths.length ?? 0)} more (conduit show --json)`]);
  }
  lines.push(
    ['totals', `${row.totalSyncs} syncs, ${row.filesSynced} files, ${bytes(row.bytesTransferred)}`],
    ['created', when(row.createdAt)],
    ['updated', when(row.updatedAt)],
  );
  const width = Math.max(...lines.map(([label]) => label.length));
  return lines.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}

/** A conduit with a remote root (issue 10): the far host and how it is reached; nothing for a local conduit. */
function remoteLines(row: ConduitRow): [string, string][] {
  const remote = remoteRootOf(row.source) ?? remoteRootOf(row.target);
  if (remote === null) return [];
  return [
    ['remote host', `${authorityOf(remote)} (the ${remoteRootOf(row.source) ? 'source' : 'target'})`],
    ['ssh command', row.sshCommand ?? `default (${DEFAULT_SSH_COMMAND}, or $CONDUIT_SSH_COMMAND)`],
    ['remote command', row.remoteCommand ?? `default (${DEFAULT_REMOTE_COMMAND}, or $CONDUIT_REMOTE_COMMAND)`],
  ];
}

function generationSummary(record: GenerationRecord): string {
  const repeats = record.repeatCount > 1 ? ` ×${record.repeatCount} (last at ${when(record.lastRepeatedAt)})` : '';
  return `#${record.generation} ${record.status}${repeats}${record.dryRun ? ' (dry run)' : ''}, ${record.trigger}, ${when(record.completedAt ?? record.startedAt)}: `
    + `${record.filesCopied} copied, ${record.filesDeleted} deleted, ${record.conflicts} conflicts, ${bytes(record.bytesTransferred)}, ${record.verificationStatus}`;
}
