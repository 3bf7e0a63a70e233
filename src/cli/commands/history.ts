import { requireConduit } from '../../service/require-conduit.js';
import { generationView } from '../../service/views.js';
import type { CommandContext } from '../context.js';
import { historyTable } from '../generation-format.js';
import { wholeNumberArgument } from '../number-argument.js';

/** `conduit history <name> [--limit N]`: generations, newest first. */
export async function run(context: CommandContext, [name = '']: string[], flags: Record<string, unknown>): Promise<void> {
  const limit = flags['limit'] === undefined ? 20 : wholeNumberArgument('--limit', flags['limit'], 'a whole number from 1 to 10000', { min: 1, max: 10_000 });
  const store = await context.openStore();
  const conduit = requireConduit(store, name);
  const records = store.listGenerations(conduit.id, { limit });
  if (context.json) context.printJson(records.map(generationView));
  else if (records.length === 0) context.print(`${name} has no generations yet (conduit run ${name}).`);
  else context.print(historyTable(records));
}
