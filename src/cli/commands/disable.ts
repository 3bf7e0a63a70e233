import { setConduitEnabled } from '../../service/conduit-admin.js';
import { conduitView } from '../../service/views.js';
import type { CommandContext } from '../context.js';

/** `conduit disable <name>`: the conduit stays, with its history, but does not run until enabled. */
export async function run(context: CommandContext, [name = '']: string[]): Promise<void> {
  const store = await context.openStore();
  const row = setConduitEnabled(store, name, false);
  if (context.json) context.printJson(conduitView(row));
  else context.print(`Disabled conduit "${row.name}".`);
}
