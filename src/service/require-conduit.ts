import type { ConduitRow, Store } from '../db/store.js';

/**
 * Looking a conduit up by name, kept apart from conduit-admin.ts so that
 * read-only commands (`run`, `history`, …) do not load the validation layer
 * (zod, ~60 ms of start-up) just to find a row.
 */
/** No conduit has that name: bad input (exit 2, HTTP 404). */
export class UnknownConduitError extends Error {
  constructor(readonly conduitName: string) {
    super(`no conduit named ${JSON.stringify(conduitName)}`);
    this.name = 'UnknownConduitError';
  }
}

export function requireConduit(store: Store, name: string): ConduitRow {
  const row = store.getConduit(name);
  if (!row) throw new UnknownConduitError(name);
  return row;
}
