import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { conduit, json } from '../cli/cli-harness.js';
import { requireSshdInCi, sshdAvailable, startSshd, type Sshd } from '../support/sshd.js';

requireSshdInCi();

/**
 * Issue 10 end to end: `conduit add` with an ssh:// target and `conduit run`
 * of a mirror local → remote through a real sshd on 127.0.0.1 (the "far
 * host" is this machine, reached only over ssh), with the settings from
 * CONDUIT_SSH_COMMAND / CONDUIT_REMOTE_COMMAND as sshd.env() gives them.
 */
describe.skipIf(!sshdAvailable())('a mirror local → ssh:// through the real sshd', () => {
  let dir: string;
  let sshd: Sshd;
  let run: (...args: string[]) => ReturnType<typeof conduit>;
  const p = (path: string) => join(dir, path);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'conduit-remote-run-'));
    mkdirSync(p('sshd'));
    sshd = await startSshd(p('sshd'));
    mkdirSync(p('local'));
    mkdirSync(p('far'));
    writeFileSync(p('local/a.txt'), 'alpha');
    mkdirSync(p('local/sub'));
    writeFileSync(p('local/sub/b.bin'), Buffer.from([0, 1, 2, 255]));
    run = (...args) => conduit(args, { cwd: dir, env: { CONDUIT_DB: p('conduit.db'), ...sshd.env() } });
  });
  afterAll(async () => {
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('add stores the ssh:// target; run copies the tree onto the far host; a second run does nothing', () => {
    const target = sshd.url(p('far/photos'));
    const added = json<{ target: string }>(run('--json', 'add', '--name', 'photos', '--source', 'local', '--target', target, '--mode', 'mirror'));
    expect(added.target).toBe(target);

    const first = run('--json', 'run', 'photos');
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ status: 'completed', filesCopied: 2 });
    expect(readFileSync(p('far/photos/a.txt'), 'utf8')).toBe('alpha');
    expect([...readFileSync(p('far/photos/sub/b.bin'))]).toEqual([0, 1, 2, 255]);

    const again = run('--json', 'run', 'photos');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'completed', filesCopied: 0, filesDeleted: 0 });
    expect(existsSync(p('far/photos/a.txt'))).toBe(true);
  });
});
