import type { Store } from '../db/store.js';
import { scopedBaseline } from './verifier.js';

/**
 * The store as a fast-path generation (`onlyPaths`) must see it: its
 * baseline limited to what the partial scan can speak for (the paths, their
 * subtrees and their ancestors). Everything else is passed through.
 *
 * Why here: `runGeneration` reconciles the scanned paths against the whole
 * baseline, so every synced path outside `onlyPaths` looks deleted on both
 * sides and is forgotten from the index (nextBaseline: "gone from both sides");
 * a later delete of such a path would then be copied back in bidirectional
 * mode, or never propagated in selective mode. Scoping the baseline the
 * engine loads keeps those rows untouched. The engine's delete guard then
 * also judges against the scoped baseline only, which is why the service
 * sends batches that contain deletions through a full generation.
 */
export function storeScopedTo(store: Store, paths: readonly string[]): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'loadBaseline') {
        return (conduitId: number) => scopedBaseline(target.loadBaseline(conduitId), paths);
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
