import type { RemoteRoot } from '../root-url.js';

/**
 * Why an ssh connection to a remote root did not become an agent link, as
 * one line for UnreachableError (issue 10, "Interface": show the far side's
 * stderr on any failure to start). Pure: ssh.ts gathers what happened (the
 * exit, stderr, the handshake's complaint) and this names it.
 *
 * ssh itself exits 255 on its own failures and says why on stderr; anything
 * else is the remote command's exit code (127: not found).
 */

export interface StartFailure {
  /** The ssh process's exit code; null when it had not exited (killed by us after a timeout or a bad greeting). */
  readonly exitCode: number | null;
  readonly exitSignal: string | null;
  /** Everything ssh and the far side wrote to stderr (bounded). */
  readonly stderr: string;
  /** The handshake's own complaint (HandshakeError text), when the stream was wrong rather than absent. */
  readonly handshake: string | null;
  /** No greeting within the handshake timeout. */
  readonly timedOutAfterMs: number | null;
}

/** Longest stderr excerpt shown in one line. */
const STDERR_SHOWN = 300;

/** Stderr as one trimmed line: lines joined with " | ", OpenSSH's own warnings about adding keys dropped. */
export function stderrLine(stderr: string, max = STDERR_SHOWN): string {
  const lines = stderr.split(/\r?\n/).map((line) => line.replace(/[\x00-\x1f\x7f]+/g, ' ').trim()).filter((line) => line !== '');
  const text = lines.join(' | ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * The reason and the far side's stderr; with `relevant`, only the lines it
 * matches (ssh's host-key warning is a dozen lines of banner around the two
 * that matter), all of them when none does.
 */
function withStderr(reason: string, stderr: string, relevant?: RegExp): string {
  const picked = relevant ? stderr.split(/\r?\n/).filter((line) => relevant.test(line)).join('\n') : '';
  const line = stderrLine(picked !== '' ? picked : stderr);
  return line === '' ? reason : `${reason} (stderr: ${line})`;
}

export function describeStartFailure(root: RemoteRoot, remoteCommand: string, failure: StartFailure): string {
  const { stderr } = failure;
  const portArg = root.port !== undefined ? `-p ${root.port} ` : '';
  const login = `${root.user !== undefined ? `${root.user}@` : ''}${root.host}`;
  // ssh's own failures first (it exits 255, or we ended it): their wording is stable across OpenSSH
  // versions. Only then: a remote command's own "Permission denied" (exit 126) is not a login failure.
  const sshFailed = failure.exitCode === 255 || failure.exitCode === null;
  if (sshFailed) {
    if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|host key .* (is not known|has changed)|No \S+ host key is known/i.test(stderr)) {
      return withStderr(`host key verification failed: the host's key is not in known_hosts or has changed; check its fingerprint (ssh-keyscan ${portArg}${root.host} | ssh-keygen -lf -, compared with the one the host's owner reads there) and add it by connecting once with ssh ${portArg}${login}`, stderr,
        /Host key for|host key is known|Offending|Host key verification failed|key for .* has changed|known_hosts/i);
    }
    if (/Permission denied|Too many authentication failures|no more authentication methods|Authentication failed/i.test(stderr)) {
      return withStderr(`authentication failed: the host did not accept any of your keys (conduit runs ssh with BatchMode=yes: no password or passphrase prompts; check that ssh ${portArg}${login} true works without one, e.g. with ssh-agent)`, stderr);
    }
    if (/Connection refused/i.test(stderr)) return withStderr('connection refused (is sshd running there, on that port?)', stderr);
    if (/Could not resolve hostname|Name or service not known|nodename nor servname|Temporary failure in name resolution/i.test(stderr)) {
      return withStderr(`could not resolve the host name ${JSON.stringify(root.host)}`, stderr);
    }
    if (/timed out|Connection timeout/i.test(stderr)) return withStderr('the connection timed out', stderr);
    if (/No route to host|Network is unreachable|Host is down/i.test(stderr)) return withStderr('the network cannot reach the host', stderr);
  }
  if (failure.timedOutAfterMs !== null) {
    return withStderr(`no greeting from the agent within ${Math.round(failure.timedOutAfterMs / 1000)} s (is '${remoteCommand}' waiting for input, or the network stalled?)`, stderr);
  }
  if (failure.handshake !== null && !/closed before the agent greeted/.test(failure.handshake)) return withStderr(failure.handshake, stderr);
  if (failure.exitCode === 255) return withStderr('ssh failed (exit code 255)', stderr);
  if (failure.exitCode === 127 || /command not found|: not found/i.test(stderr)) {
    return withStderr(`the remote command '${remoteCommand}' was not found there (exit code ${failure.exitCode ?? 'none'}): install conduit on that host or set remoteCommand (--remote-command)`, stderr);
  }
  if (failure.exitCode === 126) {
    return withStderr(`the remote command '${remoteCommand}' could not be run there (exit code 126: not executable?)`, stderr);
  }
  if (failure.exitCode !== null) {
    return withStderr(`the remote command '${remoteCommand}' exited with code ${failure.exitCode} before the agent greeted`, stderr);
  }
  if (failure.exitSignal !== null) return withStderr(`ssh was killed by ${failure.exitSignal} before the agent greeted`, stderr);
  return withStderr(failure.handshake ?? 'the far side closed before the agent greeted', stderr);
}
