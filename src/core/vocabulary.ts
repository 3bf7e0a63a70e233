/**
 * The one vocabulary of conduit: every enum the code, the columns, the API
 * JSON, the CLI and the admin page share is a string-literal union defined
 * here, once, with the list of its values for validation.
 */

export const MODES = ['mirror', 'bidirectional', 'selective'] as const;
export type Mode = (typeof MODES)[number];

export const CONFLICT_POLICIES = ['keep-both', 'newer', 'source', 'target', 'manual'] as const;
export type ConflictPolicy = (typeof CONFLICT_POLICIES)[number];

/**
 * `pending`: the last generation completed but some paths did not land (skipped or failed; the next one retries them).
 * `unreachable`: a remote root's host could not be reached (issue 10); the reason is the conduit's last error, and it is
 * retried with backoff (`attemptCount`, `nextAttemptAt`).
 */
export const CONDUIT_STATES = ['never_synced', 'syncing', 'current', 'pending', 'failed', 'waiting_for_source', 'unreachable', 'disabled'] as const;
export type ConduitState = (typeof CONDUIT_STATES)[number];

export const GENERATION_STATUSES = ['running', 'completed', 'completed_with_errors', 'failed', 'refused', 'interrupted'] as const;
export type GenerationStatus = (typeof GENERATION_STATUSES)[number];

export const TRIGGERS = ['manual', 'schedule', 'watch', 'api'] as const;
export type Trigger = (typeof TRIGGERS)[number];

/** `failed:<reason>` carries the reason after the colon. */
export type VerificationStatus = 'unverified' | 'waiting_watcher' | 'verified' | `failed:${string}`;

export const EVENT_ACTIONS = ['copy', 'delete', 'mkdir', 'rmdir', 'symlink', 'conflict_copy', 'skip', 'error'] as const;
export type EventAction = (typeof EVENT_ACTIONS)[number];

export const CONFLICT_KINDS = ['both_modified', 'modify_delete', 'type_change', 'first_sync_differs'] as const;
export type ConflictKind = (typeof CONFLICT_KINDS)[number];

export const RESOLUTIONS = ['kept_both', 'accepted_source', 'accepted_target', 'unresolved', 'dismissed'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

/**
 * How much attention a conflict needs: `low` nothing was lost (both versions
 * kept), `medium` a policy chose one version over the other, `high` it waits
 * for a person (`manual`).
 */
export const SEVERITIES = ['low', 'medium', 'high'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * Exit codes of the CLI (SPEC §11), plus `busy`: another process holds the
 * conduit's lease, nothing was run. A run stopped by a signal exits 128 + its
 * number (130 SIGINT, 143 SIGTERM), as shells expect.
 */
export const EXIT = { ok: 0, failed: 1, badInput: 2, refused: 3, busy: 4 } as const;
