import type { Action, Outcome } from '../../core/plan.js';
import type { CopyBatches, FileSystem, Throttle } from '../../fs/file-system.js';
import type { RootDirectories } from '../confine.js';

export interface TransferProgress {
  readonly action: Action;
  /** Bytes this action has written so far. */
  readonly bytes: number;
  /** True once per action, when it is finished whatever its outcome. */
  readonly done: boolean;
  /** With `done`: what the action came to. */
  readonly outcome?: Outcome;
}

export interface TransferContext {
  readonly fs: FileSystem;
  /** Absolute roots of the two sides. */
  readonly roots: { readonly source: string; readonly target: string };
  /** The writing conduit's temp token (temp-name.ts): every temporary this run makes carries it. */
  readonly tempToken: string;
  /**
   * Each root's directories as scanned (confine.ts); the mkdirs of this run
   * are recorded into them, so a caller that passes them sees those too.
   * Absent: directories are only required to be real directories, not links.
   */
  readonly directories?: { readonly source: RootDirectories; readonly target: RootDirectories };
  /** At most this many actions of one stage run at once (SPEC §3). */
  readonly parallelTransfers: number;
  /** The conduit's bandwidth limit; copies stream through it when set. */
  readonly throttle?: Throttle;
  /** Stop starting actions: the ones not started yet come back `skipped` / `interrupted`; running ones finish. */
  readonly signal?: AbortSignal;
  /**
   * Also cut copies in flight (SPEC §9: SIGTERM waits at most 10 s). A cut
   * copy's temp is removed and its action comes back `skipped` / `interrupted`.
   */
  readonly cutSignal?: AbortSignal;
  /** SPEC §6: where replaced and deleted files go (relative to each side's root, or absolute), and the generation's stamp. */
  readonly versioning?: { readonly dir: string; readonly stamp: string } | null;
  readonly onProgress?: (progress: TransferProgress) => void;
  /** Random part of temporary names; injectable so tests can name them. */
  readonly randomSuffix?: () => string;
  /**
   * Batched copies of small files (`FileSystem.openCopyBatches`; node: copy
   * workers running the same copy protocol synchronously, ~3x faster per
   * file). Used only when there is no throttle and no versioning; everything
   * else stays here.
   */
  readonly copyPool?: CopyBatches;
}
