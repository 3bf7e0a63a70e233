import { describe, expect, it } from 'vitest';
import type { Entry, FileEntry } from '../../src/core/entry.js';
import type { CopyAction, Plan } from '../../src/core/plan.js';
import { executePlan } from '../../src/engine/transfer.js';
import type { CopyOptions, FileSystem } from '../../src/fs/file-system.js';
import { MemoryFileSystem } from '../../src/fs/memory-file-system.js';

// The engine names the destination it replaces as the copy's basis (CopyOptions.basis), so that a copy across a
// link sends only the blocks that differ (remote/client/cross-copy.ts). Locally the basis changes nothing.

const ROOTS = { source: '/src', target: '/dst' } as const;

function recording(mem: MemoryFileSystem): { fs: FileSystem; copies: { from: string; to: string; basis: string | undefined }[] } {
  const copies: { from: string; to: string; basis: string | undefined }[] = [];
  // A recording decorator: every call goes to the in-memory filesystem.
  const fs = new Proxy(mem, {
    get(target, key) {
      if (key === 'copyFile') {
        return (from: string, to: string, options?: CopyOptions) => {
          copies.push({ from, to, basis: options?.basis });
          return target.copyFile(from, to, options);
        };
      }
      if (key === 'openCopyBatches') return () => null;
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { fs, copies };
}

describe('the copy\'s basis', () => {
  it('is the destination when the planner expected a regular file there, and absent otherwise', async () => {
    const mem = new MemoryFileSystem();
    mem.mkdirp('/src');
    mem.mkdirp('/dst');
    mem.writeFile('/src/replaced', 'new version');
    mem.writeFile('/dst/replaced', 'old version');
    mem.writeFile('/src/new', 'a new file');
    mem.writeFile('/src/over-link', 'replaces a link');
    await mem.symlink('elsewhere', '/dst/over-link');
    const entry = (p: string): Entry | null => (mem.exists(p) ? mem.lstatSync(p) : null);
    const copy = (rel: string): CopyAction => ({
      op: 'copy', stage: 'transfer', path: rel, from: 'source', to: 'target', entry: entry(`/src/${rel}`) as FileEntry, expected: entry(`/dst/${rel}`),
    });
    const { fs, copies } = recording(mem);
    const plan: Plan = { actions: [copy('replaced'), copy('new'), copy('over-link')], conflicts: [], skips: [], forget: [], hold: [] };
    const outcomes = await executePlan(plan, { fs, roots: ROOTS, parallelTransfers: 1, tempToken: '0123456789ab', randomSuffix: () => 'r' });
    expect(outcomes.map((o) => o.status)).toEqual(['applied', 'applied', 'applied']);
    const basisOf = (rel: string) => copies.find((c) => c.from === `/src/${rel}`)?.basis;
    expect(basisOf('replaced')).toBe('/dst/replaced');
    expect(basisOf('new')).toBeUndefined();
    expect(basisOf('over-link')).toBeUndefined();
    expect(mem.readFile('/dst/replaced')).toBe('new version');
  });
});
