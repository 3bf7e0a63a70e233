import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peekRoots } from '../../src/cli/early-connect.js';
import { conduit } from '../cli/cli-harness.js';
import { requireSshdInCi, sshdAvailable, startSshd, type Sshd } from '../support/sshd.js';
import { statTree, tempArea, writeTree, type TempArea } from '../support/tree.js';

/**
 * `conduit run` of a remote conduit starts its ssh connection while the
 * store opens (src/cli/early-connect.ts), through the real CLI and a real
 * sshd on 127.0.0.1. The generation waits for that same attempt: every
 * connection is counted by a wrapper around the ssh command, so a run makes
 * exactly one, whether the host answers or not; a refusal stays what it was
 * (exit 3, one line, nothing written), and a run that does not happen
 * (disabled) changes nothing on the far side.
 */

requireSshdInCi();

describe.skipIf(!sshdAvailable())('a run connects while the store opens, once', () => {
  let sshdDir: string;
  let sshd: Sshd;
  let area: TempArea;
  let counter: string;
  beforeAll(async () => {
    sshdDir = fs.mkdtempSync(join(tmpdir(), 'conduit-sshd-'));
    sshd = await startSshd(sshdDir);
    area = tempArea('conduit-early-connect-');
    counter = join(area.base, 'connections.txt');
  }, 120_000);
  afterAll(async () => {
    await sshd?.stop();
    area?.cleanup();
    fs.rmSync(sshdDir, { recursive: true, force: true });
  });
  // Each ssh started appends one line, then runs the real ssh.
  const countedSsh = () => `echo ssh >> '${counter}'; ${sshd.sshCommand}`;
  const cli = (args: readonly string[]) =>
    conduit(args, { cwd: area.base, env: { CONDUIT_DB: area.db, ...sshd.env(), CONDUIT_SSH_COMMAND: countedSsh() } });
  const connections = (): number => (fs.existsSync(counter) ? fs.readFileSync(counter, 'utf8').split('\n').filter((l) => l !== '').length : 0);

  it('reads the roots ahead without creating or changing the database', () => {
    const missing = join(area.base, 'no-such.db');
    expect(peekRoots(missing, 'x')).toBeNull();
    expect(fs.existsSync(missing)).toBe(false);
  });

  it('reachable: one connection per run, the tree lands; unreachable: one attempt, exit 3 in one line, nothing written', async () => {
    const target = join(area.base, 'far');
    writeTree(area.source, { 'a.txt': 'alpha', 'd/b.txt': 'beta' });
    expect(cli(['add', '--name', 'r', '--source', area.source, '--target', sshd.url(target), '--mode', 'mirror']).code).toBe(0);
    expect(peekRoots(area.db, 'r')).toMatchObject({ name: 'r', source: area.source, target: sshd.url(target), sshCommand: null, remoteCommand: null });
    expect(peekRoots(area.db, 'nobody')).toBeNull();

    fs.rmSync(counter, { force: true });
    const first = cli(['--json', 'run', 'r']);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ status: 'completed', filesCopied: 2 });
    expect(fs.readFileSync(join(target, 'd/b.txt'), 'utf8')).toBe('beta');
    expect(connections()).toBe(1);

    writeTree(area.source, { 'c.txt': 'gamma' });
    const before = statTree(target);
    const generations = (JSON.parse(cli(['--json', 'history', 'r']).stdout) as unknown[]).length;
    await sshd.stop();
    try {
      fs.rmSync(counter, { force: true });
      const refused = cli(['run', 'r']);
      expect(refused.code, refused.stderr).toBe(3);
      const lines = refused.stderr.split('\n').filter((l) => l.trim() !== '');
      expect(lines, refused.stderr).toHaveLength(1);
      expect(lines[0]).toContain('127.0.0.1');
      // The early attempt is the generation's: not a second one after it failed.
      expect(connections()).toBe(1);
      expect(statTree(target)).toEqual(before);
      const history = JSON.parse(cli(['--json', 'history', 'r']).stdout) as { status: string }[];
      expect(history).toHaveLength(generations + 1);
      expect(history[0]!.status).toBe('refused');
    } finally {
      await sshd.start();
    }
  });

  it('a disabled remote conduit: exit 2 as before, nothing on the far side', () => {
    const target = join(area.base, 'far-disabled');
    expect(cli(['add', '--name', 'off', '--source', area.source, '--target', sshd.url(target), '--mode', 'mirror']).code).toBe(0);
    expect(cli(['disable', 'off']).code).toBe(0);
    const r = cli(['run', 'off']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is disabled');
    expect(fs.existsSync(target)).toBe(false);
  });
});
