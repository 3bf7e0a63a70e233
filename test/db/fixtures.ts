import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConduitSpec } from '../../src/config/conduit-spec.js';
import type { BaselineEntry } from '../../src/core/entry.js';
import type { GenerationCommit, GenerationCounters } from '../../src/db/store.js';

/** A fresh temporary folder for one test's database; `cleanup` removes it. */
export function tempDir(): { dir: string; db: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'conduit-db-'));
  return { dir, db: join(dir, 'nested', 'conduit.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function conduitSpec(overrides: Partial<ConduitSpec> = {}): ConduitSpec {
  return {
    name: 'photos',
    source: '/data/photos',
    target: '/backup/photos',
    mode: 'mirror',
    schedule: 'manual',
    enabled: true,
    include: [],
    exclude: ['*.tmp'],
    useIndexRules: true,
    conflict: 'keep-both',
    parallelTransfers: 4,
    bandwidthLimitMbps: null,
    maxDeletePercent: 50,
    checksum: false,
    versioning: null,
    verifyTimeoutSeconds: 30,
    sshCommand: null,
    remoteCommand: null,
    ...overrides,
  };
}

export const ZERO_COUNTERS: GenerationCounters = {
  filesCopied: 0, filesDeleted: 0, dirsCreated: 0, dirsDeleted: 0,
  conflicts: 0, conflictsResolved: 0, bytesTransferred: 0, errorsEncountered: 0,
};

/** A commit that changes nothing but the status: tests override what they exercise. */
export function commitOf(conduitId: number, generationId: number, overrides: Partial<GenerationCommit> = {}): GenerationCommit {
  return {
    conduitId,
    generationId,
    status: 'completed',
    completedAt: '2026-01-01T00:01:00.000Z',
    counters: ZERO_COUNTERS,
    errorMessage: null,
    verificationStatus: 'unverified',
    events: [],
    conflicts: [],
    baselineUpserts: new Map(),
    baselineDeletes: [],
    conduitState: 'current',
    lastSyncError: null,
    countsTowardTotals: true,
    ...overrides,
  };
}

export function fileEntry(size: number, sourceMtimeNs: bigint, targetMtimeNs = sourceMtimeNs): BaselineEntry {
  return {
    kind: 'file', size, hash: null, linkTarget: null,
    source: { mtimeNs: sourceMtimeNs, mode: 0o644 }, target: { mtimeNs: targetMtimeNs, mode: 0o600 },
  };
}
