import { describeHolder } from '../db/lease.js';
import { holdLease, waitForLease } from '../db/lease-keeper.js';
import type { ConduitRow, GenerationRecord, Store } from '../db/store.js';
import { runGeneration, type GenerationProgress, type GenerationRequest } from '../engine/generation.js';
import { eventOfOutcome } from '../engine/generation/events.js';
import { exitCodeOf, interruptedExitCode } from '../service/exit-code.js';
import { runAndVerify } from '../service/foreground-verify.js';
import { generationView } from '../service/views.js';
import { actionLine } from './action-lines.js';
import type { CommandContext } from './context.js';
import type { EarlyConnect } from './early-connect.js';
import { generationSummary } from './generation-format.js';
import { progressBar, SILENT } from './progress-bar.js';
import type { RunOptions } from './run-options.js';
import { UsageError } from './usage-error.js';

/** After a stop is asked, copies still in flight are cut after this long (as under serve). */
const CUT_AFTER_MS = 10_000;

/**
 * One generation in the foreground, for `conduit run` and `conduit sync`:
 * the lease (busy: exit 4, or `--wait`), the progress line, `-v`'s action
 * lines, the summary, and the exit code. SIGINT/SIGTERM stop starting new
 * work, let copies in flight finish (cut after 10 s), record the generation
 * `interrupted` with what landed, and exit 130/143; a second signal kills at
 * once (the next run takes over). A refusal's reason is written to stderr
 * once (exit 3).
 *
 * `open` opens the store and finds (or makes) the conduit; it runs after the
 * signal handlers are in place.
 */
export async function runInForeground(
  context: CommandContext, open: () => Promise<{ store: Store; conduit: ConduitRow }>, options: RunOptions, early: EarlyConnect | null = null,
): Promise<number> {
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
    const { store, conduit: row } = await open();
    if (!row.enabled) throw new UsageError(`conduit "${row.name}" is disabled; enable it first (conduit enable ${row.name})`);
    // One generation per conduit at a time: busy is ConduitBusyError (exit 4), unless --wait.
    const lease = options.wait
      ? await waitForLease(store, row.id, 'generation', {
        signal: stop.signal,
        onWait: (holder) => process.stderr.write(`conduit: waiting: ${describeHolder(holder)}\n`),
      })
      : holdLease(store, row.id, 'generation');
    if (lease === null) {
      process.stderr.write(`conduit: ${received ?? 'a signal'} while waiting for conduit ${row.name}: nothing was run\n`);
      return interruptedExitCode(received);
    }
    try {
      const bar = context.json ? SILENT : progressBar(process.stderr, { force: options.progress });
      // `-v` lines go to stdout, or to stderr when stdout carries JSON.
      const say = (line: string): void => {
        bar.clear();
        (context.json ? process.stderr : process.stdout).write(`${line}\n`);
      };
      let last: GenerationProgress | undefined;
      // Per-run settings (`--max-delete 50%`, `--bwlimit`) replace the conduit's for this generation only.
      // A remote root becomes its mount path, reached through the split filesystem (remote/conduit-roots.ts).
      const { fs: rootsFs, conduit } = await context.openRoots<ConduitRow>({
        ...row,
        ...(options.maxDeletePercent !== undefined ? { maxDeletePercent: options.maxDeletePercent } : {}),
        ...(options.bandwidthLimitMbps !== undefined ? { bandwidthLimitMbps: options.bandwidthLimitMbps } : {}),
      });
      // A remote root's connection, when it was started while the store opened (early-connect.ts).
      const fs = early ? await early.adopt(rootsFs) : rootsFs;
      const request: Omit<GenerationRequest, 'verification'> = {
        conduit, trigger: 'manual', dryRun: options.dryRun, force: options.force,
        signal: stop.signal, cutSignal: cut.signal, lease,
        ...(options.maxDeletes !== undefined ? { maxDeletes: options.maxDeletes } : {}),
        ...(options.runFilters ? { runFilters: options.runFilters } : {}),
        ...(options.verbose && !options.dryRun ? { onOutcome: (outcome) => say(actionLine(eventOfOutcome(outcome))) } : {}),
        onProgress: (p: GenerationProgress) => {
          last = p;
          bar.update(p);
        },
      };
      // --verify: wait for the watcher's confirmation in the foreground.
      const result = options.verify ? await runAndVerify(store, fs, request) : await runGeneration(store, fs, request);
      bar.done();
      const record = result.record;
      // A dry run transfers nothing: -v lists what it would do, from its recorded events.
      if (options.verbose && options.dryRun) for (const event of store.listEvents(record.id)) say(actionLine(event));
      if (context.json) context.printJson(generationView(record));
      else context.print(generationSummary(record, { reasonOnStderr: record.status === 'refused' }));
      if (record.status === 'refused') process.stderr.write(`conduit: ${record.conduit} generation ${record.generation} refused: ${oneLine(record.errorMessage ?? 'refused')}\n`);
      if (record.status === 'interrupted' && received) {
        process.stderr.write(`conduit: ${interruptionLine(record, received, last)}\n`);
        return interruptedExitCode(received);
      }
      const code = exitCodeOf(record.status);
      return options.verify && code === 0 && record.verificationStatus.startsWith('failed:') ? 1 : code;
    } finally {
      lease.release();
    }
  } finally {
    if (cutTimer) clearTimeout(cutTimer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

/** The one line an interrupted run ends with: what landed (and is recorded), and what is left for the next run. */
function interruptionLine(record: GenerationRecord, signal: NodeJS.Signals, last: GenerationProgress | undefined): string {
  const progress = last && last.actionsTotal > 0 ? ` (${last.actionsDone} of ${last.actionsTotal} actions done)` : '';
  return `${record.conduit} generation ${record.generation} interrupted by ${signal}: copied ${record.filesCopied} files, ` +
    `deleted ${record.filesDeleted}${progress}; what landed is recorded, the next run does the rest`;
}
