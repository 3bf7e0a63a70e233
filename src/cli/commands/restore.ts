import { generationView } from '../../service/views.js';
import { restoreVersion } from '../../service/versions.js';
import type { CommandContext } from '../context.js';
import { when } from '../format.js';
import { timeArgument } from '../time-argument.js';

/**
 * `conduit restore <conduit> <path> [--at <time>]`: put back the newest
 * version `versioning` kept of `path` (`--at`: the newest kept at or before
 * that time), over whatever is there now (which is kept as a version first).
 * Recorded as a generation; exit 4 while another process runs the conduit.
 */
export async function run(context: CommandContext, [name = '', path = '']: string[], flags: Record<string, unknown>): Promise<void> {
  const at = flags['at'] === undefined ? undefined : timeArgument('--at', flags['at']);
  const store = await context.openStore();
  const roots = await context.roots();
  const result = await restoreVersion(store, roots.local, name, { path, trigger: 'manual', ...(at ? { at } : {}), openRoots: (row) => roots.open(row) });
  if (context.json) {
    context.printJson({ restored: result.restored, replacedVersionPath: result.replacedVersionPath, generation: generationView(result.record) });
    return;
  }
  const { restored } = result;
  const replaced = result.replacedVersionPath === null ? '' : `\nThe file it replaced is kept as ${result.replacedVersionPath}.`;
  context.print(`Restored ${restored.path} on the ${restored.side} from the version kept at ${when(restored.keptAt)} (${restored.versionPath}); ` +
    `recorded as generation ${result.record.generation}.${replaced}`);
}
