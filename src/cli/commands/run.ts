import { describeHolder } from '../../db/lease.js';
import { holdLease, waitForLease } from '../../db/lease-keeper.js';
import type { GenerationRecord } from '../../db/store.js';
import { runGeneration, type GenerationProgress } from '../../engine/generation.js';
import { prewarmScanWorkers } from '../../engine/scan.js';
import { NodeFileSystem } from '../../fs/node-file-system.js';
import { requireConduit } from '../../service/require-conduit.js';
import { exitCodeOf, interruptedExitCode } from '../../service/exit-code.js';
import { runAndVerify } from '../../service/foreground-verify.js';
import { generationView } from '../../service/views.js';
import type { CommandContext } from '../context.js';
import { generationSummary } from '../generation-format.js';
import { progressBar, SILENT } from '../progress-bar.js';
import { UsageError } from '../usage-error.js';

/** After a stop is asked, copies still in flight are cut after this long (as under serve, SPEC §9). */
const CUT_AFTER_MS = 10_000;

/**
 * `conduit run <name> [--dry-run] [--force] [--verify] [--wait]`: one
 * generation now (`--verify`: and wait for the watcher's confirmation; exit 1
 * if it fails). Exit 0 completed, 1 failed or finished with errors, 3 refused
 * by a guard, 4 busy: another process runs the conduit (`--wait`: wait for it
 * instead). SIGINT/SIGTERM stop starting new work, let copies in flight finish
 * (cut after 10 s), record the generation `interrupted` with what landed, and
 * exit 130/143; a second signal kills at once (the next run takes over).
 */
export async function run(context: CommandContext, [name = '']: string[], flags: Record<string, unknown>): Promise<number> {
  // The two scan workers start while the store opens: a running service keeps them alive
  // between generations, and a one-shot CLI run should not wait for their start-up either.
  prewarmScanWorkers();
  const stop = new AbortController();
  const cut = new AbortController();
  let received: NodeJS.Signals | undefined;
  let cutTimer: NodeJS.Timeout | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (received) return;
    received = signal;
    stop.abort(`interrupted: conduit run received ${signal} before the generation finished`);
    cutTimer = setTimeout(() => cut.abort(), CUT_AFTER_MS);
    cutTimer.unref();
  };
  // `once`: a second signal finds no handler and kills the process (its lease is then taken over).
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const store = await context.openStore();
    const conduit = requireConduit(store, name);
    if (!conduit.enabled) throw new UsageError(`conduit "${name}" is disabled; enable it first (conduit enable ${name})`);
    // One generation per conduit at a time (SPEC §4): busy is ConduitBusyError (exit 4), unless --wait.
    const lease = flags['wait'] === true
      ? await waitForLease(store, conduit.id, 'generation', {
        signal: stop.signal,
        onWait: (holder) => process.stderr.write(`conduit: waiting: ${describeHolder(holder)}\n`),
      })
      : holdLease(store, conduit.id, 'generation');
    if (lease === null) {
      process.stderr.write(`conduit: ${received ?? 'a signal'} while waiting for conduit ${conduit.name}: nothing was run\n`);
      return interruptedExitCode(received);
    }
    try {
      const bar = context.json ? SILENT : progressBar(process.stderr);
      let last: GenerationProgress | undefined;
      const request = {
        conduit, trigger: 'manual' as const, dryRun: flags['dryRun'] === true, force: flags['force'] === true,
        signal: stop.signal, cutSignal: cut.signal, lease,
        onProgress: (p: GenerationProgress) => {
          last = p;
          bar.update(p);
        },
      };
      // --verify: wait for the watcher's confirmation in the foreground (SPEC §8).
      const verify = flags['verify'] === true;
      const result = verify ? await runAndVerify(store, new NodeFileSystem(), request) : await runGeneration(store, new NodeFileSystem(), request);
      bar.done();
      if (context.json) context.printJson(generationView(result.record));
      else context.print(generationSummary(result.record));
      if (result.record.status === 'interrupted' && received) {
        process.stderr.write(`conduit: ${interruptionLine(result.record, received, last)}\n`);
        return interruptedExitCode(received);
      }
      const code = exitCodeOf(result.record.status);
      return verify && code === 0 && result.record.verificationStatus.startsWith('failed:') ? 1 : code;
    } finally {
      lease.release();
    }
  } finally {
    if (cutTimer) clearTimeout(cutTimer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The one line an interrupted run ends with: what landed (and is recorded), and what is left for the next run. */
function interruptionLine(record: GenerationRecord, signal: NodeJS.Signals, last: GenerationProgress | undefined): string {
  const progress = last && last.actionsTotal > 0 ? ` (${last.actionsDone} of ${last.actionsTotal} actions done)` : '';
  return `${record.conduit} generation ${record.generation} interrupted by ${signal}: copied ${record.filesCopied} files, ` +
    `deleted ${record.filesDeleted}${progress}; what landed is recorded, the next run does the rest`;
}
