import * as fsSync from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryFileSystem } from '../../src/fs/memory-file-system.js';
import { NodeFileSystem } from '../../src/fs/node-file-system.js';
import { rootPresent } from '../../src/fs/root-present.js';

/** The service's poll for a conduit waiting for its roots asks the seam, not node:fs. */
describe('rootPresent', () => {
  it('on the real disk: a directory, or a link to one, is there; a file, a dangling link or nothing is not', async () => {
    const base = await mkdtemp(join(tmpdir(), 'conduit-root-present-'));
    try {
      fsSync.mkdirSync(join(base, 'dir'));
      fsSync.writeFileSync(join(base, 'file'), 'x');
      fsSync.symlinkSync(join(base, 'dir'), join(base, 'to-dir'));
      fsSync.symlinkSync(join(base, 'file'), join(base, 'to-file'));
      fsSync.symlinkSync(join(base, 'nowhere'), join(base, 'dangling'));
      const fs = new NodeFileSystem();
      const answers = Object.fromEntries(await Promise.all(
        ['dir', 'to-dir', 'to-dir/', 'file', 'to-file', 'dangling', 'missing', 'file/below'].map(async (n) => [n, await rootPresent(fs, join(base, n))] as const),
      ));
      expect(answers).toEqual({ dir: true, 'to-dir': true, 'to-dir/': true, file: false, 'to-file': false, dangling: false, missing: false, 'file/below': false });
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });

  it('in memory (which never follows a link): a directory is there, anything else is not', async () => {
    const fs = new MemoryFileSystem();
    fs.mkdirp('/r/dir');
    fs.writeFile('/r/file', 'x');
    await fs.symlink('/r/dir', '/r/to-dir');
    expect(await rootPresent(fs, '/r/dir')).toBe(true);
    expect(await rootPresent(fs, '/r/file')).toBe(false);
    expect(await rootPresent(fs, '/r/to-dir')).toBe(false);
    expect(await rootPresent(fs, '/r/missing')).toBe(false);
  });
});
