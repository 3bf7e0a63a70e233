import { spawn, type ChildProcess } from 'node:child_process';
import { UnreachableError } from '../../src/fs/file-system.js';
import { openLink, type AgentLink } from '../../src/remote/link.js';
import type { LinkSource } from '../../src/remote/link-source.js';
import type { Sshd } from './sshd.js';

/**
 * A minimal LinkSource over the real ssh client to the test sshd
 * (support/sshd.ts), for the remote filesystem's tests until r-ssh's
 * ssh-link-source.ts is merged: `<sshCommand> -p port 127.0.0.1
 * <remoteCommand>`, the agent protocol on the child's stdio. No error
 * classification, no reconnect policy beyond "connect again on the next
 * `link()` after a drop" — that is ssh-link-source.ts's job and tests.
 */
export function sshProcessLinkSource(sshd: Sshd, root: string): LinkSource & { killSession(): void } {
  const host = `127.0.0.1:${sshd.port}`;
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
    link(): Promise<AgentLink> {
      if (closed) return Promise.reject(new Error('closed'));
      if (source.current) return Promise.resolve(source.current);
      connecting ??= (async () => {
        const started = spawn('sh', ['-c', `${sshd.sshCommand} -o BatchMode=yes -p ${sshd.port} 127.0.0.1 ${sshd.remoteCommand}`], { stdio: ['pipe', 'pipe', 'pipe'] });
        child = started;
        let stderr = '';
        started.stderr!.on('data', (chunk: Buffer) => {
          stderr += chunk.toString('utf8');
        });
        try {
          const link = await openLink({ input: started.stdout!, output: started.stdin!, host }, { root, software: 'test' });
          current = link;
          for (const listener of listeners) listener(link);
          return link;
        } catch (err) {
          throw new UnreachableError(host, `${err instanceof Error ? err.message : String(err)} ${stderr.trim()}`);
        }
      })().finally(() => {
        connecting = null;
      });
      return connecting;
    },
    onConnected(listener: (link: AgentLink) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    killSession() {
      child?.kill('SIGKILL');
    },
    async close() {
      closed = true;
      current?.close();
      current = null;
      const running = child;
      if (running && running.exitCode === null && running.signalCode === null) await new Promise<void>((resolve) => running.once('exit', () => resolve()));
    },
  };
  return source;
}
