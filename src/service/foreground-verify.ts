import type { Side } from '../core/entry.js';
import type { ConduitRow, GenerationRecord, Store } from '../db/store.js';
import { isConduitTempName } from '../engine/filters.js';
import { runGeneration, type GenerationRequest, type GenerationResult } from '../engine/generation.js';
import type { FileSystem } from '../fs/file-system.js';
import type { Observation } from '../watch/observation.js';
import { failed, finalCheck, namePaths, VerificationTracker } from './verifier.js';

/**
 * `conduit run --verify` (SPEC §8): the same watcher confirmation as under
 * `conduit serve`, in the foreground. A temporary watcher on both roots is
 * started (and ready) before the generation, so every write is seen; after
 * the generation the command waits for the confirmation or the conduit's
 * `verifyTimeoutSeconds`, records the verdict, and returns the record.
 */
export async function runAndVerify(
  store: Store, fs: FileSystem, request: Omit<GenerationRequest, 'verification'>,
): Promise<GenerationResult> {
  const conduit: ConduitRow = request.conduit;
  let tracker: VerificationTracker | null = null;
  const held: Observation[] = [];
  let wake: () => void = () => undefined;
  const watcher = fs.watch([conduit.source, conduit.target], { ignoreName: isConduitTempName }, (events) => {
    for (const event of events) {
      if (event.type !== 'change') continue;
      const side: Side = event.root === conduit.source ? 'source' : 'target';
      const observation: Observation = { side, path: event.path, state: event.state };
      if (tracker) tracker.observe(observation, true);
      else held.push(observation);
    }
    wake();
  });
  try {
    await watcher.ready;
    const result = await runGeneration(store, fs, { ...request, verification: request.dryRun ? 'unverified' : 'waiting_watcher' });
    if (result.record.verificationStatus !== 'waiting_watcher') return result;
    const t = new VerificationTracker(result.written);
    for (const observation of held) t.observe(observation, false);
    tracker = t;
    const deadline = Date.now() + conduit.verifyTimeoutSeconds * 1000;
    while (t.verdict().state === 'pending' && Date.now() < deadline && request.signal?.aborted !== true) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(250, Math.max(0, deadline - Date.now())));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const verdict = t.verdict();
    let status: 'verified' | `failed:${string}`;
    if (verdict.state === 'disagrees') status = failed(verdict.reason);
    else if (verdict.state === 'pending') status = failed(`no watcher confirmation within ${conduit.verifyTimeoutSeconds} s for ${namePaths(t.unconfirmed())}`);
    else {
      const reason = await finalCheck(store, fs, conduit, t.expectedStates());
      status = reason === null ? 'verified' : failed(reason);
    }
    store.setVerification(result.record.id, status, status === 'verified' ? new Date().toISOString() : null);
    const record: GenerationRecord = store.getGenerationById(result.record.id) ?? result.record;
    return { ...result, record };
  } finally {
    await watcher.close();
  }
}
