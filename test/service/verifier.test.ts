import { describe, expect, it } from 'vitest';
import type { Landed } from '../../src/core/plan.js';
import { VerificationTracker } from '../../src/service/verifier.js';

const wroteFile = (path: string, size: number, mtimeNs: bigint): Landed => ({ side: 'target', path, entry: { kind: 'file', size, mtimeNs, mode: 0o644, ino: 7 } });

describe('VerificationTracker', () => {
  it('is confirmed once every written path was reported in the state it landed in (deletes as absent)', () => {
    const t = new VerificationTracker([wroteFile('a', 3, 10n), { side: 'target', path: 'gone', entry: null }]);
    expect(t.verdict()).toEqual({ state: 'pending' });
    t.observe({ side: 'target', path: 'a', state: { kind: 'file', size: 3, mtimeNs: 10n } }, false);
    t.observe({ side: 'source', path: 'gone', state: { kind: 'absent' } }, false); // the other side does not count
    expect(t.verdict()).toEqual({ state: 'pending' });
    expect(t.unconfirmed()).toEqual(['target:gone']);
    t.observe({ side: 'target', path: 'gone', state: { kind: 'absent' } }, true);
    expect(t.verdict()).toEqual({ state: 'confirmed' });
  });

  it('waits when a report made during the generation shows an earlier state, but fails on one made after it, naming the path', () => {
    const t = new VerificationTracker([wroteFile('docs/a.txt', 3, 10n), wroteFile('b', 1, 1n)]);
    t.observe({ side: 'target', path: 'docs/a.txt', state: { kind: 'absent' } }, false);
    expect(t.verdict()).toEqual({ state: 'pending' });
    t.observe({ side: 'target', path: 'docs/a.txt', state: { kind: 'file', size: 9, mtimeNs: 99n } }, true);
    const verdict = t.verdict();
    expect(verdict.state).toBe('disagrees');
    expect(verdict.state === 'disagrees' && verdict.reason).toContain('target:docs/a.txt is file of 9 bytes');
  });
});

