import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generationRows, landedFiles, startConduit, tempFiles, waitFor, type ConduitProcess } from '../support/processes.js';
import { requireSshdInCi, sshdAvailable } from '../support/sshd.js';
import { remoteSuite, type Side } from './remote-e2e.js';

/**
 * Issue 8 §6 (test/cli/interrupt.e2e.test.ts) with a root on the far host: a
 * run stopped by SIGINT once some files have landed is recorded truthfully —
 * `interrupted` with exactly the files on disk, no temporary left on either
 * host — and the next run copies only the rest. Real processes, a real sshd on
 * 127.0.0.1, files counted on the far disk.
 */

requireSshdInCi();

const FILES = 6_000;
const DIRS = 30;

describe.skipIf(!sshdAvailable())('a graceful stop over ssh is recorded truthfully', () => {
  const s = remoteSuite('conduit-remote-interrupt-');
  const started: ConduitProcess[] = [];
  afterEach(async () => {
    for (const p of started.splice(0)) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGKILL');
        await p.exited;
      }
    }
  });

  describe.each<[string, Side]>([['the target on ssh', 'target'], ['the source on ssh', 'source']])('%s', (_, remote) => {
    it('SIGINT mid-copy: exit 130, interrupted, filesCopied equals the files on the target\'s disk, no temporaries on either host, a re-run copies only the rest', async () => {
      s.remote = remote;
      const { source, target } = s.area;
      // 1 KiB files whose content differs per file; mtimes are whatever the disk gives.
      for (let d = 0; d < DIRS; d++) {
        const dir = join(source, `d${String(d).padStart(2, '0')}`);
        fs.mkdirSync(dir, { recursive: true });
        for (let i = 0; i < FILES / DIRS; i++) fs.writeFileSync(join(dir, `f${i}.txt`), `${d}/${i} `.padEnd(1024, 'x'));
      }
      s.add('m', '--mode', 'mirror');
      const run = startConduit(['--json', 'run', 'm'], { cwd: s.area.base, env: { CONDUIT_DB: s.area.db, ...s.sshd.env() } });
      started.push(run);
      await waitFor('300 files on the target', () => (run.child.exitCode !== null ? -1 : landedFiles(target).length), (n) => n === -1 || n >= 300);
      expect(run.child.exitCode, `the run finished before it could be interrupted: ${run.stderr()}`).toBeNull();

      run.child.kill('SIGINT');
      const code = await run.exited;

      expect(code, run.stderr()).toBe(130);
      const onDisk = landedFiles(target).length;
      expect(onDisk).toBeGreaterThan(0);
      expect(onDisk).toBeLessThan(FILES);
      const out = JSON.parse(run.stdout()) as { status: string; filesCopied: number; errors: unknown[] };
      expect(out).toMatchObject({ status: 'interrupted', filesCopied: onDisk, errors: [] });
      expect(generationRows(s.area.db, 'm').map((g) => [g.status, g.files_copied])).toEqual([['interrupted', onDisk]]);
      expect([...tempFiles(target), ...tempFiles(source)]).toEqual([]);

      const again = s.cli(['--json', 'run', 'm']);
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ status: 'completed', filesCopied: FILES - onDisk, filesDeleted: 0, conflicts: 0 });
      expect(landedFiles(target)).toHaveLength(FILES);
    }, 300_000);
  });
});
