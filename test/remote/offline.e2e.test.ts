import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { json } from '../cli/cli-harness.js';
import { requireSshdInCi, sshdAvailable } from '../support/sshd.js';
import { countFiles, put, readTree, waitFor, writeTree } from '../support/tree.js';
import { expectCompleted, expectOneLineRefusal, LOCAL_CONTROL, remoteSuite, snapshot, type GenerationJson, type Side } from './remote-e2e.js';

/**
 * Issue 10 "Offline", through the real CLI and a real sshd on 127.0.0.1: the
 * host down is a refusal before anything is written, with the backoff visible
 * in `show`; back up, the run converges. A link killed mid-transfer (the
 * sshd's session children killed, and with them the agent) leaves no partial
 * file at a final path on either host, records the generation `interrupted`
 * with what landed, and the next generation converges with no false conflict.
 */

requireSshdInCi();

interface ShowJson { state: string; attemptCount: number; nextAttemptAt: string | null; lastSyncError: string | null }

describe.skipIf(!sshdAvailable() || LOCAL_CONTROL)('a far host that goes away', () => {
  const s = remoteSuite('conduit-remote-offline-');

  it('sshd stopped: refused (exit 3, one line), state unreachable, attempts and the next attempt in show, nothing deleted anywhere; sshd back: converges and the count resets', async () => {
    s.remote = 'target';
    const { source, target } = s.area;
    writeTree(source, { 'a.txt': 'a', 'b.txt': 'b', 'c.txt': 'c', 'd/e.txt': 'e' });
    s.add('m', '--mode', 'mirror', '--max-delete', '100');
    expectCompleted(s.run('m'));
    put(source, 'a.txt', 'a changed', 1_700_000_000);
    fs.rmSync(join(source, 'b.txt'));
    const before = snapshot(source, target);
    await s.sshd.stop();
    try {
      expectOneLineRefusal(s.cli(['run', 'm']));
      const once = json<ShowJson>(s.cli(['--json', 'show', 'm']));
      expect(once.state).toBe('unreachable');
      expect(once.attemptCount).toBe(1);
      expect(Date.parse(once.nextAttemptAt ?? '')).not.toBeNaN();
      const refused = s.run('m');
      expect(refused.code).toBe(3);
      expect(refused.out.status).toBe('refused');
      expect(json<ShowJson>(s.cli(['--json', 'show', 'm'])).attemptCount).toBe(2);
      const text = s.cli(['show', 'm']);
      expect(text.stdout).toMatch(/unreachable/);
      expect(snapshot(source, target)).toEqual(before);
    } finally {
      await s.sshd.start();
    }
    expect(expectCompleted(s.run('m'))).toMatchObject({ filesCopied: 1, filesDeleted: 1 });
    expect(readTree(target)).toEqual(readTree(source));
    expect(json<ShowJson>(s.cli(['--json', 'show', 'm']))).toMatchObject({ state: 'current', attemptCount: 0 });
  }, 120_000);

  describe.each<[string, Side]>([['the target on ssh', 'target'], ['the source on ssh', 'source']])('%s: the link killed mid-transfer', (_, remote) => {
    it('no partial file at a final path on either host, the generation interrupted with what landed, the next one converges with no false conflict', async () => {
      s.remote = remote;
      const { source, target } = s.area;
      const files: Record<string, Buffer> = {};
      for (let i = 0; i < 24; i++) files[`f${String(i).padStart(2, '0')}.bin`] = Buffer.alloc(64 * 1024, `${i}:`);
      writeTree(source, { 'seed.txt': 'synced first' });
      s.add('n', '--mode', 'bidirectional', '--parallel', '1', '--bandwidth-limit', '2');
      expectCompleted(s.run('n'));
      writeTree(source, files);

      const running = s.runInBackground('n');
      await waitFor('a few copies to land', () => countFiles(target, { finalOnly: true }) >= 4);
      s.sshd.killSessions();
      const result = await running;

      const out = JSON.parse(result.stdout) as GenerationJson;
      expect(out.status, result.stderr).toBe('interrupted');
      expect(result.code).toBe(1);
      // Every file at a final path on the target holds its whole content: nothing partial landed there.
      const landed = fs.readdirSync(target).filter((n) => n.startsWith('f') && !n.includes('.conduit-tmp-'));
      for (const name of landed) expect(fs.readFileSync(join(target, name)).equals(files[name]!), name).toBe(true);
      expect(landed.length).toBeLessThan(24);
      // What landed is recorded: at most one more landed than was recorded (its rename raced the kill).
      expect(out.filesCopied).toBeLessThanOrEqual(landed.length);
      expect(out.filesCopied).toBeGreaterThanOrEqual(landed.length - 1);
      const history = json<GenerationJson[]>(s.cli(['--json', 'history', 'n']));
      expect(history[0]).toMatchObject({ generation: out.generation, status: 'interrupted' });

      const next = expectCompleted(s.run('n'));
      expect(next.conflicts).toBe(0);
      expect(readTree(target, {})).toEqual(readTree(source));
      expect(Object.keys(readTree(target)).filter((n) => n.includes('.conflict-'))).toEqual([]);
      expect(expectCompleted(s.run('n'))).toMatchObject({ filesCopied: 0, filesDeleted: 0, conflicts: 0 });
    }, 180_000);
  });
});
