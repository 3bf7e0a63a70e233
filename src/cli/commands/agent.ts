import { serveAgent } from '../../remote/agent/serve.js';
import { agentHandlers } from '../../remote/agent/handlers.js';
import { conduitVersion } from '../../version.js';

/**
 * `conduit agent`: the far end of a remote root (issue 10), started by ssh.
 * Speaks the agent protocol on stdin/stdout and nothing else: logs go to
 * stderr, which the client shows when the agent fails to start.
 */
export async function run(): Promise<void> {
  process.stdout.on('error', () => undefined);
  await serveAgent(process.stdin, process.stdout, agentHandlers(), { software: conduitVersion() });
}
