import { requireConduit } from '../../service/require-conduit.js';
import { verifyOnDemand } from '../../service/verifier.js';
import type { CommandContext } from '../context.js';
import { UsageError } from '../usage-error.js';
import { wholeNumberArgument } from '../number-argument.js';

/**
 * `conduit verify <name> [--generation N]` (SPEC §8): checks a finished
 * generation now — every path it wrote or deleted must hold what the index
 * records for that side, and a reconcile of those paths must plan nothing —
 * and records `verified` or `failed:<reason>`. Exit 0 verified, 1 failed.
 */
export async function run(context: CommandContext, [name = '']: string[], flags: Record<string, unknown>): Promise<number> {
  const store = await context.openStore();
  const conduit = requireConduit(store, name);
  const wanted = flags['generation'] === undefined ? undefined : parseGeneration(String(flags['generation']));
  const record = wanted === undefined
    ? store.listGenerations(conduit.id, { limit: 50 }).find((g) => !g.dryRun && g.status !== 'running')
    : store.getGeneration(conduit.id, wanted);
  if (!record) {
    throw new UsageError(wanted === undefined
      ? `conduit "${name}" has no finished generation to verify`
      : `--generation: conduit "${name}" has no generation ${wanted}`);
  }
  const opened = await context.openRoots(conduit);
  const status = await verifyOnDemand(store, opened.fs, opened.conduit, record);
  if (context.json) context.printJson({ conduit: conduit.name, generation: record.generation, verificationStatus: status });
  else context.print(`${conduit.name} generation ${record.generation}: ${status}`);
  return status === 'verified' ? 0 : 1;
}

function parseGeneration(text: string): number {
  return wholeNumberArgument('--generation', text, 'a generation number (1, 2, …)', { min: 1 });
}
