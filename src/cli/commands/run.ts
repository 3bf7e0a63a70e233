import { runGeneration } from '../../engine/generation.js';
import { prewarmScanWorkers } from '../../engine/scan.js';
import { NodeFileSystem } from '../../fs/node-file-system.js';
import { requireConduit } from '../../service/conduit-admin.js';
import { exitCodeOf } from '../../service/exit-code.js';
import { generationView } from '../../service/views.js';
import type { CommandContext } from '../context.js';
import { generationSummary } from '../generation-format.js';
import { progressBar } from '../progress-bar.js';
import { UsageError } from '../usage-error.js';

/**
 * `conduit run <name> [--dry-run] [--force]`: one generation now. Exit 0
 * completed, 1 failed or finished with errors, 3 refused by a guard. Ctrl-C
 * stops starting new work and records the generation as interrupted.
 */
export async function run(context: CommandContext, [name = '']: string[], flags: Record<string, unknown>): Promise<number> {
  // The two scan workers start while the store opens: a running service keeps them alive
  // between generations, and a one-shot CLI run should not wait for their start-up either.
  prewarmScanWorkers();
  const store = await context.openStore();
  const conduit = requireConduit(store, name);
  if (!conduit.enabled) throw new UsageError(`conduit "${name}" is disabled; enable it first (conduit enable ${name})`);
  const bar = context.json ? progressBar({ isTTY: false } as NodeJS.WriteStream) : progressBar(process.stderr);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const result = await runGeneration(store, new NodeFileSystem(), {
      conduit, trigger: 'manual', dryRun: flags['dryRun'] === true, force: flags['force'] === true,
      signal: stop.signal, onProgress: (p) => bar.update(p),
    });
    bar.done();
    if (context.json) context.printJson(generationView(result.record));
    else context.print(generationSummary(result.record));
    return exitCodeOf(result.record.status);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

