import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { openLink, type AgentLink } from '../../src/remote/link/link.js';
import type { LinkSource } from '../../src/remote/link/link-source.js';
import { ensureBuilt, repoRoot } from '../cli/cli-harness.js';

/**
 * A LinkSource over a local `conduit agent` process on pipes, without ssh:
 * for tests of the protocol and of the remote filesystem's semantics on their
 * own (the real agent, the real framing; only the transport is a pipe).
 * Everything that concerns reaching a host is tested over the real sshd
 * (support/sshd.ts) instead.
 */
export function agentProcessLinkSource(root: string, host = 'agent-process'): LinkSource & { readonly child: ChildProcess | null; kill(): void } {
  ensureBuilt();
  let current: AgentLink | null = null;
  let child: ChildProcess | null = null;
  let connecting: Promise<AgentLink> | null = null;
  let closed = false;
  const listeners = new Set<(link: AgentLink) => void>();
  const source = {
    host,
    get current() {
      return current !== null && !current.lost.aborted ? current : null;
    },
    get child() {
      return child;
    },
    link(): Promise<AgentLink> {
      if (closed) return Promise.reject(new Error('closed'));
      if (source.current) return Promise.resolve(source.current);
      connecting ??= (async () => {
        child = spawn(process.execPath, [join(repoRoot, 'bin/conduit.js'), 'agent'], { stdio: ['pipe', 'pipe', 'inherit'] });
        const link = await openLink({ input: child.stdout!, output: child.stdin!, host }, { root, software: 'test' });
        current = link;
        for (const listener of listeners) listener(link);
        return link;
      })().finally(() => {
        connecting = null;
      });
      return connecting;
    },
    onConnected(listener: (link: AgentLink) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    kill() {
      child?.kill('SIGKILL');
    },
    async close() {
      closed = true;
      current?.close();
      current = null;
      const running = child;
      // A child killed by a signal has a null exitCode but a signalCode: it has exited already.
      if (running && running.exitCode === null && running.signalCode === null) await new Promise<void>((resolve) => running.once('exit', () => resolve()));
    },
  };
  return source;
}
