// A throwaway OpenSSH server on 127.0.0.1 for the remote benchmark
// (scripts/bench-remote.mjs, issue 10): the same setup as the tests' harness
// (test/support/sshd.ts, which the build does not emit, hence these lines in
// plain JavaScript): fresh host and user keys in `dir`, `sshd -D -f <config>`
// at a free port, a client config that trusts exactly that host key and
// offers exactly that user key. The "far host" is this machine over loopback.

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { connect, createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const SSHD_PATH = ['/usr/sbin/sshd', '/usr/bin/sshd'].find((p) => fs.existsSync(p)) ?? null;

export function sshdAvailable() {
  return SSHD_PATH !== null && fs.existsSync('/usr/bin/ssh') && fs.existsSync('/usr/bin/ssh-keygen');
}

/** Quoted for `sh -c` only where it needs it. */
export function shellQuote(text) {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(address.port));
    });
  });
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function keygen(file) {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'conduit-bench', '-f', file], { stdio: 'ignore' });
  return fs.readFileSync(`${file}.pub`, 'utf8').trim();
}

/**
 * Start the server with fresh keys in `dir` (created if missing).
 * `repo`: the checkout whose `bin/conduit.js agent` the far side runs.
 * Returns { port, user, sshCommand, remoteCommand, url(path), stop() }.
 */
export async function startBenchSshd(dir, repo) {
  if (!SSHD_PATH) throw new Error('sshd is not installed (apt-get install openssh-server openssh-client)');
  fs.mkdirSync(dir, { recursive: true });
  for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f), { recursive: true, force: true });
  const user = os.userInfo().username;
  const port = await freePort();
  const hostKey = keygen(path.join(dir, 'host_ed25519'));
  const userKey = keygen(path.join(dir, 'id_ed25519'));
  fs.writeFileSync(path.join(dir, 'authorized_keys'), `${userKey}\n`, { mode: 0o600 });
  // Privilege separation wants its empty directory (Debian's package creates it at boot, not at install).
  if (process.getuid?.() === 0) fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const config = path.join(dir, 'sshd_config');
  fs.writeFileSync(config, [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${path.join(dir, 'host_ed25519')}`,
    `PidFile ${path.join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'PermitRootLogin prohibit-password',
    `AllowUsers ${user}`,
    'PrintMotd no',
    'PrintLastLog no',
    'LogLevel ERROR',
    '',
  ].join('\n'));
  fs.writeFileSync(path.join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostKey.split(' ').slice(0, 2).join(' ')}\n`);
  fs.writeFileSync(path.join(dir, 'ssh_config'), [
    'Host *',
    `  User ${user}`,
    `  IdentityFile ${path.join(dir, 'id_ed25519')}`,
    '  IdentitiesOnly yes',
    `  UserKnownHostsFile ${path.join(dir, 'known_hosts')}`,
    '  GlobalKnownHostsFile /dev/null',
    '  StrictHostKeyChecking yes',
    '  LogLevel ERROR',
    '',
  ].join('\n'));

  const child = spawn(SSHD_PATH, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let exited = false;
  child.stderr.on('data', (chunk) => {
    stderr += chunk.toString();
  });
  const exit = new Promise((resolve) => child.once('exit', () => {
    exited = true;
    resolve();
  }));
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (exited) throw new Error(`sshd exited at start: ${stderr.trim()}`);
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`sshd did not listen on 127.0.0.1:${port}: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    user,
    /** The client command, as a user would give it to conduit (`--ssh-command`) or rsync (`-e`, with `-p port`). */
    sshCommand: `ssh -F ${shellQuote(path.join(dir, 'ssh_config'))}`,
    /** This checkout's agent, run by the node that runs the bench. */
    remoteCommand: `${shellQuote(process.execPath)} ${shellQuote(path.join(repo, 'bin', 'conduit.js'))} agent`,
    url: (p) => `ssh://127.0.0.1:${port}${p}`,
    stderr: () => stderr,
    async stop() {
      if (exited) return;
      // The listener forks one sshd per connection; a kept link (serve) ends with its session.
      try {
        execFileSync('pkill', ['-TERM', '-P', String(child.pid)], { stdio: 'ignore' });
      } catch {
        // No session open.
      }
      child.kill('SIGTERM');
      await exit;
    },
  };
}
