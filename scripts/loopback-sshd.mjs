// A throwaway OpenSSH server on 127.0.0.1 (issue 10), the one setup shared by
// the remote-root tests (test/support/sshd.ts gives it types), the acceptance
// runs with a root on ssh (scripts/acceptance.mjs) and the remote benchmark
// (scripts/bench-remote.mjs): fresh host and user keys in `dir`,
// `sshd -D -f <config>` at a free port, and client configs that trust exactly
// that host key and offer exactly that user key (plus two that must fail: a
// wrong known host key, a user key the server does not authorise). The "far
// host" is this machine over loopback; nothing else is ever contacted.
// Plain JavaScript because the scripts run without a build.

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

export function freePort() {
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
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'conduit-loopback', '-f', file], { stdio: 'ignore' });
  return fs.readFileSync(`${file}.pub`, 'utf8').trim();
}

/**
 * Start a server with fresh keys in `dir` (created if missing; its own files
 * from an earlier start are replaced, anything else there is left alone).
 * `repo`: the checkout whose `bin/conduit.js agent` the far side runs.
 * See test/support/sshd.ts for what the returned object holds.
 */
export async function startLoopbackSshd(dir, repo) {
  if (!SSHD_PATH) throw new Error('sshd is not installed (apt-get install openssh-server openssh-client)');
  fs.mkdirSync(dir, { recursive: true });
  const at = (name) => path.join(dir, name);
  for (const key of ['host_ed25519', 'id_ed25519', 'other_host_ed25519', 'id_unauthorised']) {
    fs.rmSync(at(key), { force: true });
    fs.rmSync(at(`${key}.pub`), { force: true });
  }
  const user = os.userInfo().username;
  const port = await freePort();
  const hostKey = keygen(at('host_ed25519'));
  const userKey = keygen(at('id_ed25519'));
  const otherHostKey = keygen(at('other_host_ed25519'));
  keygen(at('id_unauthorised'));
  fs.writeFileSync(at('authorized_keys'), `${userKey}\n`, { mode: 0o600 });
  // Privilege separation wants its empty directory (Debian's package creates it at boot, not at install).
  if (process.getuid?.() === 0) fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const config = at('sshd_config');
  fs.writeFileSync(config, [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${at('host_ed25519')}`,
    `PidFile ${at('sshd.pid')}`,
    `AuthorizedKeysFile ${at('authorized_keys')}`,
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
  const hostKeyLine = (key) => `[127.0.0.1]:${port} ${key.split(' ').slice(0, 2).join(' ')}\n`;
  fs.writeFileSync(at('known_hosts'), hostKeyLine(hostKey));
  fs.writeFileSync(at('known_hosts_wrong'), hostKeyLine(otherHostKey));
  const clientConfig = (identity, knownHosts) => [
    'Host *',
    `  User ${user}`,
    `  IdentityFile ${at(identity)}`,
    '  IdentitiesOnly yes',
    `  UserKnownHostsFile ${at(knownHosts)}`,
    '  GlobalKnownHostsFile /dev/null',
    '  StrictHostKeyChecking yes',
    '  LogLevel ERROR',
    '',
  ].join('\n');
  fs.writeFileSync(at('ssh_config'), clientConfig('id_ed25519', 'known_hosts'));
  fs.writeFileSync(at('ssh_config_wrong_host'), clientConfig('id_ed25519', 'known_hosts_wrong'));
  fs.writeFileSync(at('ssh_config_wrong_user'), clientConfig('id_unauthorised', 'known_hosts'));
  const sshCommand = `ssh -F ${shellQuote(at('ssh_config'))}`;
  const remoteCommand = `${shellQuote(process.execPath)} ${shellQuote(path.join(repo, 'bin', 'conduit.js'))} agent`;

  let child = null;
  let stderr = '';

  const killSessions = () => {
    if (!child?.pid) return;
    // The listener forks one sshd per connection; killing those drops the links (and ends their agents).
    try {
      execFileSync('pkill', ['-KILL', '-P', String(child.pid)], { stdio: 'ignore' });
    } catch {
      // No session open.
    }
  };

  const start = async () => {
    if (child) return;
    const started = spawn(SSHD_PATH, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    started.stderr.on('data', (chunk) => {
      stderr += chunk.toString();
    });
    child = started;
    started.once('exit', () => {
      if (child === started) child = null;
    });
    const deadline = Date.now() + 10_000;
    while (!(await accepts(port))) {
      if (child !== started) throw new Error(`sshd exited at start: ${stderr.trim()}`);
      if (Date.now() > deadline) {
        started.kill('SIGTERM');
        throw new Error(`sshd did not listen on 127.0.0.1:${port}: ${stderr.trim()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const stop = async () => {
    const running = child;
    if (!running) return;
    const exited = new Promise((resolve) => running.once('exit', () => resolve()));
    killSessions();
    running.kill('SIGTERM');
    await exited;
    child = null;
  };

  await start();
  return {
    dir,
    port,
    user,
    sshCommand,
    remoteCommand,
    url: (p) => `ssh://127.0.0.1:${port}${p}`,
    env: () => ({ CONDUIT_SSH_COMMAND: sshCommand, CONDUIT_REMOTE_COMMAND: remoteCommand }),
    wrongHostKeySshCommand: `ssh -F ${shellQuote(at('ssh_config_wrong_host'))}`,
    wrongUserKeySshCommand: `ssh -F ${shellQuote(at('ssh_config_wrong_user'))}`,
    stderr: () => stderr,
    start,
    stop,
    killSessions,
    get running() {
      return child !== null;
    },
  };
}
