// A real OpenSSH server on 127.0.0.1 for scripts that run outside vitest (the
// acceptance scenarios with the target on ssh). The same setup as
// test/support/sshd.ts, which the vitest suites use (that one is TypeScript and
// is not part of the build): throwaway host and user keys in a temp dir,
// `sshd -D -f <config>` at a free port, and a client config that trusts exactly
// that host key and offers exactly that user key, so nothing of the user's own
// ~/.ssh is read or written.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export const SSHD_PATH = ['/usr/sbin/sshd', '/usr/bin/sshd'].find((p) => existsSync(p)) ?? null;

export function sshdAvailable() {
  return SSHD_PATH !== null && existsSync('/usr/bin/ssh') && existsSync('/usr/bin/ssh-keygen');
}

const shellQuote = (text) => (/^[A-Za-z0-9_./:=@%+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);

function keygen(path) {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'conduit-test', '-f', path], { stdio: 'ignore' });
  return readFileSync(`${path}.pub`, 'utf8').trim();
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts the server; `project` is the checkout whose `bin/conduit.js agent` runs on the far side.
 * Returns { port, url(path), env(), stop() }; stop() also removes the temp dir.
 */
export async function startLoopbackSshd(project) {
  if (!SSHD_PATH) throw new Error('sshd is not installed (apt-get install openssh-server openssh-client)');
  const dir = mkdtempSync(join(tmpdir(), 'conduit-acc-sshd-'));
  const user = userInfo().username;
  const port = await freePort();
  const hostKey = keygen(join(dir, 'host_ed25519'));
  const userKey = keygen(join(dir, 'id_ed25519'));
  writeFileSync(join(dir, 'authorized_keys'), `${userKey}\n`, { mode: 0o600 });
  // Privilege separation wants its empty directory (Debian's package creates it at boot, not at install).
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const config = join(dir, 'sshd_config');
  writeFileSync(config, [
    `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${join(dir, 'host_ed25519')}`, `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`, 'PubkeyAuthentication yes', 'PasswordAuthentication no',
    'KbdInteractiveAuthentication no', 'UsePAM no', 'StrictModes no', 'PermitRootLogin prohibit-password', `AllowUsers ${user}`,
    'PrintMotd no', 'PrintLastLog no', 'LogLevel ERROR', '',
  ].join('\n'));
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostKey.split(' ').slice(0, 2).join(' ')}\n`);
  writeFileSync(join(dir, 'ssh_config'), [
    'Host *', `  User ${user}`, `  IdentityFile ${join(dir, 'id_ed25519')}`, '  IdentitiesOnly yes',
    `  UserKnownHostsFile ${join(dir, 'known_hosts')}`, '  GlobalKnownHostsFile /dev/null', '  StrictHostKeyChecking yes', '  LogLevel ERROR', '',
  ].join('\n'));
  const sshCommand = `ssh -F ${shellQuote(join(dir, 'ssh_config'))}`;
  const remoteCommand = `${shellQuote(process.execPath)} ${shellQuote(join(project, 'bin/conduit.js'))} agent`;

  const child = spawn(SSHD_PATH, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let exited = false;
  child.stderr.on('data', (chunk) => { stderr += chunk.toString(); });
  const gone = new Promise((resolve) => child.once('exit', () => { exited = true; resolve(); }));
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (exited) throw new Error(`sshd exited at start: ${stderr.trim()}`);
    if (Date.now() > deadline) { child.kill('SIGTERM'); throw new Error(`sshd did not listen on 127.0.0.1:${port}: ${stderr.trim()}`); }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    url: (path) => `ssh://127.0.0.1:${port}${path}`,
    env: () => ({ CONDUIT_SSH_COMMAND: sshCommand, CONDUIT_REMOTE_COMMAND: remoteCommand }),
    stop: async () => {
      if (!exited) {
        // The per-connection children first (they hold the agents), then the listener.
        try { execFileSync('pkill', ['-TERM', '-P', String(child.pid)], { stdio: 'ignore' }); } catch { /* no session open */ }
        child.kill('SIGTERM');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
