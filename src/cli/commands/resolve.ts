import { describeHolder } from '../../db/lease.js';
import { waitForLease } from '../../db/lease-keeper.js';
import { EXIT } from '../../core/vocabulary.js';
import { ConflictChangedError, openConflict, resolveConflict, type ResolveChoice } from '../../service/resolve-conflict.js';
import { interruptedExitCode } from '../../service/exit-code.js';
import type { CommandContext } from '../context.js';
import { UsageError } from '../usage-error.js';
import { wholeNumberArgument } from '../number-argument.js';

/**
 * `conduit resolve <conflict-id> --keep source|target|both [--wait]` or
 * `--dismiss`. A resolution writes like a generation, under the conduit's
 * generation lease: while another process runs the conduit, exit 4 with the
 * line naming it (`--wait`: wait for it instead).
 */
export async function run(context: CommandContext, [idText = '']: string[], flags: Record<string, unknown>): Promise<number | void> {
  const id = wholeNumberArgument('<conflict-id>', idText, 'a conflict id (see conduit conflicts)', { min: 1 });
  const keep = flags['keep'] as string | undefined;
  const dismiss = flags['dismiss'] === true;
  if ((keep === undefined) === !dismiss) throw new UsageError('resolve: give exactly one of --keep source|target|both and --dismiss');
  if (keep !== undefined && !['source', 'target', 'both'].includes(keep)) throw new UsageError(`--keep: expected source | target | both, got ${JSON.stringify(keep)}`);
  const choice: ResolveChoice = dismiss ? 'dismiss' : (keep as ResolveChoice);
  const store = await context.openStore();
  // --wait: bad input is still refused at once; then wait for the lease (a signal ends the wait, nothing changed).
  let lease;
  if (flags['wait'] === true && choice !== 'dismiss') {
    const { conduit } = openConflict(store, id, choice);
    const stop = new AbortController();
    let received: NodeJS.Signals | undefined;
    const onSignal = (signal: NodeJS.Signals): void => {
      received = signal;
      stop.abort();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      lease = await waitForLease(store, conduit.id, 'generation', {
        signal: stop.signal,
        onWait: (holder) => process.stderr.write(`conduit: waiting: ${describeHolder(holder)}\n`),
      });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    if (lease === null) {
      process.stderr.write(`conduit: ${received ?? 'a signal'} while waiting for conduit ${conduit.name}: conflict ${id} was not resolved\n`);
      return interruptedExitCode(received);
    }
  }
  let record;
  try {
    const roots = await context.roots();
    record = await resolveConflict(store, roots.local, id, choice, new Date(), { ...(lease ? { lease } : {}), openRoots: (row) => roots.open(row) });
  } catch (error) {
    if (!(error instanceof ConflictChangedError)) throw error;
    // A refusal (SPEC §11: exit 3), like a guard's: one line, nothing changed.
    process.stderr.write(`conduit: ${error.message}\n`);
    return EXIT.refused;
  } finally {
    lease?.release();
  }
  if (context.json) context.printJson(record);
  else context.print(`conflict ${record.id} (${record.conduit}: ${record.path}) resolved: ${record.resolution}${record.conflictCopy ? `, the other version is ${record.conflictCopy}` : ''}`);
}
