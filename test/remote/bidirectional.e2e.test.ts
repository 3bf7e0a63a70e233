import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireSshdInCi, sshdAvailable } from '../support/sshd.js';
import { put, readTree, writeTree } from '../support/tree.js';
import { expectCompleted, remoteSuite, snapshot, type Side } from './remote-e2e.js';

/**
 * Issue 10 through the real CLI with one root on the far host (a real sshd on
 * 127.0.0.1): bidirectional propagation both ways, a conflict under each of
 * the five policies (SPEC §2.2), `conduit conflicts` and `resolve` over ssh,
 * and selective. The far root is a folder on this machine, changed directly as
 * the far host's user would.
 */

requireSshdInCi();

const T0 = 1_700_000_000;
const COPY = /\.conflict-(source|target)-\d{8}T\d{6}Z(-\d+)?/;
const copiesIn = (dir: string): string[] => fs.readdirSync(dir).filter((n) => COPY.test(n)).sort();

describe.skipIf(!sshdAvailable())('bidirectional with a root on ssh', () => {
  const s = remoteSuite('conduit-remote-bidi-');

  /** A conduit `n` synced once with a.txt (and ballast), then a.txt edited on both sides: the source at T0+sourceAt, the target at T0+targetAt. */
  function bothEdited(policy: string, sourceAt: number, targetAt: number): void {
    writeTree(s.area.source, { 'a.txt': { content: 'base', mtime: T0 }, 'ballast.txt': 'never touched' });
    s.add('n', '--mode', 'bidirectional', '--conflict', policy);
    expectCompleted(s.run('n'));
    expect(readTree(s.area.target)).toEqual(readTree(s.area.source));
    put(s.area.source, 'a.txt', 'source edit', T0 + sourceAt);
    put(s.area.target, 'a.txt', 'target edit, longer', T0 + targetAt);
  }

  describe.each<[string, Side]>([['the target on ssh', 'target'], ['the source on ssh', 'source']])('%s', (_, remote) => {
    it('propagates creations, edits and deletions made on either side (no conflict), then plans nothing', () => {
      s.remote = remote;
      const { source, target } = s.area;
      writeTree(source, { 'from-source.txt': 'S', 'shared/x.txt': 'x', 'shared/y.txt': 'y', 'ballast1.txt': 'b1', 'ballast2.txt': 'b2' });
      writeTree(target, { 'from-target.txt': 'T', 'tdir/empty/': { dir: true } });
      s.add('n', '--mode', 'bidirectional');
      expect(expectCompleted(s.run('n'))).toMatchObject({ conflicts: 0 });
      expect(readTree(source)).toEqual(readTree(target));
      expect(readTree(source)).toMatchObject({ 'from-target.txt': 'T', 'tdir/empty/': true, 'from-source.txt': 'S' });

      put(target, 'shared/x.txt', 'x edited on the target', T0 + 10);
      fs.rmSync(join(source, 'shared/y.txt'));
      put(target, 'far/new.txt', 'created on the target');
      put(source, 'near/new.txt', 'created on the source');
      const second = expectCompleted(s.run('n'));
      expect(second).toMatchObject({ conflicts: 0, filesDeleted: 1 });
      expect(readTree(source)).toEqual(readTree(target));
      expect(readTree(source)).toMatchObject({ 'shared/x.txt': 'x edited on the target', 'far/new.txt': 'created on the target', 'near/new.txt': 'created on the source' });
      expect(fs.existsSync(join(target, 'shared/y.txt'))).toBe(false);
      expect(expectCompleted(s.run('n'))).toMatchObject({ filesCopied: 0, filesDeleted: 0, conflicts: 0 });
    }, 120_000);

    it('manual: nothing at the path changes, `conflicts` lists it, `resolve --keep target` settles it on both hosts; the next run plans nothing', () => {
      s.remote = remote;
      const { source, target } = s.area;
      bothEdited('manual', 100, 200);
      const second = expectCompleted(s.run('n'));
      expect(second.conflicts).toBe(1);
      expect(fs.readFileSync(join(source, 'a.txt'), 'utf8')).toBe('source edit');
      expect(fs.readFileSync(join(target, 'a.txt'), 'utf8')).toBe('target edit, longer');

      const open = s.conflicts('n');
      expect(open).toMatchObject([{ path: 'a.txt', kind: 'both_modified', resolution: 'unresolved' }]);
      const detail = s.cli(['conflicts', 'n']);
      expect(detail.code, detail.stderr).toBe(0);
      expect(detail.stdout).toContain('a.txt');

      const resolved = s.cli(['resolve', String(open[0]!.id), '--keep', 'target']);
      expect(resolved.code, resolved.stderr).toBe(0);
      expect(resolved.stdout).toMatch(/resolved: accepted_target/);
      expect(fs.readFileSync(join(source, 'a.txt'), 'utf8')).toBe('target edit, longer');
      expect(fs.readFileSync(join(target, 'a.txt'), 'utf8')).toBe('target edit, longer');
      expect(s.conflicts('n')).toEqual([]);
      expect(expectCompleted(s.run('n'))).toMatchObject({ filesCopied: 0, filesDeleted: 0, conflicts: 0 });
    }, 120_000);

    it('manual, then `resolve --keep both`: each side holds the winner and a conflict copy of the other', () => {
      s.remote = remote;
      const { source, target } = s.area;
      bothEdited('manual', 200, 100);
      expect(expectCompleted(s.run('n')).conflicts).toBe(1);
      const [open] = s.conflicts('n');
      const resolved = s.cli(['resolve', String(open!.id), '--keep', 'both']);
      expect(resolved.code, resolved.stderr).toBe(0);
      expect(readTree(source)).toEqual(readTree(target));
      expect(copiesIn(source)).toHaveLength(1);
      const texts = [fs.readFileSync(join(source, 'a.txt'), 'utf8'), fs.readFileSync(join(source, copiesIn(source)[0]!), 'utf8')].sort();
      expect(texts).toEqual(['source edit', 'target edit, longer']);
      expect(expectCompleted(s.run('n'))).toMatchObject({ filesCopied: 0, conflicts: 0 });
    }, 120_000);
  });

  it('dry run with changes and a conflict on both hosts: planned, nothing changed on either side', () => {
    s.remote = 'target';
    const { source, target } = s.area;
    bothEdited('keep-both', 100, 200);
    put(source, 'new-here.txt', 'new on the source');
    put(target, 'new-there.txt', 'new on the far host');
    fs.rmSync(join(target, 'ballast.txt'));
    const before = snapshot(source, target);
    const dry = s.run('n', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.out).toMatchObject({ dryRun: true, errors: [] });
    expect(snapshot(source, target)).toEqual(before);
    expect(s.conflicts('n', '--all')).toEqual([]);
    expect(expectCompleted(s.run('n'))).toMatchObject({ conflicts: 1 });
    expect(readTree(source)).toEqual(readTree(target));
  }, 120_000);

  it('keep-both: the newer (the target) stays at the path on both hosts, the source\'s version is a conflict copy on both', () => {
    s.remote = 'target';
    const { source, target } = s.area;
    bothEdited('keep-both', 100, 200);
    const out = expectCompleted(s.run('n'));
    expect(out).toMatchObject({ conflicts: 1, conflictsResolved: 1 });
    for (const root of [source, target]) {
      expect(fs.readFileSync(join(root, 'a.txt'), 'utf8')).toBe('target edit, longer');
      const copies = copiesIn(root);
      expect(copies).toHaveLength(1);
      expect(copies[0]).toMatch(/^a\.conflict-source-\d{8}T\d{6}Z\.txt$/);
      expect(fs.readFileSync(join(root, copies[0]!), 'utf8')).toBe('source edit');
    }
    expect(readTree(source)).toEqual(readTree(target));
    expect(s.conflicts('n', '--all')).toMatchObject([{ path: 'a.txt', resolution: 'kept_both' }]);
    expect(expectCompleted(s.run('n'))).toMatchObject({ filesCopied: 0, conflicts: 0 });
  }, 120_000);

  it('keep-both, modify on the far host vs delete here: the modification wins and is restored on the deleting side', () => {
    s.remote = 'target';
    const { source, target } = s.area;
    writeTree(source, { 'a.txt': { content: 'base', mtime: T0 }, 'b1.txt': 'b', 'b2.txt': 'b', 'b3.txt': 'b' });
    s.add('n', '--mode', 'bidirectional');
    expectCompleted(s.run('n'));
    fs.rmSync(join(source, 'a.txt'));
    put(target, 'a.txt', 'modified on the far host', T0 + 50);
    const out = expectCompleted(s.run('n'));
    expect(out.conflicts).toBe(1);
    expect(fs.readFileSync(join(source, 'a.txt'), 'utf8')).toBe('modified on the far host');
    expect(readTree(source)).toEqual(readTree(target));
  }, 120_000);

  it('newer: the newer side (the source, here) wins on both hosts, no copy', () => {
    s.remote = 'target';
    const { source, target } = s.area;
    bothEdited('newer', 300, 200);
    expect(expectCompleted(s.run('n'))).toMatchObject({ conflicts: 1 });
    expect(fs.readFileSync(join(target, 'a.txt'), 'utf8')).toBe('source edit');
    expect(readTree(source)).toEqual(readTree(target));
    expect(copiesIn(source)).toEqual([]);
    expect(s.conflicts('n', '--all')).toMatchObject([{ resolution: 'accepted_source' }]);
  }, 120_000);

  it('source: the source wins although the far target is newer', () => {
    s.remote = 'target';
    const { source, target } = s.area;
    bothEdited('source', 100, 200);
    expect(expectCompleted(s.run('n'))).toMatchObject({ conflicts: 1 });
    expect(fs.readFileSync(join(target, 'a.txt'), 'utf8')).toBe('source edit');
    expect(readTree(source)).toEqual(readTree(target));
    expect(copiesIn(target)).toEqual([]);
  }, 120_000);

  it('target: the far target wins although the source is newer', () => {
    s.remote = 'target';
    const { source, target } = s.area;
    bothEdited('target', 300, 200);
    expect(expectCompleted(s.run('n'))).toMatchObject({ conflicts: 1 });
    expect(fs.readFileSync(join(source, 'a.txt'), 'utf8')).toBe('target edit, longer');
    expect(readTree(source)).toEqual(readTree(target));
    expect(copiesIn(source)).toEqual([]);
  }, 120_000);

  it('first sync with different content on both hosts is a conflict (first_sync_differs), never an overwrite', () => {
    s.remote = 'target';
    const { source, target } = s.area;
    writeTree(source, { 'same.txt': { content: 'same bytes', mtime: T0 }, 'differs.txt': { content: 'source bytes', mtime: T0 + 100 } });
    writeTree(target, { 'same.txt': { content: 'same bytes', mtime: T0 + 999 }, 'differs.txt': { content: 'target bytes', mtime: T0 + 100 } });
    s.add('n', '--mode', 'bidirectional', '--conflict', 'manual');
    expect(expectCompleted(s.run('n')).conflicts).toBe(1);
    expect(s.conflicts('n')).toMatchObject([{ path: 'differs.txt', kind: 'first_sync_differs' }]);
    expect(fs.readFileSync(join(source, 'differs.txt'), 'utf8')).toBe('source bytes');
    expect(fs.readFileSync(join(target, 'differs.txt'), 'utf8')).toBe('target bytes');
  }, 120_000);
});

describe.skipIf(!sshdAvailable())('selective with the target on ssh', () => {
  const s = remoteSuite('conduit-remote-selective-');

  it('syncs only the selection beside the far target\'s own files; a delete inside the selection propagates, one outside does not; then nothing to do', () => {
    s.remote = 'target';
    const { source, target } = s.area;
    writeTree(source, {
      'docs/a.md': 'A', 'docs/b.md': 'B', 'docs/sub/c.md': 'C', 'docs/ballast/1.txt': '1', 'docs/ballast/2.txt': '2', 'docs/ballast/3.txt': '3',
      'src/main.ts': 'main', 'private.txt': 'not selected',
    });
    writeTree(target, { 'notes.txt': 'the far host\'s own notes', 'src/main.ts': 'the far host\'s own main' });
    s.add('sel', '--mode', 'selective', '--include', 'docs/**');

    expect(expectCompleted(s.run('sel'))).toMatchObject({ filesCopied: 6, filesDeleted: 0 });
    expect(readTree(target)).toEqual({
      'docs/': true, 'docs/a.md': 'A', 'docs/b.md': 'B', 'docs/sub/': true, 'docs/sub/c.md': 'C',
      'docs/ballast/': true, 'docs/ballast/1.txt': '1', 'docs/ballast/2.txt': '2', 'docs/ballast/3.txt': '3',
      'notes.txt': 'the far host\'s own notes', 'src/': true, 'src/main.ts': 'the far host\'s own main',
    });

    fs.rmSync(join(source, 'docs/a.md'));
    fs.rmSync(join(source, 'src/main.ts'));
    put(source, 'docs/b.md', 'B edited', T0 + 5);
    const second = expectCompleted(s.run('sel'));
    expect(second).toMatchObject({ filesCopied: 1, filesDeleted: 1 });
    expect(fs.existsSync(join(target, 'docs/a.md'))).toBe(false);
    expect(fs.readFileSync(join(target, 'docs/b.md'), 'utf8')).toBe('B edited');
    expect(fs.readFileSync(join(target, 'src/main.ts'), 'utf8')).toBe('the far host\'s own main');
    expect(fs.readFileSync(join(target, 'notes.txt'), 'utf8')).toBe('the far host\'s own notes');
    expect(expectCompleted(s.run('sel'))).toMatchObject({ filesCopied: 0, filesDeleted: 0 });
    // One way: conduit never wrote to the source (it holds exactly what the test left there).
    expect(readTree(source)).toEqual({
      'docs/': true, 'docs/b.md': 'B edited', 'docs/sub/': true, 'docs/sub/c.md': 'C',
      'docs/ballast/': true, 'docs/ballast/1.txt': '1', 'docs/ballast/2.txt': '2', 'docs/ballast/3.txt': '3',
      'src/': true, 'private.txt': 'not selected',
    });
  }, 120_000);

  it('a far-host edit of a selected file conduit synced is kept (a conflict copy), never overwritten by the source', () => {
    s.remote = 'target';
    const { source, target } = s.area;
    writeTree(source, { 'docs/a.md': { content: 'A', mtime: T0 }, 'docs/b.md': 'B' });
    s.add('sel', '--mode', 'selective', '--include', 'docs/**');
    expectCompleted(s.run('sel'));
    put(target, 'docs/a.md', 'edited on the far host', T0 + 10);
    put(source, 'docs/a.md', 'edited at the source', T0 + 20);
    const out = expectCompleted(s.run('sel'));
    expect(out.conflicts).toBe(1);
    const all = Object.entries(readTree(target)).filter(([, v]) => v === 'edited on the far host');
    expect(all).toHaveLength(1); // the far host's bytes survive, at the path or as a conflict copy
  }, 120_000);
});
