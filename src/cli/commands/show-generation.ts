import { EVENT_ACTIONS, type EventAction } from '../../core/vocabulary.js';
import { requireConduit } from '../../service/require-conduit.js';
import { generationView } from '../../service/views.js';
import type { CommandContext } from '../context.js';
import { eventsTable, generationSummary } from '../generation-format.js';
import { UsageError } from '../usage-error.js';
import { wholeNumberArgument } from '../number-argument.js';

/** `conduit show-generation <name> <N> [--action A]`: one generation with its per-file events. */
export async function run(context: CommandContext, [name = '', n = '']: string[], flags: Record<string, unknown>): Promise<void> {
  const generation = wholeNumberArgument('<N>', n, 'a generation number (1, 2, …)', { min: 1 });
  const action = flags['action'] as string | undefined;
  if (action !== undefined && !EVENT_ACTIONS.includes(action as EventAction)) {
    throw new UsageError(`--action: expected ${EVENT_ACTIONS.join(' | ')}, got ${JSON.stringify(action)}`);
  }
  const store = await context.openStore();
  const conduit = requireConduit(store, name);
  const record = store.getGeneration(conduit.id, generation);
  if (!record) throw new UsageError(`conduit "${name}" has no generation ${generation} (latest is ${conduit.syncGeneration})`);
  const events = store.listEvents(record.id, action ? { action: action as EventAction } : {});
  if (context.json) context.printJson({ ...generationView(record), events: events.map(({ side, path, action: a, bytes, message }) => ({ side, path, action: a, bytes, message })) });
  else context.print(`${generationSummary(record)}\n\n${eventsTable(events)}`);
}
