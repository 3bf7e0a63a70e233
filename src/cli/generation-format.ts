import type { ConflictRecord, GenerationEventRecord, GenerationRecord } from '../db/store.js';
import { bytes, table, when } from './format.js';

/** Text views of generations, events and conflicts for people at a terminal. */

function duration(record: GenerationRecord): string {
  if (!record.completedAt) return '-';
  const ms = Date.parse(record.completedAt) - Date.parse(record.startedAt);
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** `refused ×22, last at 2026-12-01 10:41:19Z` for a refusal repeated on one record; else the status. */
export function statusText(record: GenerationRecord): string {
  return record.repeatCount > 1 ? `${record.status} ×${record.repeatCount}, last at ${when(record.lastRepeatedAt)}` : record.status;
}

/**
 * A generation in a few lines. A refusal's reason is its error message (and
 * its one `errors` entry): shown once, or not at all with `reasonOnStderr`
 * (`run` writes it to stderr instead, so it is read once).
 */
export function generationSummary(record: GenerationRecord, options: { reasonOnStderr?: boolean } = {}): string {
  const lines = [
    `${record.conduit} generation ${record.generation}: ${statusText(record)}${record.dryRun ? ' (dry run)' : ''}`,
    `  trigger ${record.trigger}, started ${when(record.startedAt)}, took ${duration(record)}`,
    `  copied ${record.filesCopied}, deleted ${record.filesDeleted}, dirs +${record.dirsCreated}/-${record.dirsDeleted}, ` +
      `conflicts ${record.conflicts} (resolved ${record.conflictsResolved}), ${bytes(record.bytesTransferred)}`,
    `  verification ${record.verificationStatus}`,
  ];
  if (record.status === 'refused') {
    if (!options.reasonOnStderr && record.errorMessage) lines.push(`  refused: ${record.errorMessage}`);
    return lines.join('\n');
  }
  if (record.errorMessage) lines.push(`  error: ${record.errorMessage}`);
  for (const e of record.errors.slice(0, 10)) lines.push(`  ! ${e.op} ${e.path}: ${e.message}`);
  if (record.errors.length > 10) lines.push(`  … and ${record.errors.length - 10} more errors (conduit show-generation ${record.conduit} ${record.generation})`);
  return lines.join('\n');
}

export function historyTable(records: readonly GenerationRecord[]): string {
  return table(
    ['GEN', 'TRIGGER', 'STATUS', 'COPIED', 'DELETED', 'CONFLICTS', 'BYTES', 'DURATION', 'STARTED', 'VERIFICATION'],
    records.map((r) => [
      String(r.generation) + (r.dryRun ? ' (dry)' : ''), r.trigger, statusText(r), String(r.filesCopied), String(r.filesDeleted),
      String(r.conflicts), bytes(r.bytesTransferred), duration(r), when(r.startedAt), r.verificationStatus,
    ]),
  );
}

export function eventsTable(events: readonly GenerationEventRecord[]): string {
  if (events.length === 0) return '  (no per-file events)';
  return table(['ACTION', 'SIDE', 'PATH', 'BYTES', 'MESSAGE'], events.map((e) => [
    e.action, e.side ?? '-', e.path || '(root)', e.bytes ? bytes(e.bytes) : '', e.message ?? '',
  ]));
}

export function conflictsTable(conflicts: readonly ConflictRecord[]): string {
  return table(['ID', 'CONDUIT', 'PATH', 'KIND', 'RESOLUTION', 'GEN', 'DETECTED', 'COPY'], conflicts.map((c) => [
    String(c.id), c.conduit, c.path, c.kind, c.resolution, String(c.generation), when(c.detectedAt), c.conflictCopy ?? '',
  ]));
}
