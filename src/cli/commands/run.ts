import { prewarmScanWorkers } from '../../engine/scan.js';
import { requireConduit } from '../../service/require-conduit.js';
import type { CommandContext } from '../context.js';
import { connectEarly } from '../early-connect.js';
import { runInForeground } from '../foreground-run.js';
import { parseRunOptions } from '../run-options.js';

/**
 * `conduit run <name> [-n|--dry-run] [-v] [--progress] [--force] [--verify]
 * [--wait] [--max-delete N|P%] [--bwlimit RATE] [--exclude G]… [--include G]…`:
 * one generation now (foreground-run.ts). Exit 0 completed, 1 failed or
 * finished with errors (`--verify`: or not confirmed), 3 refused by a guard,
 * 4 busy: another process runs the conduit (`--wait`: wait for it instead),
 * 130/143 stopped by SIGINT/SIGTERM.
 */
export async function run(context: CommandContext, [name = '']: string[], flags: Record<string, unknown>): Promise<number> {
  // Bad flags are exit 2 before anything is opened.
  const options = parseRunOptions(flags);
  // The two scan workers start while the store opens: a running service keeps them alive
  // between generations, and a one-shot CLI run should not wait for their start-up either.
  prewarmScanWorkers();
  // A remote root's ssh connection starts now, while the store opens (early-connect.ts).
  const early = connectEarly(context, name);
  await early?.begun;
  return runInForeground(context, async () => {
    const store = await context.openStore();
    return { store, conduit: requireConduit(store, name) };
  }, options, early);
}
