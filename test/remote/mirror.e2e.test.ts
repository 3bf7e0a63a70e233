import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireSshdInCi, sshdAvailable } from '../support/sshd.js';
import { put, readTree, statTree, tempFilesUnder, writeTree } from '../support/tree.js';
import { expectCompleted, remoteSuite, snapshot, type Side } from './remote-e2e.js';

/**
 * Issue 10, "everything that holds locally holds with a remote root": mirror
 * through the real CLI with one root on the far host (a real sshd on
 * 127.0.0.1, the agent of this checkout), both ways, and the hidden details
 * of the local suite (symlinks, modes, empty directories, odd names, mtimes)
 * over ssh. The far root is a folder on this machine, written and read
 * directly as the far host's user would.
 */

requireSshdInCi();

const directions: Array<[string, Side]> = [['local → remote (the target on ssh)', 'target'], ['remote → local (the source on ssh)', 'source']];

/** `touch -d` with nanoseconds (Node's utimes takes a double of seconds and loses the last digits). */
function touchNs(stamp: string, ...paths: string[]): void {
  execFileSync('touch', ['-h', '-d', stamp, ...paths]);
}

const near = (a: bigint, b: bigint): boolean => (a > b ? a - b : b - a) <= 1_000n;

describe.skipIf(!sshdAvailable())('mirror with a root on ssh', () => {
  const s = remoteSuite('conduit-remote-mirror-');

  describe.each(directions)('%s', (_, remote) => {
    it('copies new files and nested directories, then changed and deleted ones; a second run plans nothing', () => {
      s.remote = remote;
      const { source, target } = s.area;
      writeTree(source, {
        'a.txt': { content: 'alpha', mtime: 1_600_000_000 },
        'd/e/f.txt': 'deep',
        'd/g.txt': 'gee',
        'old.txt': 'to be deleted',
      });
      s.add('m', '--mode', 'mirror', '--max-delete', '100');

      const first = expectCompleted(s.run('m'));
      expect(first).toMatchObject({ filesCopied: 4, filesDeleted: 0 });
      expect(readTree(target)).toEqual(readTree(source));
      expect(expectCompleted(s.run('m'))).toMatchObject({ filesCopied: 0, filesDeleted: 0, dirsCreated: 0, dirsDeleted: 0 });

      // Same size, other content and another mtime; a new file deep down; a deleted file and a deleted directory.
      put(source, 'a.txt', 'ALPHA', 1_600_000_500);
      put(source, 'd/e/h/new.txt', 'new and nested');
      fs.rmSync(join(source, 'old.txt'));
      fs.rmSync(join(source, 'd/g.txt'));
      const changed = expectCompleted(s.run('m'));
      expect(changed).toMatchObject({ filesCopied: 2, filesDeleted: 2 });
      expect(readTree(target)).toEqual(readTree(source));
      expect(readTree(target)).toEqual({ 'a.txt': 'ALPHA', 'd/': true, 'd/e/': true, 'd/e/f.txt': 'deep', 'd/e/h/': true, 'd/e/h/new.txt': 'new and nested' });

      const again = expectCompleted(s.run('m'));
      expect(again).toMatchObject({ filesCopied: 0, filesDeleted: 0, dirsCreated: 0, dirsDeleted: 0, bytesTransferred: 0 });
      // Temp + rename on the host that holds the file: no temporary left behind on either host.
      expect([...tempFilesUnder(source), ...tempFilesUnder(target)]).toEqual([]);
    }, 120_000);

    it('the target\'s own extras are removed (mirror), the source is never written', () => {
      s.remote = remote;
      const { source, target } = s.area;
      writeTree(source, { 'keep.txt': 'k', 'sub/x.txt': 'x' });
      writeTree(target, { 'extra.txt': 'the target\'s own', 'sub/stale.txt': 'stale', 'gone/deep/y.txt': 'y' });
      const sourceBefore = snapshot(source);
      s.add('m', '--mode', 'mirror', '--max-delete', '100');
      const out = expectCompleted(s.run('m'));
      expect(out).toMatchObject({ filesCopied: 2, filesDeleted: 3 });
      expect(readTree(target)).toEqual({ 'keep.txt': 'k', 'sub/': true, 'sub/x.txt': 'x' });
      expect(snapshot(source)).toEqual(sourceBefore);
    }, 120_000);

    it('dry run: planned and recorded as a dry run, nothing changed on either side; the real run then does the work', () => {
      s.remote = remote;
      const { source, target } = s.area;
      writeTree(source, { 'a.txt': 'a', 'd/b.txt': 'b' });
      s.add('m', '--mode', 'mirror', '--max-delete', '100');
      expectCompleted(s.run('m'));
      put(source, 'a.txt', 'a changed', 1_650_000_000);
      put(source, 'new/c.txt', 'c');
      writeTree(target, { 'extra.txt': 'would be deleted' });
      const before = snapshot(source, target);

      const dry = s.run('m', '--dry-run');
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.out).toMatchObject({ dryRun: true, errors: [] });
      expect(snapshot(source, target)).toEqual(before);
      const plan = s.cli(['run', 'm', '-n', '-v']);
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).toMatch(/^copy +target +a\.txt\b/m);
      expect(plan.stdout).toMatch(/^delete +target +extra\.txt$/m);
      expect(snapshot(source, target)).toEqual(before);

      const real = expectCompleted(s.run('m'));
      expect(real).toMatchObject({ dryRun: false, filesCopied: 2, filesDeleted: 1 });
      expect(readTree(target)).toEqual(readTree(source));
    }, 120_000);

    it('hidden details: links copied as links (never followed), modes, empty directories, odd names, mtimes to the nanosecond', () => {
      s.remote = remote;
      const { source, target, base } = s.area;
      writeTree(join(base, 'outside'), { 'secret.txt': 'outside the root' });
      writeTree(source, {
        'a.txt': 'plain',
        'd/inner.txt': 'inside d',
        'link-relative': { symlink: 'a.txt' },
        'link-to-dir': { symlink: 'd' },
        'link-outside': { symlink: join(base, 'outside/secret.txt') },
        'link-dangling': { symlink: 'nowhere/at/all' },
        'run.sh': { content: '#!/bin/sh\necho hi\n', mode: 0o755 },
        'secret.key': { content: 'k', mode: 0o600 },
        'readonly.txt': { content: 'r', mode: 0o444 },
        'private/': { dir: true, mode: 0o700 },
        'private/p.txt': 'p',
        'empty/': { dir: true },
        'nested/empty/': { dir: true },
        'with space.txt': 'space',
        'caf\u00e9.txt': 'NFC: one code point',
        'cafe\u0301.txt': 'NFD: e and a combining accent, another name',
        'line\nbreak.txt': 'a newline in the name',
        '-rf': 'a leading dash',
        '--help.txt': 'two leading dashes',
        '日本語/ファイル.txt': 'unicode directory and file',
      });
      touchNs('2021-03-04 05:06:07.123456789', join(source, 'a.txt'), join(source, 'run.sh'));
      touchNs('2019-12-31 23:59:59.000000001', join(source, 'line\nbreak.txt'));
      touchNs('2022-06-01 12:00:00.987654321', join(source, 'caf\u00e9.txt'));
      s.add('m', '--mode', 'mirror');

      const first = expectCompleted(s.run('m'));
      expect(readTree(target)).toEqual(readTree(source));
      expect(fs.readdirSync(join(base, 'outside'))).toEqual(['secret.txt']); // nothing written through the link

      const src = statTree(source);
      const tgt = statTree(target);
      expect([...tgt.keys()]).toEqual([...src.keys()]);
      for (const [rel, want] of src) {
        const got = tgt.get(rel)!;
        expect({ rel, kind: got.kind }).toEqual({ rel, kind: want.kind });
        if (want.kind === 'symlink') continue;
        expect({ rel, mode: got.mode.toString(8) }).toEqual({ rel, mode: want.mode.toString(8) });
        if (want.kind === 'file') expect(near(got.mtimeNs, want.mtimeNs), `${rel}: mtime ${got.mtimeNs} vs the source's ${want.mtimeNs}`).toBe(true);
      }
      expect(fs.readlinkSync(join(target, 'link-outside'))).toBe(join(base, 'outside/secret.txt'));
      expect(first.filesCopied).toBeGreaterThanOrEqual(14);

      const again = expectCompleted(s.run('m'));
      expect(again).toMatchObject({ filesCopied: 0, filesDeleted: 0, dirsCreated: 0, dirsDeleted: 0 });
    }, 120_000);

    it('a name that is not UTF-8 (bad\\xff\\xfe.txt) is synced byte for byte and re-runs as a no-op', () => {
      s.remote = remote;
      const { source, target } = s.area;
      const bad = Buffer.concat([Buffer.from('bad'), Buffer.from([0xff, 0xfe]), Buffer.from('.txt')]);
      const inRoot = (root: string) => Buffer.concat([Buffer.from(`${root}/`), bad]);
      fs.writeFileSync(inRoot(source), 'not UTF-8, still mine');
      s.add('m', '--mode', 'mirror', '--max-delete', '100');

      expect(expectCompleted(s.run('m'))).toMatchObject({ filesCopied: 1 });
      expect(fs.readdirSync(target, { encoding: 'buffer' })).toEqual([bad]);
      expect(fs.readFileSync(inRoot(target), 'utf8')).toBe('not UTF-8, still mine');
      expect(expectCompleted(s.run('m'))).toMatchObject({ filesCopied: 0, filesDeleted: 0 });
      fs.unlinkSync(inRoot(source));
      expect(expectCompleted(s.run('m', '--force'))).toMatchObject({ filesDeleted: 1 }); // the root's only file: the emptied-root guard

      expect(fs.readdirSync(target)).toEqual([]);
    }, 120_000);

    it('a file replaced by a directory and a directory by a file (type changes) converge', () => {
      s.remote = remote;
      const { source, target } = s.area;
      writeTree(source, { 'x': 'a file first', 'y/inside.txt': 'a directory first', 'z.txt': 'ballast', 'w.txt': 'ballast' });
      s.add('m', '--mode', 'mirror', '--max-delete', '100');
      expectCompleted(s.run('m'));
      fs.rmSync(join(source, 'x'));
      fs.rmSync(join(source, 'y'), { recursive: true });
      writeTree(source, { 'x/now.txt': 'x is a directory now', 'y': 'y is a file now' });
      expectCompleted(s.run('m'));
      expect(readTree(target)).toEqual(readTree(source));
      expect(expectCompleted(s.run('m'))).toMatchObject({ filesCopied: 0, filesDeleted: 0 });
    }, 120_000);
  });

  it('the far target is created at the first run (its parent exists)', () => {
    s.remote = 'target';
    const { source, target } = s.area;
    fs.rmdirSync(target);
    writeTree(source, { 'a.txt': 'a', 'e/': { dir: true } });
    s.add('m', '--mode', 'mirror');
    expect(expectCompleted(s.run('m'))).toMatchObject({ filesCopied: 1 });
    expect(readTree(target)).toEqual({ 'a.txt': 'a', 'e/': true });
  }, 120_000);

  it('a large file (3 MiB, not a multiple of any block size) arrives whole and byte-exact, and a small change in it converges (copied against its old version on the far host as the basis: that basis was sent as the mount path, EACCES outside the agent\'s root)', () => {
    s.remote = 'target';
    const { source, target } = s.area;
    const big = Buffer.alloc(3 * 1024 * 1024 + 12_345);
    for (let i = 0; i < big.length; i++) big[i] = (i * 2_654_435_761) >>> 24;
    fs.writeFileSync(join(source, 'big.bin'), big);
    s.add('m', '--mode', 'mirror');
    expectCompleted(s.run('m'));
    expect(fs.readFileSync(join(target, 'big.bin')).equals(big)).toBe(true);
    big.write('changed in the middle', 1_500_000);
    fs.writeFileSync(join(source, 'big.bin'), big);
    fs.utimesSync(join(source, 'big.bin'), 1_700_000_000, 1_700_000_000);
    expect(expectCompleted(s.run('m'))).toMatchObject({ filesCopied: 1 });
    expect(fs.readFileSync(join(target, 'big.bin')).equals(big)).toBe(true);
  }, 120_000);
});
