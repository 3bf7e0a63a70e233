import { describe, expect, it } from 'vitest';
import { parseRoot, type RemoteRoot } from '../../src/remote/root-url.js';
import { describeStartFailure, stderrLine, type StartFailure } from '../../src/remote/ssh/ssh-errors.js';

// OpenSSH's own wording for failures the loopback sshd cannot produce (DNS, routing), and
// remote commands whose stderr resembles ssh's: each is named by what happened, in one line.
const root = parseRoot('ssh://me@nas.example:2222/srv/photos') as RemoteRoot;
const failure = (over: Partial<StartFailure>): StartFailure => ({ exitCode: 255, exitSignal: null, stderr: '', handshake: null, timedOutAfterMs: null, ...over });

describe('describeStartFailure', () => {
  it('an unknown host name', () => {
    const reason = describeStartFailure(root, 'conduit agent', failure({ stderr: 'ssh: Could not resolve hostname nas.example: Name or service not known\r\n' }));
    expect(reason).toBe('could not resolve the host name "nas.example" (stderr: ssh: Could not resolve hostname nas.example: Name or service not known)');
  });

  it('a TCP connect that times out, and a network without a route', () => {
    expect(describeStartFailure(root, 'conduit agent', failure({ stderr: 'ssh: connect to host nas.example port 2222: Connection timed out\n' })))
      .toMatch(/^the connection timed out \(stderr: /);
    expect(describeStartFailure(root, 'conduit agent', failure({ stderr: 'ssh: connect to host nas.example port 2222: No route to host\n' })))
      .toMatch(/^the network cannot reach the host \(stderr: /);
  });

  it('a remote command that is there but not executable (exit 126) is not an authentication failure', () => {
    const reason = describeStartFailure(root, '/opt/conduit agent', failure({ exitCode: 126, stderr: 'bash: line 1: /opt/conduit: Permission denied\n' }));
    expect(reason).toBe("the remote command '/opt/conduit agent' could not be run there (exit code 126: not executable?) (stderr: bash: line 1: /opt/conduit: Permission denied)");
  });

  it('a remote command that exits before greeting, with its exit code and stderr', () => {
    const reason = describeStartFailure(root, 'conduit agent', failure({ exitCode: 1, stderr: 'Error: Cannot find module \'msgpackr\'\n    at Module._resolveFilename\n', handshake: 'the far side closed before the agent greeted' }));
    expect(reason).toBe("the remote command 'conduit agent' exited with code 1 before the agent greeted (stderr: Error: Cannot find module 'msgpackr' | at Module._resolveFilename)");
  });

  it('the host key prompt BatchMode refuses, with the port and user in the advice', () => {
    const stderr = 'No ED25519 host key is known for [nas.example]:2222 and you have requested strict checking.\r\nHost key verification failed.\r\n';
    expect(describeStartFailure(root, 'conduit agent', failure({ stderr }))).toBe(
      "host key verification failed: the host's key is not in known_hosts or has changed; check its fingerprint (ssh-keyscan -p 2222 nas.example | ssh-keygen -lf -, compared with the one the host's owner reads there) and add it by connecting once with ssh -p 2222 me@nas.example (stderr: No ED25519 host key is known for [nas.example]:2222 and you have requested strict checking. | Host key verification failed.)",
    );
  });
});

describe('stderrLine', () => {
  it('joins lines, drops control characters and blank lines, and bounds the length', () => {
    expect(stderrLine('a\r\n\n\tb\x1b[0m\n')).toBe('a | b [0m');
    const long = stderrLine('x'.repeat(1000));
    expect(long).toHaveLength(300);
    expect(long.endsWith('…')).toBe(true);
  });
});
