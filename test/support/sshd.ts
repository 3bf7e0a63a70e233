import { ensureBuilt, repoRoot } from '../cli/cli-harness.js';
import { sshdAvailable, startLoopbackSshd, type LoopbackSshd } from '../../scripts/loopback-sshd.mjs';

/**
 * A real OpenSSH server on 127.0.0.1 for the remote-root tests (issue 10):
 * scripts/loopback-sshd.mjs (shared with the acceptance runs and the bench),
 * with the far side running this checkout's `bin/conduit.js agent`. No fake
 * transport: conduit runs the system `ssh` with `sshCommand`, which points at
 * a client config that trusts exactly this server's host key.
 *
 * `.ci/run` installs openssh-server and openssh-client; on a machine without
 * sshd, `sshdAvailable()` is false and the suites skip (in CI they must not:
 * `requireSshdInCi` fails loudly instead).
 */

export { freePort, SSHD_PATH, sshdAvailable } from '../../scripts/loopback-sshd.mjs';
export type Sshd = LoopbackSshd;

/** In CI a missing sshd is a broken install, not a reason to skip. */
export function requireSshdInCi(): void {
  if (!sshdAvailable() && process.env['CI']) throw new Error('sshd is not installed: .ci/run must apt-get install openssh-server openssh-client');
}

/** Start a server with fresh keys in `dir`, for this checkout's built agent. */
export async function startSshd(dir: string): Promise<Sshd> {
  ensureBuilt();
  return startLoopbackSshd(dir, repoRoot);
}
