import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LinkLostError, UnreachableError } from '../../src/fs/file-system.js';
import type { AgentLink } from '../../src/remote/link/link.js';
import type { SshSettings } from '../../src/remote/link/link-source.js';
import { parseRoot, type RemoteRoot } from '../../src/remote/root-url.js';
import { connectOverSsh, type SshLink } from '../../src/remote/ssh/ssh.js';
import { SshLinkSource } from '../../src/remote/ssh/ssh-link-source.js';
import { repoRoot } from '../cli/cli-harness.js';
import { freePort, requireSshdInCi, sshdAvailable, startSshd, type Sshd } from '../support/sshd.js';

requireSshdInCi();

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

/** An UnreachableError naming the host, in one line. */
function expectOneLineUnreachable(err: Error, host: string): UnreachableError {
  expect(err).toBeInstanceOf(UnreachableError);
  const unreachable = err as UnreachableError;
  expect(unreachable.host).toBe(host);
  expect(unreachable.message).not.toMatch(/[\r\n]/);
  expect(unreachable.message.startsWith(`cannot reach ${host}: `)).toBe(true);
  return unreachable;
}

describe.skipIf(!sshdAvailable())('reaching a remote root over the system ssh', () => {
  let dir: string;
  let farRoot: string;
  let sshd: Sshd;
  let root: RemoteRoot;
  let host: string;
  let settings: SshSettings;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'conduit-ssh-link-'));
    farRoot = join(dir, 'far');
    mkdirSync(farRoot);
    sshd = await startSshd(dir);
    root = parseRoot(sshd.url(farRoot)) as RemoteRoot;
    host = `127.0.0.1:${sshd.port}`;
    settings = { sshCommand: sshd.sshCommand, remoteCommand: sshd.remoteCommand, connectTimeoutSeconds: 5 };
  });
  afterAll(async () => {
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('handshakes with the agent on the far host and answers a ping; close waits for ssh to end', async () => {
    const link = await connectOverSsh(root, settings);
    expect(link.version).toBe(1);
    expect(link.host).toBe(host);
    expect(link.agentSoftware).toMatch(/^\d+\.\d+\.\d+/);
    expect(await link.call('ping', null)).toBe('pong');
    expect(link.stats.bytesSent).toBeGreaterThan(0);
    expect(link.stats.bytesReceived).toBeGreaterThan(0);
    await link.close();
    // Closed by us: not "lost".
    expect(link.lost.aborted).toBe(false);
    expect(await rejection(link.call('ping', null))).toBeInstanceOf(LinkLostError);
  });

  it('runs the user\'s whole sshCommand with BatchMode, timeouts and keep-alives, port and user as options, the host after --, and never relaxes host key checking', async () => {
    // A wrapper in front of ssh, as a user's sshCommand may be: it records the arguments conduit adds.
    const argvFile = join(dir, 'ssh-argv.txt');
    const wrapper = join(dir, 'recording-ssh.sh');
    writeFileSync(wrapper, `#!/bin/sh\nprintf '%s\\n' "$@" > '${argvFile}'\nexec ssh "$@"\n`);
    chmodSync(wrapper, 0o755);
    const withUser = parseRoot(`ssh://${sshd.user}@127.0.0.1:${sshd.port}${farRoot}`) as RemoteRoot;
    const link = await connectOverSsh(withUser, { ...settings, sshCommand: `'${wrapper}' ${sshd.sshCommand.replace(/^ssh /, '')}` });
    try {
      expect(await link.call('ping', null)).toBe('pong');
    } finally {
      await link.close();
    }
    const argv = readFileSync(argvFile, 'utf8').trimEnd().split('\n');
    expect(argv).toEqual([
      '-F', join(dir, 'ssh_config'),
      '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', '-o', 'ServerAliveInterval=10', '-o', 'ServerAliveCountMax=3',
      '-T', '-x', '-a', '-p', String(sshd.port), '-l', sshd.user, '--', '127.0.0.1', sshd.remoteCommand,
    ]);
    expect(argv.join(' ')).not.toMatch(/StrictHostKeyChecking|accept-new|UserKnownHostsFile/);
  });

  it('host down (sshd stopped): one line, "connection refused"', async () => {
    await sshd.stop();
    try {
      const err = expectOneLineUnreachable(await rejection(connectOverSsh(root, settings)), host);
      expect(err.reason).toMatch(/^connection refused/);
      expect(err.reason).toMatch(/stderr: .*Connection refused/);
    } finally {
      await sshd.start();
    }
  });

  it('a host key not in known_hosts (or changed): one line that says so and how to check and add it', async () => {
    const err = expectOneLineUnreachable(await rejection(connectOverSsh(root, { ...settings, sshCommand: sshd.wrongHostKeySshCommand })), host);
    expect(err.reason).toMatch(/^host key verification failed: .*not in known_hosts or has changed/);
    expect(err.reason).toContain(`ssh-keyscan -p ${sshd.port} 127.0.0.1`);
  });

  it('a host that accepts the connection but never speaks ssh: "the connection timed out" after ConnectTimeout', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    const port = await freePort();
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
    try {
      const mute = parseRoot(`ssh://127.0.0.1:${port}${farRoot}`) as RemoteRoot;
      const err = expectOneLineUnreachable(await rejection(connectOverSsh(mute, { ...settings, connectTimeoutSeconds: 1 })), `127.0.0.1:${port}`);
      expect(err.reason).toMatch(/^the connection timed out \(stderr: .*timed out/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('a host key not in known_hosts at all: refused (never accepted silently), and known_hosts stays as it was', async () => {
    const emptyKnownHosts = join(dir, 'known_hosts_empty');
    writeFileSync(emptyKnownHosts, '');
    const config = join(dir, 'ssh_config_unknown_host');
    writeFileSync(config, readFileSync(join(dir, 'ssh_config'), 'utf8').replace(/UserKnownHostsFile .*/, `UserKnownHostsFile ${emptyKnownHosts}`));
    const err = expectOneLineUnreachable(await rejection(connectOverSsh(root, { ...settings, sshCommand: `ssh -F '${config}'` })), host);
    expect(err.reason).toMatch(/^host key verification failed: /);
    expect(err.reason).toMatch(/stderr: .*Host key verification failed/);
    expect(readFileSync(emptyKnownHosts, 'utf8')).toBe('');
  });

  it('a user key the host does not accept: one line, "authentication failed" with ssh\'s Permission denied', async () => {
    const err = expectOneLineUnreachable(await rejection(connectOverSsh(root, { ...settings, sshCommand: sshd.wrongUserKeySshCommand })), host);
    expect(err.reason).toMatch(/^authentication failed: /);
    expect(err.reason).toMatch(/stderr: .*Permission denied/);
  });

  it('conduit not installed on the far host: the remote command is named, with its exit code and the far side\'s stderr', async () => {
    const err = expectOneLineUnreachable(await rejection(connectOverSsh(root, { ...settings, remoteCommand: 'conduit-not-installed-here agent' })), host);
    expect(err.reason).toMatch(/^the remote command 'conduit-not-installed-here agent' was not found there \(exit code 127\): install conduit on that host or set remoteCommand/);
    expect(err.reason).toMatch(/stderr: .*conduit-not-installed-here.*not found/);
  });

  it('a login script printing to stdout: a clear error showing what came instead of the greeting', async () => {
    const err = expectOneLineUnreachable(await rejection(connectOverSsh(root, { ...settings, remoteCommand: `echo hi; ${sshd.remoteCommand}` })), host);
    expect(err.reason).toMatch(/the far side wrote "hi" instead of the agent's greeting/);
  });

  it('an agent speaking no version in common: one line naming both ranges', async () => {
    // A far side that greets correctly but speaks protocol 7-9 only (the real framing, from the build).
    const fake = join(dir, 'future-agent.mjs');
    writeFileSync(fake, [
      `import { AGENT_MAGIC, encodeFrame } from ${JSON.stringify(pathToFileURL(join(repoRoot, 'dist/src/remote/link/protocol.js')).href)};`,
      `process.stdout.write(Buffer.concat([AGENT_MAGIC, encodeFrame({ t: 'hello', versions: { min: 7, max: 9 }, software: '9.0.0' })]));`,
      `process.stdin.resume();`,
      `process.stdin.on('end', () => process.exit(0));`,
      '',
    ].join('\n'));
    const err = expectOneLineUnreachable(await rejection(connectOverSsh(root, { ...settings, remoteCommand: `${JSON.stringify(process.execPath)} ${JSON.stringify(fake)}` })), host);
    expect(err.reason).toMatch(/no agent protocol version in common: conduit here speaks 1, the agent on 127\.0\.0\.1:\d+ \(conduit 9\.0\.0\) speaks 7-9/);
  });

  it('a far side that never greets: refused after the handshake timeout, and ssh is ended', async () => {
    // The wrapper's pid is ssh's own (exec): it must be gone once the attempt is refused.
    const pidFile = join(dir, 'ssh-pid.txt');
    const wrapper = join(dir, 'pid-ssh.sh');
    writeFileSync(wrapper, `#!/bin/sh\necho $$ > '${pidFile}'\nexec ssh "$@"\n`);
    chmodSync(wrapper, 0o755);
    const sshCommand = `'${wrapper}' ${sshd.sshCommand.replace(/^ssh /, '')}`;
    const err = expectOneLineUnreachable(await rejection(connectOverSsh(root, { ...settings, sshCommand, remoteCommand: 'read never_sent' }, { handshakeTimeoutMs: 1_000 })), host);
    expect(err.reason).toMatch(/^no greeting from the agent within 1 s/);
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    expect(pid).toBeGreaterThan(0);
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
  });

  it('a link killed mid-use: lost aborts with LinkLostError naming ssh\'s exit, calls reject, the source reconnects on the next link()', async () => {
    const source = new SshLinkSource(root, settings);
    const connected: AgentLink[] = [];
    source.onConnected((link) => connected.push(link));
    try {
      // Concurrent callers share one attempt.
      const [first, again] = await Promise.all([source.link(), source.link()]);
      expect(again).toBe(first);
      expect(connected).toEqual([first]);
      expect(source.current).toBe(first);
      expect(await first.call('ping', null)).toBe('pong');

      const lost = new Promise<unknown>((resolve) => first.lost.addEventListener('abort', () => resolve(first.lost.reason), { once: true }));
      sshd.killSessions();
      const reason = await lost;
      expect(reason).toBeInstanceOf(LinkLostError);
      expect((reason as LinkLostError).host).toBe(host);
      expect((reason as LinkLostError).message).toMatch(/ssh (exited with code \d+|was killed by SIG\w+)/);
      expect((reason as LinkLostError).message).not.toMatch(/[\r\n]/);
      // ssh's own words about the drop are kept, and are in the reason.
      const said = (first as SshLink).stderrText().trim();
      expect(said).not.toBe('');
      expect((reason as LinkLostError).message).toContain(said.split('\n')[0]!.trim());
      expect(source.current).toBeNull();
      expect(await rejection(first.call('ping', null))).toBeInstanceOf(LinkLostError);

      const second = await source.link();
      expect(second).not.toBe(first);
      expect(connected).toEqual([first, second]);
      expect(await second.call('ping', null)).toBe('pong');
    } finally {
      await source.close();
    }
    expect(await rejection(source.link())).toBeInstanceOf(Error);
  });

  it('the source passes an unreachable host\'s UnreachableError on, and connects once the host is back', async () => {
    const source = new SshLinkSource(root, settings);
    try {
      await sshd.stop();
      try {
        const err = expectOneLineUnreachable(await rejection(source.link()), host);
        expect(err.reason).toMatch(/^connection refused/);
        expect(source.current).toBeNull();
      } finally {
        await sshd.start();
      }
      const link = await source.link();
      expect(await link.call('ping', null)).toBe('pong');
    } finally {
      await source.close();
    }
  });
});
