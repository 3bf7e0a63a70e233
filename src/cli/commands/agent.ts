import { serveAgent } from '../../remote/agent/serve.js';
import { conduitVersion } from '../../version.js';

/**
 * `conduit agent`: the far end of a remote root (issue 10), started by ssh.
 * Speaks the agent protocol on stdin/stdout and nothing else: logs go to
 * stderr, which the client shows when the agent fails to start.
 *
 * Start-up is on the client's critical path (it waits for the greeting
 * before its generation scans): bin/conduit.js runs this module directly for
 * a plain `conduit agent` (without the CLI's parser), and the handler
 * families (the filesystem, scan and copy modules) load while the hello is
 * on its way, not before it.
 */
export async function run(): Promise<void> {
  process.stdout.on('error', () => undefined);
  await serveAgent(process.stdin, process.stdout, () => import('../../remote/agent/handlers.js').then((m) => m.agentHandlers()), { software: conduitVersion() });
}
