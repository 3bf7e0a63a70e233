import { spawn, type ChildProcess } from 'node:child_process';
import { LinkLostError, UnreachableError } from '../../fs/file-system.js';
import { conduitVersion } from '../../version.js';
import { HandshakeError, openLink, type AgentLink, type CallOptions } from '../link/link.js';
import type { SshSettings } from '../link/link-source.js';
import { authorityOf, type RemoteRoot } from '../root-url.js';
import { describeStartFailure, stderrLine } from './ssh-errors.js';

/**
 * The system OpenSSH client carrying the agent protocol (issue 10,
 * "Interface"). conduit runs
 *
 *   sh -c '[exec] <sshCommand> "$@"' ssh -o BatchMode=yes -o ConnectTimeout=<s>
 *     -o ServerAliveInterval=10 -o ServerAliveCountMax=3 -T -x -a
 *     [-p port] [-l user] -- host <remoteCommand>
 *
 * `sshCommand` is a whole command line (like GIT_SSH_COMMAND or rsync's -e),
 * so `sh -c` splits it and our arguments follow it untouched. The user's
 * ~/.ssh/config (aliases, ProxyJump, IdentityFile) and known_hosts apply:
 * options given on the command line come before the config files, and
 * within the command line the first value wins, so a `-o` in sshCommand
 * overrides ours. A host key is never accepted silently: no
 * StrictHostKeyChecking=no or accept-new, and BatchMode turns the prompt for
 * an unknown key into a failure. `-T -x -a`: no tty (it would mangle the
 * binary stream), no X11 or agent forwarding (the agent needs neither).
 * Mutagen runs `ssh -oConnectTimeout=5 -oServerAliveInterval=10 …` the same way.
 */

export interface SshLink extends AgentLink {
  /** End the session: stdin closed, so the agent ends; resolves once the ssh process has exited. */
  close(): Promise<void>;
  /** What ssh and the far side wrote to stderr (the last few KiB). */
  stderrText(): string;
}

export interface ConnectOptions {
  readonly signal?: AbortSignal;
  /** The environment ssh runs in (SSH_AUTH_SOCK, HOME for ~/.ssh); default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** How long from spawning ssh to the agent's `opened`; default 30 s (ConnectTimeout covers only the TCP connect). */
  readonly handshakeTimeoutMs?: number;
}

export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 30_000;

/** Stderr kept while a link runs, for the reason when it drops. */
const STDERR_KEPT = 8 * 1024;
/** After the link's stream ends, how long to wait for ssh's exit (its code and last words) before naming the drop. */
const EXIT_GRACE_MS = 2_000;
/** After `close`, how long the agent and ssh get to end on their own before SIGTERM, then SIGKILL. */
const CLOSE_GRACE_MS = 5_000;

/** The argv after `sh`, exported for tests of the command line. */
export function sshArgv(root: RemoteRoot, settings: SshSettings): string[] {
  return [
    '-c', shellScriptFor(settings.sshCommand), 'ssh',
    '-o', 'BatchMode=yes',
    '-o', `ConnectTimeout=${settings.connectTimeoutSeconds}`,
    '-o', 'ServerAliveInterval=10',
    '-o', 'ServerAliveCountMax=3',
    '-T', '-x', '-a',
    ...(root.port !== undefined ? ['-p', String(root.port)] : []),
    ...(root.user !== undefined ? ['-l', root.user] : []),
    // `--`: a host can never be read as an option (root-url.ts refuses a leading "-" too).
    '--', root.host,
    // One argument: ssh hands it to the far side's login shell as the command line.
    settings.remoteCommand,
  ];
}

/**
 * `<sshCommand> "$@"` for `sh -c`, with `exec` in front when the command is
 * one simple command (no assignment first, no operators): then ssh *is* the
 * child, so its exit is ours to see and reap, instead of a grandchild that a
 * signal to the group can orphan (dash does not exec the last command
 * itself). Anything more elaborate runs as written.
 */
export function shellScriptFor(sshCommand: string): string {
  const simple = !/[;&|(){}<>`\n]|\$\(/.test(sshCommand) && !/^\s*[A-Za-z_][A-Za-z0-9_]*=/.test(sshCommand) && !/^\s*(exec|if|for|while|case|until|!)\b/.test(sshCommand);
  return simple ? `exec ${sshCommand} "$@"` : `${sshCommand} "$@"`;
}

/** Connect to `root`'s host and open the agent link; rejects with UnreachableError(host, one-line reason), or the signal's reason. */
export function connectOverSsh(root: RemoteRoot, settings: SshSettings, options: ConnectOptions = {}): Promise<SshLink> {
  const host = authorityOf(root);
  const signal = options.signal;
  if (signal?.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;

  // A process group of its own (detached: setsid), so a timeout or close ends ssh and whatever
  // sshCommand started with it (a wrapper script, a ProxyCommand), not just the `sh`. No
  // controlling terminal either: ssh can never stop to prompt on /dev/tty.
  const child = spawn('sh', sshArgv(root, settings), { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env, detached: true });
  const stderr = new BoundedText(STDERR_KEPT);
  child.stderr!.on('data', (chunk: Buffer) => stderr.add(chunk));
  const exited = exitOf(child);

  return new Promise<SshLink>((resolve, reject) => {
    let settled = false;
    let timedOut = false;
    const fail = (handshake: string | null): void => {
      if (settled) return;
      settled = true;
      cleanup();
      // The far side's last words and ssh's exit code name the cause: wait for them, briefly.
      void waitOrKill(child, exited, EXIT_GRACE_MS).then((exit) => {
        reject(new UnreachableError(host, describeStartFailure(root, settings.remoteCommand, {
          exitCode: exit.code, exitSignal: exit.signal, stderr: stderr.text(), handshake, timedOutAfterMs: timedOut ? handshakeTimeoutMs : null,
        })));
      });
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGTERM');
      fail(null);
    }, handshakeTimeoutMs);
    const onAbort = (): void => {
      if (settled) return;
      settled = true;
      cleanup();
      killGroup(child, 'SIGTERM');
      reject(signal!.reason instanceof Error ? signal!.reason : new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    child.once('error', (err) => fail(`could not run ${JSON.stringify(settings.sshCommand)}: ${err.message}`));

    openLink({ input: child.stdout!, output: child.stdin!, host }, { root: root.path, software: conduitVersion() }).then(
      (inner) => {
        if (settled) {
          // Aborted or timed out in the meantime: this link is nobody's.
          inner.close();
          return;
        }
        settled = true;
        cleanup();
        resolve(sshLink(inner, child, exited, stderr, host));
      },
      (err: unknown) => fail(err instanceof HandshakeError ? err.message : err instanceof Error ? err.message : String(err)),
    );
  });
}

/**
 * The running link: the inner link's calls, a `lost` signal whose reason
 * names what ssh said and how it exited (a dropped connection reads "Broken
 * pipe" or "closed by remote host" there), and a close that waits for ssh.
 */
function sshLink(inner: AgentLink, child: ChildProcess, exited: Promise<Exit>, stderr: BoundedText, host: string): SshLink {
  const lostController = new AbortController();
  let closing = false;
  let naming: Promise<LinkLostError> | null = null;

  const nameTheDrop = (why: string): Promise<LinkLostError> => {
    naming ??= waitOrKill(child, exited, EXIT_GRACE_MS).then((exit) => {
      const how = exit.code !== null ? `ssh exited with code ${exit.code}` : exit.signal !== null ? `ssh was killed by ${exit.signal}` : 'ssh did not exit';
      const said = stderrLine(stderr.text());
      const err = new LinkLostError(host, `${why} (${how}${said !== '' ? `: ${said}` : ''})`);
      if (!closing) lostController.abort(err);
      // The process is gone: make sure the inner link knows too (calls in flight reject).
      inner.close();
      return err;
    });
    return naming;
  };
  inner.lost.addEventListener('abort', () => {
    const reason: unknown = inner.lost.reason;
    void nameTheDrop(reason instanceof LinkLostError ? reason.reason : 'the link dropped');
  }, { once: true });
  // ssh gone while the stream still looks open (a ProxyCommand child holding the pipe): the link is lost all the same.
  void exited.then(() => {
    if (!closing) void nameTheDrop('the ssh process ended');
  });

  return {
    get version() {
      return inner.version;
    },
    host,
    get agentSoftware() {
      return inner.agentSoftware;
    },
    lost: lostController.signal,
    stats: inner.stats,
    async call<T>(method: string, params: unknown, options?: CallOptions): Promise<T> {
      try {
        return await inner.call<T>(method, params, options);
      } catch (err) {
        // The inner link's reason is only "the agent closed its output": name the drop with ssh's words.
        if (err instanceof LinkLostError && !closing) throw await nameTheDrop(err.reason);
        throw err;
      }
    },
    async close(): Promise<void> {
      closing = true;
      inner.close();
      await waitOrKill(child, exited, CLOSE_GRACE_MS);
    },
    stderrText: () => stderr.text(),
  };
}

interface Exit {
  readonly code: number | null;
  readonly signal: string | null;
}

function exitOf(child: ChildProcess): Promise<Exit> {
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // Spawning failed: no exit will follow.
    child.once('error', () => resolve({ code: null, signal: null }));
  });
}

/** The exit within `ms`; else SIGTERM, and SIGKILL if that is not enough either. */
async function waitOrKill(child: ChildProcess, exited: Promise<Exit>, ms: number): Promise<Exit> {
  const within = (limit: number): Promise<Exit | null> => new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), limit);
    timer.unref();
    void exited.then((exit) => {
      clearTimeout(timer);
      resolve(exit);
    });
  });
  const exit = await within(ms);
  if (exit) return exit;
  killGroup(child, 'SIGTERM');
  const afterTerm = await within(1_000);
  if (afterTerm) return afterTerm;
  killGroup(child, 'SIGKILL');
  return exited;
}

/** Signal ssh's process group (see `detached` above); the child alone when the group is gone already. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/** The last `limit` bytes of a stream, as text. */
class BoundedText {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit: number) {}

  add(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.limit && this.chunks.length > 1) this.size -= this.chunks.shift()!.length;
    if (this.size > this.limit) {
      const only = this.chunks[0]!;
      this.chunks = [only.subarray(only.length - this.limit)];
      this.size = this.limit;
    }
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}
