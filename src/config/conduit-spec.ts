import type { ConflictPolicy, Mode } from '../core/vocabulary.js';

/**
 * A validated conduit definition: what the config file, `conduit add/edit`
 * and the API produce after validation (zod schemas in this folder), with
 * every default filled in and both paths absolute. Defaults live only in this
 * folder. It is not the database row (`ConduitRow`) nor the API's JSON.
 */
export interface ConduitSpec {
  readonly name: string;
  readonly source: string;
  readonly target: string;
  readonly mode: Mode;
  /** `manual` | `instant` | `interval:<n><s|m|h>` | `cron:<5-field expression>` */
  readonly schedule: string;
  readonly enabled: boolean;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly useIndexRules: boolean;
  /** Only meaningful for `bidirectional`; one-way modes store the default. */
  readonly conflict: ConflictPolicy;
  readonly parallelTransfers: number;
  readonly bandwidthLimitMbps: number | null;
  readonly maxDeletePercent: number;
  readonly checksum: boolean;
  readonly versioning: VersioningSpec | null;
  readonly verifyTimeoutSeconds: number;
  /** The ssh command line for a remote root (issue 10); null: the default (`ssh`, or CONDUIT_SSH_COMMAND). */
  readonly sshCommand: string | null;
  /** The command run on the far host; null: the default (`conduit agent`, or CONDUIT_REMOTE_COMMAND). */
  readonly remoteCommand: string | null;
}

export interface VersioningSpec {
  /** Relative to each side's root, or absolute. */
  readonly dir: string;
  readonly keepDays: number;
}
