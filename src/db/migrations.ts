import { InitialSchema1763870000000 } from '../../migrations/1763870000000-InitialSchema.js';
import { ConduitLease1796112114329 } from '../../migrations/1796112114329-ConduitLease.js';
import { BaselineInodes1796121666714 } from '../../migrations/1796121666714-BaselineInodes.js';
import { ConduitManagedBy1796121939429 } from '../../migrations/1796121939429-ConduitManagedBy.js';
import { GenerationRepeats1796121939441 } from '../../migrations/1796121939441-GenerationRepeats.js';
import { PendingPath1796121939456 } from '../../migrations/1796121939456-PendingPath.js';
import { UnreachableAttempts1796132224324 } from '../../migrations/1796132224324-UnreachableAttempts.js';
import { ConduitSshSettings1796132234412 } from '../../migrations/1796132234412-ConduitSshSettings.js';

/**
 * Every migration, oldest first. A static list rather than a glob so that
 * the build needs no file discovery at run time, and so that
 * src/db/open-store.ts can tell whether one is pending without loading
 * TypeORM (the migration modules import only its types).
 */
export const MIGRATIONS = [
  InitialSchema1763870000000, ConduitLease1796112114329, BaselineInodes1796121666714,
  ConduitManagedBy1796121939429, GenerationRepeats1796121939441, PendingPath1796121939456,
  UnreachableAttempts1796132224324,
  ConduitSshSettings1796132234412,
] as const;

/** The name TypeORM records in its `migrations` table for each migration, oldest first. */
export function migrationNames(): string[] {
  return MIGRATIONS.map((Migration) => new Migration().name);
}
