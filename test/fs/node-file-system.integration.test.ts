import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NodeFileSystem, secondsFromNs, toFsError } from '../../src/fs/node-file-system.js';
import { fileSystemContract } from './file-system.contract.js';

// The real disk, through the same contract as the in-memory fake. Fixtures are made with
// node:fs directly so that a bug in NodeFileSystem cannot hide a bug in its own test set-up.
fileSystemContract('NodeFileSystem', async () => {
  const root = await mkdtemp(join(tmpdir(), 'conduit-fs-'));
  return {
    fs: new NodeFileSystem(),
    root,
    writeFile: (path, content) => writeFile(path, content),
    readFile: (path) => readFile(path, 'utf8'),
    mtimeToleranceNs: 1_000n,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

describe('NodeFileSystem specifics', () => {
  it('reports a FIFO as an unsupported problem', async () => {
    const root = await mkdtemp(join(tmpdir(), 'conduit-fs-'));
    try {
      execFileSync('mkfifo', [join(root, 'pipe')]);
      const fs = new NodeFileSystem();
      const entry = await fs.lstat(join(root, 'pipe'));
      expect(entry).toMatchObject({ kind: 'problem', code: 'unsupported' });
      expect(fs.lstatSync(join(root, 'pipe'))).toEqual(entry);
      expect((entry as { message: string }).message).toContain('FIFO');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('maps errno once, keeping the code, the operation and the path in the message', () => {
    const errno = Object.assign(new Error("EACCES: permission denied, open '/x/y'"), { code: 'EACCES', path: '/x/y', syscall: 'open' });
    const err = toFsError(errno, 'readText', '/x/y');
    expect(err).toMatchObject({ code: 'EACCES', op: 'readText', path: '/x/y', message: "EACCES: permission denied, open '/x/y'" });
    const odd = toFsError(Object.assign(new Error('ETIMEDOUT: connection timed out, read'), { code: 'ETIMEDOUT' }), 'hash', '/n/f');
    expect(odd).toMatchObject({ code: 'EOTHER', path: '/n/f' });
    expect(odd.message).toMatch(/^ETIMEDOUT/);
  });

  it('converts nanoseconds to seconds with a single rounding', () => {
    const ns = 1_763_875_200_123_456_789n;
    const exact = secondsFromNs(ns);
    // The double nearest the true value is within half an ulp (~120 ns today).
    const back = BigInt(Math.round(exact * 1e6)) * 1000n;
    expect(back > ns ? back - ns : ns - back).toBeLessThan(1_000n);
    expect(secondsFromNs(-1_500_000_000n)).toBe(-1.5);
    expect(secondsFromNs(0n)).toBe(0);
  });
});
