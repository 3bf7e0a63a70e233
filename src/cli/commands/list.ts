import { conduitView } from '../../service/views.js';
import type { CommandContext } from '../context.js';
import { conduitTable } from '../format.js';

/** `conduit list`: every conduit, one line each. */
export async function run(context: CommandContext): Promise<void> {
  const store = await context.openStore();
  const rows = store.listConduits();
  if (context.json) context.printJson(rows.map(conduitView));
  else if (rows.length === 0) context.print('No conduits yet. Create one with "conduit add" or "conduit import <file>".');
  else context.print(conduitTable(rows));
}
