import { requireConduit } from '../../service/require-conduit.js';
import { conduitView, generationView } from '../../service/views.js';
import type { CommandContext } from '../context.js';
import { conduitDetails } from '../format.js';

/** `conduit show <name>`: settings, state, the last generation and totals. `--json`: the conduit object plus `lastGeneration`. */
export async function run(context: CommandContext, [name = '']: string[]): Promise<void> {
  const store = await context.openStore();
  const row = requireConduit(store, name);
  const last = row.syncGeneration > 0 ? store.getGeneration(row.id, row.syncGeneration) : undefined;
  if (context.json) context.printJson({ ...conduitView(row), lastGeneration: last ? generationView(last) : null });
  else context.print(conduitDetails(row, last));
}
