import { setConduitEnabled } from '../../service/conduit-admin.js';
import { conduitView } from '../../service/views.js';
import type { CommandContext } from '../context.js';

/** `conduit enable <name>`: let the conduit run again (its state returns to what its history says). */
export async function run(context: CommandContext, [name = '']: string[]): Promise<void> {
  const store = await context.openStore();
  const row = setConduitEnabled(store, name, true);
  if (context.json) context.printJson(conduitView(row));
  else context.print(`Enabled conduit "${row.name}" (state: ${row.state}).`);
}
