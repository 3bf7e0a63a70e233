import { describe, expect, it } from 'vitest';
import type { Landed } from '../../src/core/plan.js';
import { ChangeAggregator, collapsePaths, DEFAULT_AGGREGATOR_OPTIONS } from '../../src/watch/aggregator.js';
import type { Observation, ObservedState } from '../../src/watch/observation.js';

const file = (size: number, mtimeNs: bigint): ObservedState => ({ kind: 'file', size, mtimeNs });
const seen = (path: string, state: ObservedState = file(1, 1n), side: 'source' | 'target' = 'source'): Observation => ({ side, path, state });
const landedFile = (path: string, size: number, mtimeNs: bigint, side: 'source' | 'target' = 'target'): Landed => ({
  side, path, entry: { kind: 'file', size, mtimeNs, mode: 0o644, ino: 1 },
});

describe('ChangeAggregator: debounce', () => {
  it('is due 500 ms after the last observation while changes keep coming less than 500 ms apart, up to 5 s after the first', () => {
    const a = new ChangeAggregator();
    expect(a.due()).toBeNull();
    a.observe(seen('a'), 1_000);
    expect(a.due()).toBe(1_500);
    a.observe(seen('b'), 1_400);
    expect(a.due()).toBe(1_900);
    expect(a.take(1_899)).toBeNull();
    for (let t = 1_800; t <= 6_000; t += 300) a.observe(seen(`f${t}`), t);
    // Never quiet: the 5 s cap from the first observation (1 000 ms) decides.
    expect(a.due()).toBe(6_000);
    const batch = a.take(6_000);
    expect(batch?.full).toBe(false);
    expect(batch?.paths).toContain('a');
    expect(a.due()).toBeNull();
    expect(a.hasPending).toBe(false);
  });

  it('hands over each path once, sorted, and nothing twice', () => {
    const a = new ChangeAggregator();
    a.observe(seen('b/x'), 0);
    a.observe(seen('a'), 10);
    a.observe(seen('b/x'), 20);
    expect(a.take(520)).toEqual({ full: false, paths: ['a', 'b/x'], deletions: false, reason: null });
    expect(a.take(10_000)).toBeNull();
  });
});

describe('ChangeAggregator: echo suppression', () => {
  it('ignores what the generation wrote when the watcher reports it back with the landed size and mtime', () => {
    const a = new ChangeAggregator();
    a.runStarted(true);
    a.observe(seen('docs/a.txt', file(5, 42n), 'target'), 100); // held while running
    a.observe(seen('docs/a.txt', file(5, 42n), 'target'), 101);
    expect(a.due()).toBeNull();
    const held = a.runFinished([landedFile('docs/a.txt', 5, 42n)], 200);
    expect(held).toHaveLength(2);
    expect(a.hasPending).toBe(false);
    // A late duplicate report of the same write is an echo too.
    a.observe(seen('docs/a.txt', file(5, 42n), 'target'), 300);
    expect(a.hasPending).toBe(false);
  });

  it('treats a deletion the generation made, reported as absent, as an echo', () => {
    const a = new ChangeAggregator();
    a.runStarted(true);
    a.runFinished([{ side: 'target', path: 'old', entry: null }], 10);
    a.observe(seen('old', { kind: 'absent' }, 'target'), 20);
    expect(a.hasPending).toBe(false);
  });

  it('does not suppress a later change by someone else at a written path (other size or mtime), nor the same path on the other side', () => {
    const a = new ChangeAggregator();
    a.runStarted(true);
    a.runFinished([landedFile('a.txt', 5, 42n)], 0);
    a.observe(seen('a.txt', file(5, 42n), 'source'), 10);
    a.observe(seen('a.txt', file(6, 99n), 'target'), 20);
    expect(a.take(1_000)?.paths).toEqual(['a.txt']);
    // The echo expectation is spent once someone else changed the path.
    a.observe(seen('a.txt', file(5, 42n), 'target'), 1_100);
    expect(a.take(2_000)?.paths).toEqual(['a.txt']);
  });

  it('makes the changes held during a run that are not its echoes exactly one follow-up batch', () => {
    const a = new ChangeAggregator();
    a.runStarted(false);
    a.observe(seen('mine', file(1, 1n), 'target'), 0);
    a.observe(seen('theirs-1'), 5);
    a.observe(seen('theirs-2'), 6);
    a.runFinished([landedFile('mine', 1, 1n)], 100);
    expect(a.due()).toBe(600);
    expect(a.take(600)?.paths).toEqual(['theirs-1', 'theirs-2']);
  });

  it('forgets an echo expectation after its time to live', () => {
    const a = new ChangeAggregator({ ...DEFAULT_AGGREGATOR_OPTIONS, echoTtlMs: 1_000 });
    a.runStarted(true);
    a.runFinished([landedFile('a', 1, 1n)], 0);
    a.observe(seen('a', file(1, 1n), 'target'), 2_000);
    expect(a.hasPending).toBe(true);
  });
});

describe('ChangeAggregator: echo expiry (no per-path state past its time to live)', () => {
  it('drops the expectations whose time to live passed and says when the next one expires', () => {
    const a = new ChangeAggregator({ ...DEFAULT_AGGREGATOR_OPTIONS, echoTtlMs: 1_000 });
    a.runStarted(true);
    a.runFinished([landedFile('d/a', 1, 1n)], 0); // d/a and its directory d, until 1 000
    a.runStarted(false);
    a.runFinished([landedFile('b', 2, 2n)], 500); // until 1 500
    expect(a.echoCount).toBe(3);
    expect(a.expireEchoes(900)).toBe(1_000);
    expect(a.echoCount).toBe(3);
    expect(a.expireEchoes(1_001)).toBe(1_500);
    expect(a.echoCount).toBe(1);
    // The one left still suppresses its echo.
    a.observe(seen('b', file(2, 2n), 'target'), 1_100);
    expect(a.hasPending).toBe(false);
    expect(a.expireEchoes(1_501)).toBeNull();
    expect(a.echoCount).toBe(0);
  });
});

describe('ChangeAggregator: full scans', () => {
  it('asks for a full scan after a watcher error, and a full run covers what was pending', () => {
    const a = new ChangeAggregator();
    a.observe(seen('x'), 0);
    a.fault('watcher error on the source: ENOSPC', 10);
    expect(a.take(600)).toEqual({ full: true, paths: [], deletions: false, reason: 'watcher error on the source: ENOSPC' });
    a.observe(seen('y'), 700);
    a.runStarted(true);
    a.runFinished([], 800);
    expect(a.hasPending).toBe(false);
  });

  it('flags deletions so the service can send them through a full generation', () => {
    const a = new ChangeAggregator();
    a.observe(seen('gone', { kind: 'absent' }), 0);
    expect(a.take(500)).toMatchObject({ full: false, paths: ['gone'], deletions: true });
  });

  it('turns more pending paths than fullScanAbove into a full scan', () => {
    const a = new ChangeAggregator({ ...DEFAULT_AGGREGATOR_OPTIONS, fullScanAbove: 10, collapseAt: 100 });
    for (let i = 0; i < 11; i++) a.observe(seen(`d${i}/f`), i);
    expect(a.take(10_000)).toMatchObject({ full: true, reason: '11 paths changed' });
  });
});

describe('collapsePaths', () => {
  it('keeps a few paths as they are', () => {
    expect(collapsePaths(['b/2', 'a/1', 'b/1'], 3)).toEqual(['a/1', 'b/1', 'b/2']);
  });

  it('replaces many siblings by their directory, and climbs when the directories pile up too', () => {
    const many = Array.from({ length: 5 }, (_, i) => `photos/2024/img${i}.jpg`);
    expect(collapsePaths([...many, 'notes/a.txt'], 4)).toEqual(['notes/a.txt', 'photos/2024']);
    const deep = Array.from({ length: 5 }, (_, d) => Array.from({ length: 5 }, (_, i) => `p/d${d}/f${i}`)).flat();
    expect(collapsePaths(deep, 4)).toEqual(['p']);
  });

  it('drops paths below a kept directory', () => {
    expect(collapsePaths(['a', 'a/b/c', 'a/d'], 10)).toEqual(['a']);
  });

  it('returns null (scan everything) when the paths collapse into the root', () => {
    expect(collapsePaths(Array.from({ length: 6 }, (_, i) => `f${i}`), 5)).toBeNull();
  });
});

describe('ChangeAggregator: directories above what a generation wrote', () => {
  it('ignores their attribute changes (still a directory) but not their removal', () => {
    const a = new ChangeAggregator();
    a.runStarted(true);
    a.runFinished([landedFile('photos/2024/img.jpg', 3, 5n)], 0);
    a.observe(seen('photos/2024', { kind: 'dir' }, 'target'), 10);
    a.observe(seen('photos', { kind: 'dir' }, 'target'), 11);
    expect(a.hasPending).toBe(false);
    a.observe(seen('photos/2024', { kind: 'absent' }, 'target'), 20);
    expect(a.take(1_000)).toMatchObject({ paths: ['photos/2024'], deletions: true });
  });
});
