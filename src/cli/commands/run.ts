import { runGeneration } from '../../engine/generation.js';
import { prewarmScanWorkers } from '../../engine/scan.js';
import { NodeFileSystem } from '../../fs/node-file-system.js';
import { requireConduit } from '../../service/require-conduit.js';
import { exitCodeOf } from '../../service/exit-code.js';
import { runAndVerify } from '../../service/foreground-verify.js';
import { generationView } from '../../service/views.js';
import type { CommandContext } from '../context.js';
import { generationSummary } from '../generation-format.js';
import { progressBar, SILENT } from '../progress-bar.js';
import { UsageError } from '../usage-error.js';

/**
 * `conduit run <name> [--dry-run] [--force] [--verify]`: one generation now
 * (`--verify`: and wait for the watcher's confirmation; exit 1 if it fails). Exit 0
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
  const bar = context.json ? SILENT : progressBar(process.stderr);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const request = {
      conduit, trigger: 'manual' as const, dryRun: flags['dryRun'] === true, force: flags['force'] === true,
      signal: stop.signal, onProgress: (p: Parameters<typeof bar.update>[0]) => bar.update(p),
    };
    // --verify: wait for the watcher's confirmation in the foreground (SPEC §8).
    const verify = flags['verify'] === true;
    const result = verify ? await runAndVerify(store, new NodeFileSystem(), request) : await runGeneration(store, new NodeFileSystem(), request);
    bar.done();
    if (context.json) context.printJson(generationView(result.record));
    else context.print(generationSummary(result.record));
    const code = exitCodeOf(result.record.status);
    return verify && code === 0 && result.record.verificationStatus.startsWith('failed:') ? 1 : code;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

