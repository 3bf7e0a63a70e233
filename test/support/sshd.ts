import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, repoRoot } from '../cli/cli-harness.js';

/**
 * A real OpenSSH server on 127.0.0.1 for the remote-root tests (issue 10):
 * throwaway host and user keys in `dir`, `sshd -D -f <config>` at a free
 * port, and a client config that trusts exactly that host key and offers
 * exactly that user key. No fake transport: conduit runs the system `ssh`
 * with `sshCommand`, which points at that client config, and the far side
 * runs this checkout's `bin/conduit.js agent` (`remoteCommand`).
 *
 * `.ci/run` installs openssh-server and openssh-client; on a machine without
 * sshd, `sshdAvailable()` is false and the suites skip (in CI they must not:
 * `requireSshdInCi` fails loudly instead).
 */

export const SSHD_PATH = ['/usr/sbin/sshd', '/usr/bin/sshd'].find((p) => existsSync(p)) ?? null;

export function sshdAvailable(): boolean {
  return SSHD_PATH !== null && existsSync('/usr/bin/ssh') && existsSync('/usr/bin/ssh-keygen');
}

/** In CI a missing sshd is a broken install, not a reason to skip. */
export function requireSshdInCi(): void {
  if (!sshdAvailable() && process.env['CI']) throw new Error('sshd is not installed: .ci/run must apt-get install openssh-server openssh-client');
}

export interface Sshd {
  readonly dir: string;
  readonly port: number;
  readonly user: string;
  /** `ssh -F <client config>`: trusts this server's host key, offers the authorised user key, BatchMode. */
  readonly sshCommand: string;
  /** Runs this checkout's agent with the node that runs the tests. */
  readonly remoteCommand: string;
  /** `ssh://127.0.0.1:<port>` + `path` (an absolute path on this machine: the "far host" is loopback). */
  url(path: string): string;
  /** Env for a CLI child: CONDUIT_SSH_COMMAND and CONDUIT_REMOTE_COMMAND set to the two above. */
  env(): Record<string, string>;
  /** An ssh command whose known_hosts holds another key for this host (host key mismatch). */
  readonly wrongHostKeySshCommand: string;
  /** An ssh command offering a user key the server does not authorise. */
  readonly wrongUserKeySshCommand: string;
  /** Stop the server (existing sessions die with it): the host is now unreachable (connection refused). */
  stop(): Promise<void>;
  /** Start it again on the same port. */
  start(): Promise<void>;
  /** Kill the per-connection sshd children (and with them their agents), leaving the listener up: links drop mid-use. */
  killSessions(): void;
  readonly running: boolean;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

function keygen(path: string): string {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'conduit-test', '-f', path], { stdio: 'ignore' });
  return readFileSync(`${path}.pub`, 'utf8').trim();
}

/** Start a server with fresh keys in `dir` (which must exist). */
export async function startSshd(dir: string): Promise<Sshd> {
  if (!SSHD_PATH) throw new Error('sshd is not installed (apt-get install openssh-server)');
  ensureBuilt();
  const user = userInfo().username;
  const port = await freePort();
  const hostKeyPublic = keygen(join(dir, 'host_ed25519'));
  const userKeyPublic = keygen(join(dir, 'id_ed25519'));
  const otherHostKey = keygen(join(dir, 'other_host_ed25519'));
  keygen(join(dir, 'id_unauthorised'));
  writeFileSync(join(dir, 'authorized_keys'), `${userKeyPublic}\n`, { mode: 0o600 });
  // Privilege separation wants its empty directory (Debian's package creates it at boot, not at install).
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const config = join(dir, 'sshd_config');
  writeFileSync(config, [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_ed25519')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
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
  const hostKeyLine = (key: string): string => `[127.0.0.1]:${port} ${key.split(' ').slice(0, 2).join(' ')}\n`;
  writeFileSync(join(dir, 'known_hosts'), hostKeyLine(hostKeyPublic));
  writeFileSync(join(dir, 'known_hosts_wrong'), hostKeyLine(otherHostKey));
  const clientConfig = (identity: string, knownHosts: string): string => [
    'Host *',
    `  User ${user}`,
    `  IdentityFile ${join(dir, identity)}`,
    '  IdentitiesOnly yes',
    `  UserKnownHostsFile ${join(dir, knownHosts)}`,
    '  GlobalKnownHostsFile /dev/null',
    '  StrictHostKeyChecking yes',
    '  LogLevel ERROR',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'ssh_config'), clientConfig('id_ed25519', 'known_hosts'));
  writeFileSync(join(dir, 'ssh_config_wrong_host'), clientConfig('id_ed25519', 'known_hosts_wrong'));
  writeFileSync(join(dir, 'ssh_config_wrong_user'), clientConfig('id_unauthorised', 'known_hosts'));
  const sshCommand = `ssh -F ${shellQuote(join(dir, 'ssh_config'))}`;
  const remoteCommand = `${shellQuote(process.execPath)} ${shellQuote(join(repoRoot, 'bin/conduit.js'))} agent`;

  let child: ChildProcess | null = null;
  const log = join(dir, 'sshd.log');

  const start = async (): Promise<void> => {
    if (child) return;
    const started = spawn(SSHD_PATH, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    started.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      writeFileSync(log, stderr);
    });
    child = started;
    started.once('exit', () => {
      if (child === started) child = null;
    });
    const deadline = Date.now() + 10_000;
    while (!(await accepts(port))) {
      if (child !== started) throw new Error(`sshd exited at start: ${stderr.trim()}`);
      if (Date.now() > deadline) throw new Error(`sshd did not listen on 127.0.0.1:${port}: ${stderr.trim()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const stop = async (): Promise<void> => {
    const running = child;
    if (!running) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    killSessions();
    running.kill('SIGTERM');
    await exited;
    child = null;
  };

  const killSessions = (): void => {
    const running = child;
    if (!running?.pid) return;
    // The listener forks one sshd per connection; killing those drops the links (and ends their agents).
    try {
      execFileSync('pkill', ['-KILL', '-P', String(running.pid)], { stdio: 'ignore' });
    } catch {
      // No session open.
    }
  };

  await start();
  return {
    dir,
    port,
    user,
    sshCommand,
    remoteCommand,
    url: (path: string) => `ssh://127.0.0.1:${port}${path}`,
    env: () => ({ CONDUIT_SSH_COMMAND: sshCommand, CONDUIT_REMOTE_COMMAND: remoteCommand }),
    wrongHostKeySshCommand: `ssh -F ${shellQuote(join(dir, 'ssh_config_wrong_host'))}`,
    wrongUserKeySshCommand: `ssh -F ${shellQuote(join(dir, 'ssh_config_wrong_user'))}`,
    stop,
    start,
    killSessions,
    get running() {
      return child !== null;
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
