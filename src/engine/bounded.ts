import pLimit from 'p-limit';

/** The result of one item: its task's value, or `started: false` when an abort came first. */
export type BoundedResult<R> = { readonly started: true; readonly value: R } | { readonly started: false };

/**
 * Run `task` over `items` with at most `limit` running at once (p-limit),
 * results in input order.
 *
 * - After `signal` aborts, no new task starts (those get `started: false`);
 *   tasks already running finish — cutting them short is the task's business.
 * - Tasks are expected to turn their failures into values. If one throws
 *   anyway, no new task starts, the running ones are awaited (nothing is left
 *   running behind the caller's back), and the first error is rethrown.
 */
export async function runBounded<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
  options: { readonly signal?: AbortSignal } = {},
): Promise<BoundedResult<R>[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${limit}`);
  const run = pLimit(limit);
  let failed = false;
  const settled = await Promise.allSettled(
    items.map((item, index) =>
      run(async (): Promise<BoundedResult<R>> => {
        if (failed || options.signal?.aborted) return { started: false };
        try {
          return { started: true, value: await task(item, index) };
        } catch (err) {
          failed = true;
          throw err;
        }
      }),
    ),
  );
  const results: BoundedResult<R>[] = [];
  for (const s of settled) {
    if (s.status === 'rejected') throw s.reason;
    results.push(s.value);
  }
  return results;
}
