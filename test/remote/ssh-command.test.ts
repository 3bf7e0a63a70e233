import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellScriptFor } from '../../src/remote/ssh/ssh.js';

// sshCommand is a whole command line run by sh -c: a simple one is exec'ed (ssh is then conduit's own
// child, reaped by it), anything with shell syntax runs as written and still gets conduit's arguments.
describe('shellScriptFor', () => {
  it('execs a simple command line, with its own options and quoting', () => {
    expect(shellScriptFor('ssh')).toBe('exec ssh "$@"');
    expect(shellScriptFor("ssh -F '/home/me/other config' -i ~/.ssh/id")).toBe(`exec ssh -F '/home/me/other config' -i ~/.ssh/id "$@"`);
  });

  it('runs assignments, operators and compound commands as written', () => {
    for (const command of ['SSH_AUTH_SOCK=/tmp/agent ssh', 'cd /tmp && ssh', 'ssh $(cat opts)', 'ssh; true', 'if true; then ssh "$@"; fi']) {
      expect(shellScriptFor(command)).toBe(`${command} "$@"`);
    }
  });

  it('passes the arguments after the script through untouched, either way', () => {
    const run = (command: string): string => execFileSync('sh', ['-c', shellScriptFor(command), 'ssh', '-o', 'A=b c', '--', 'host', 'conduit agent'], { encoding: 'utf8' });
    expect(run("printf '<%s>'")).toBe('<-o><A=b c><--><host><conduit agent>');
    expect(run("X=1 printf '<%s>'")).toBe('<-o><A=b c><--><host><conduit agent>');
  });
});
