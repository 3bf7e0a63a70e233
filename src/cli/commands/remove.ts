import { removeConduit } from '../../service/conduit-admin.js';
import type { CommandContext } from '../context.js';

/** `conduit remove <name>`: forgets the conduit, its generations, baseline and conflicts. The synced folders are not touched. */
export async function run(context: CommandContext, [name = '']: string[]): Promise<void> {
  const store = await context.openStore();
  const row = removeConduit(store, name);
  context.logger.info({ conduit: row.name }, 'conduit removed');
  if (context.json) context.printJson({ removed: row.name, source: row.source, target: row.target });
  else context.print(`Removed conduit "${row.name}" and its history. Its folders were left as they are:\n  ${row.source}\n  ${row.target}`);
}
