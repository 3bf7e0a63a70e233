import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { conduit, ensureBuilt, json } from '../cli/cli-harness.js';

/**
 * Issue 10 through the real CLI, without a connection: a conduit with a
 * remote root is added, shown, edited, exported and imported with its ssh
 * settings, and bad remote input is one line, exit 2, nothing changed.
 */

let dir: string;
let run: (...args: string[]) => ReturnType<typeof conduit>;
let snapshot: string;

const p = (path: string) => join(dir, path);

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'conduit-remote-config-'));
  mkdirSync(p('photos'));
  mkdirSync(p('notes'));
  run = (...args) => conduit(args, { cwd: dir, env: { CONDUIT_DB: p('conduit.db'), CONDUIT_SSH_COMMAND: undefined, CONDUIT_REMOTE_COMMAND: undefined } });
  const seeded = run('add', '--name', 'photos', '--source', 'photos', '--target', 'me@nas:/srv/backup/photos/', '--mode', 'mirror');
  if (seeded.code !== 0) throw new Error(seeded.stderr);
  snapshot = run('export').stdout;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function expectRejected(args: string[], message: string | RegExp): void {
  const result = run(...args);
  const lines = result.stderr.split('\n').filter((line) => line !== '');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(message);
  expect(result.code).toBe(2);
  expect(run('export').stdout).toBe(snapshot);
}

describe('remote roots on the command line', () => {
  test('add stores the canonical ssh:// root, never resolved against the cwd; show names the host and the defaults', () => {
    const shown = run('show', 'photos');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`^source +${p('photos')}$`, 'm'));
    expect(shown.stdout).toMatch(/^target +ssh:\/\/me@nas\/srv\/backup\/photos$/m);
    expect(shown.stdout).toMatch(/^remote host +me@nas \(the target\)$/m);
    expect(shown.stdout).toMatch(/^ssh command +default \(ssh, or \$CONDUIT_SSH_COMMAND\)$/m);
    expect(shown.stdout).toMatch(/^remote command +default \(conduit agent, or \$CONDUIT_REMOTE_COMMAND\)$/m);
    const view = json<Record<string, unknown>>(run('--json', 'show', 'photos'));
    expect(view).toMatchObject({ target: 'ssh://me@nas/srv/backup/photos', sshCommand: null, remoteCommand: null });
  });

  test('a local conduit shows no remote lines', () => {
    const added = run('add', '--name', 'local-notes', '--source', 'notes', '--target', 'notes-copy', '--mode', 'mirror');
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).not.toMatch(/remote host|ssh command/);
    expect(run('remove', 'local-notes').code).toBe(0);
  });

  test.each([
    [['add', '--name', 'x', '--source', 'notes', '--target', 'ssh://nas', '--mode', 'mirror'], /^conduit: --target: "ssh:\/\/nas" is not a valid remote root: the path on the far host is missing/],
    [['add', '--name', 'x', '--source', 'notes', '--target', 'ssh://nas:0/srv', '--mode', 'mirror'], /^conduit: --target: .*port "0" is not a number from 1 to 65535$/],
    [['add', '--name', 'x', '--source', 'ssh://a/srv', '--target', 'ssh://b/srv', '--mode', 'mirror'], /^conduit: --target: expected a local target when the source is remote \(at most one root of a conduit may be remote\)/],
    [['add', '--name', 'x', '--source', 'notes', '--target', '/ssh:me@nas/srv', '--mode', 'mirror'], /^conduit: --target: expected a local directory not starting with "\/ssh:"/],
    [['add', '--name', 'x', '--source', 'notes', '--target', 'ssh://nas/srv', '--mode', 'mirror', '--ssh-command', ' '], /^conduit: --ssh-command: expected null or an ssh command line .*not a blank one/],
    [['add', '--name', 'x', '--source', 'ssh://nas/srv', '--target', 'notes', '--mode', 'mirror', '--remote-command', ''], /^conduit: --remote-command: expected null or a command to run on the far host.*not a blank one/],
    [['add', '--name', 'x', '--source', 'ssh://nas/srv/photos', '--target', 'missing/deeper', '--mode', 'mirror'], /^conduit: --target: expected a directory, or a new one inside an existing directory/],
    [['edit', 'photos', '--target', 'ssh://nas:70000/x'], /^conduit: --target: .*port "70000"/],
    [['edit', 'photos', '--source', 'nas:/srv/other'], /^conduit: --target: expected a local target when the source is remote/],
    [['edit', 'photos', '--ssh-command', ''], /^conduit: --ssh-command: .*not a blank one/],
  ])('%j: one line, exit 2, nothing changed', (args, message) => {
    expectRejected(args, message);
  });

  test('edit sets --ssh-command/--remote-command, and --no-ssh-command/--no-remote-command reset them to the default', () => {
    const set = json<Record<string, unknown>>(run('--json', 'edit', 'photos', '--ssh-command', 'ssh -F /etc/conduit/ssh_config', '--remote-command', '/opt/conduit/bin/conduit agent'));
    expect(set).toMatchObject({ sshCommand: 'ssh -F /etc/conduit/ssh_config', remoteCommand: '/opt/conduit/bin/conduit agent' });
    const shown = run('show', 'photos').stdout;
    expect(shown).toMatch(/^ssh command +ssh -F \/etc\/conduit\/ssh_config$/m);
    expect(shown).toMatch(/^remote command +\/opt\/conduit\/bin\/conduit agent$/m);
    const reset = json<Record<string, unknown>>(run('--json', 'edit', 'photos', '--no-ssh-command'));
    expect(reset).toMatchObject({ sshCommand: null, remoteCommand: '/opt/conduit/bin/conduit agent' });
    expect(json<Record<string, unknown>>(run('--json', 'edit', 'photos', '--no-remote-command'))).toMatchObject({ sshCommand: null, remoteCommand: null });
    expect(run('edit', '--help').stdout).toMatch(/--no-ssh-command/);
    snapshot = run('export').stdout;
  });

  test('export and import round-trip a remote conduit and its ssh settings into another database', () => {
    const set = run('edit', 'photos', '--ssh-command', 'ssh -o IdentitiesOnly=yes', '--remote-command', 'conduit agent');
    expect(set.code, set.stderr).toBe(0);
    const exported = run('export');
    expect(exported.code).toBe(0);
    const file = JSON.parse(exported.stdout) as { conduits: Record<string, unknown>[] };
    expect(file.conduits[0]).toMatchObject({ target: 'ssh://me@nas/srv/backup/photos', sshCommand: 'ssh -o IdentitiesOnly=yes', remoteCommand: 'conduit agent' });
    writeFileSync(p('exported.json'), JSON.stringify({ conduits: file.conduits }));
    const other = (...args: string[]) => conduit(args, { cwd: dir, env: { CONDUIT_DB: p('other.db') } });
    const imported = other('import', 'exported.json');
    expect(imported.code, imported.stderr).toBe(0);
    const before = JSON.parse(exported.stdout) as { conduits: unknown[] };
    const after = JSON.parse(other('export').stdout) as { conduits: unknown[] };
    expect(after.conduits).toEqual(before.conduits);
  });
});
