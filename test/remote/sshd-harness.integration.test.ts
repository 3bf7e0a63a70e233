import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireSshdInCi, sshdAvailable, startSshd, type Sshd } from '../support/sshd.js';

requireSshdInCi();

// The harness itself: a real sshd that takes the test key, refuses the others, and stops and starts on cue.
describe.skipIf(!sshdAvailable())('the test sshd on 127.0.0.1', () => {
  let dir: string;
  let sshd: Sshd;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'conduit-sshd-'));
    sshd = await startSshd(dir);
  });
  afterAll(async () => {
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const ssh = (command: string, remote: string) =>
    spawnSync('sh', ['-c', `${command} -o BatchMode=yes -p ${sshd.port} 127.0.0.1 ${remote}`], { encoding: 'utf8' });

  it('runs a command with the authorised key and the known host key', () => {
    const result = ssh(sshd.sshCommand, 'echo hello');
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('hello\n');
  });

  it('refuses a host whose key is not the known one, and a user key it does not authorise', () => {
    const wrongHost = ssh(sshd.wrongHostKeySshCommand, 'true');
    expect(wrongHost.status).toBe(255);
    expect(wrongHost.stderr).toMatch(/host key/i);
    const wrongUser = ssh(sshd.wrongUserKeySshCommand, 'true');
    expect(wrongUser.status).toBe(255);
    expect(wrongUser.stderr).toMatch(/Permission denied/);
  });

  it('stops (connection refused) and starts again on the same port', async () => {
    await sshd.stop();
    expect(ssh(sshd.sshCommand, 'true').stderr).toMatch(/Connection refused/);
    await sshd.start();
    expect(ssh(sshd.sshCommand, 'echo back').stdout).toBe('back\n');
    expect(execFileSync('sh', ['-c', `${sshd.sshCommand} -p ${sshd.port} 127.0.0.1 ${sshd.remoteCommand} --version`], { encoding: 'utf8' }).trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
