import { filesToHash } from '../core/content-check.js';
import type { Baseline, Entry, FileEntry, Side, Snapshot } from '../core/entry.js';
import type { Mode } from '../core/vocabulary.js';
import { errorEventMessage } from '../db/error-event.js';
import type { GenerationEventInput } from '../db/store.js';
import { isFsError, type FileSystem, type HashOutcome } from '../fs/file-system.js';

/**
 * SPEC §3: where content must be compared, hash both files, whatever their
 * mtimes (`filesToHash` names them: equal-size pairs that both changed or were
 * never synced, possible conflict losers and the conflict copies beside them);
 * with `checksum: true`, every file. Reconcile takes no unhashed file for the
 * same as another, so every caller of reconcile that compares sides runs this
 * first: a generation (generation.ts), the verifier's final check
 * (service/verifier.ts), and resolving a conflict (service/resolve-conflict.ts).
 *
 * Each root's set goes to the filesystem in one `hashFiles` call (node hashes
 * in its workers, both roots at once); nothing is asked when nothing needs a
 * hash, so a no-op generation pays nothing here.
 */
export interface ContentHashes {
  /** The snapshots with `hash` set on every file hashed, and a `problem` entry where a file could not be read. */
  readonly source: Snapshot;
  readonly target: Snapshot;
  /** One `error` event per file that could not be read for its hash (source's first); an abort is not one. */
  readonly problems: GenerationEventInput[];
}

/** What decides which files need a hash: a conduit row, or `{ mode, checksum }` for a reconcile of one's own. */
export interface HashingRules {
  readonly mode: Mode;
  readonly checksum: boolean;
}

export async function hashWhereContentDecides(
  fs: FileSystem, conduit: HashingRules, baseline: Baseline, roots: Record<Side, string>,
  source: Snapshot, target: Snapshot, signal?: AbortSignal,
): Promise<ContentHashes> {
  const wanted = filesToHash(conduit.mode, conduit.checksum, baseline, source, target);
  const [s, t] = await Promise.all([
    withHashes(fs, 'source', roots.source, source, wanted.source, signal),
    withHashes(fs, 'target', roots.target, target, wanted.target, signal),
  ]);
  return { source: s.snapshot, target: t.snapshot, problems: [...s.problems, ...t.problems] };
}

async function withHashes(
  fs: FileSystem, side: Side, root: string, snapshot: Snapshot, paths: readonly string[], signal?: AbortSignal,
): Promise<{ snapshot: Snapshot; problems: GenerationEventInput[] }> {
  if (paths.length === 0) return { snapshot, problems: [] };
  const outcomes = await hashSet(fs, root, paths, signal);
  // A file that cannot be read for its hash is an error of this generation, like one that cannot be copied
  // (it used to be only a `skip`, so such a generation ended `completed` with nothing in `errors`).
  const problems: GenerationEventInput[] = [];
  const out = new Map<string, Entry>(snapshot);
  paths.forEach((path, i) => {
    const outcome = outcomes[i]!;
    if ('hash' in outcome) {
      // RACE: the bytes hashed may be newer than the scanned stat. Harmless: a hash that wrongly says "the
      // same" leaves the stat in the baseline older than the file, so the next generation sees that side
      // changed and syncs it; one that wrongly says "different" plans a conflict whose writes verify the
      // scanned stat first (verify-before-write) and skip.
      out.set(path, { ...(snapshot.get(path) as FileEntry), hash: outcome.hash });
      return;
    }
    // Unreadable now (or not reached before an abort): reconcile sees the path as a problem and leaves it alone this time.
    const { code, message } = outcome.error;
    out.set(path, { kind: 'problem', code, message });
    if (code !== 'ABORTED') problems.push({ side, path, action: 'error', bytes: 0, message: errorEventMessage('hash', message) });
  });
  return { snapshot: out, problems };
}

/** One outcome per path whatever happens: a set lost as a whole makes every file of it an error. */
async function hashSet(fs: FileSystem, root: string, paths: readonly string[], signal?: AbortSignal): Promise<readonly HashOutcome[]> {
  try {
    const outcomes = await fs.hashFiles(root, paths, signal);
    if (outcomes.length !== paths.length) throw new Error(`hashFiles answered ${outcomes.length} of ${paths.length} files under ${root}`);
    return outcomes;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const code = isFsError(error) ? error.code : 'EOTHER';
    return paths.map(() => ({ error: { code, message } }));
  }
}
