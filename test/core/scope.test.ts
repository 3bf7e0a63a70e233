import { describe, expect, it } from 'vitest';
import type { BaselineEntry } from '../../src/core/entry.js';
import { baselineWithin } from '../../src/core/scope.js';

describe('baselineWithin (the part of the index a partial scan speaks for)', () => {
  const entry: BaselineEntry = { kind: 'file', size: 1, hash: null, linkTarget: null, source: { mtimeNs: 1n, mode: 0o644 }, target: { mtimeNs: 1n, mode: 0o644 } };
  const dir: BaselineEntry = { ...entry, kind: 'dir', size: 0 };
  const baseline = new Map<string, BaselineEntry>([
    ['a', dir], ['a/b', dir], ['a/b/c.txt', entry], ['a/b/d/e.txt', entry], ['a/x.txt', entry], ['ab.txt', entry], ['z.txt', entry],
  ]);

  it('keeps the asked paths, what lies below them and their ancestors, and nothing else', () => {
    expect([...baselineWithin(baseline, ['a/b']).keys()].sort()).toEqual(['a', 'a/b', 'a/b/c.txt', 'a/b/d/e.txt']);
    expect([...baselineWithin(baseline, ['z.txt']).keys()]).toEqual(['z.txt']);
    expect([...baselineWithin(baseline, ['a/x.txt']).keys()].sort()).toEqual(['a', 'a/x.txt']);
  });
});
