import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { configFileFor, parseConfigText } from '../../src/config/config-file.js';
import { ownFilesOf } from '../../src/config/own-files.js';
import { checkTargetsApart, mergeConduitPatch, specToInput, validateConduit } from '../../src/config/validate-conduit.js';

/** Issue 10: a root may be `ssh://[user@]host[:port]/path` or `user@host:/path`; the config stores its canonical text. */

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'conduit-remote-roots-'));
  mkdirSync(join(root, 'src'));
  mkdirSync(join(root, 'dst'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const local = () => join(root, 'src');

function messageOf(input: unknown, options: Parameters<typeof validateConduit>[1] = { baseDir: root }): string {
  try {
    validateConduit(input, options);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected a ConfigError');
}

describe('remote roots in a conduit definition', () => {
  test.each([
    ['ssh://me@nas:2222/srv/photos/', 'ssh://me@nas:2222/srv/photos'],
    ['ssh://nas/srv/a/../photos', 'ssh://nas/srv/photos'],
    ['me@nas:/srv/photos', 'ssh://me@nas/srv/photos'],
    ['nas:/srv/photos', 'ssh://nas/srv/photos'],
    ['ssh://[::1]:22/srv', 'ssh://[::1]:22/srv'],
  ])('the target %s is stored as %s, not resolved against the base folder', (text, stored) => {
    const spec = validateConduit({ name: 'p', source: 'src', target: text, mode: 'mirror' }, { baseDir: root });
    expect(spec.target).toBe(stored);
    expect(spec.source).toBe(local());
  });

  test('a remote source with a local target that does not exist yet (its parent does)', () => {
    const spec = validateConduit({ name: 'p', source: 'ssh://nas/srv/photos', target: 'dst/new', mode: 'mirror' }, { baseDir: root });
    expect(spec).toMatchObject({ source: 'ssh://nas/srv/photos', target: join(root, 'dst/new') });
  });

  test.each([
    [{ target: 'ssh://nas' }, /^target: "ssh:\/\/nas" is not a valid remote root: the path on the far host is missing/],
    [{ target: 'ssh://nas:99999/x' }, /^target: "ssh:\/\/nas:99999\/x" is not a valid remote root: port "99999" is not a number from 1 to 65535$/],
    [{ target: 'ssh://-oProxyCommand=x/srv' }, /^target: .* is not a valid remote root: a host or user may not start with "-"$/],
    [{ source: 'ssh:///srv' }, /^source: "ssh:\/\/\/srv" is not a valid remote root: expected ssh:\/\/\[user@\]host\[:port\]\/absolute\/path$/],
    [{ source: 'ssh://nas/srv', target: 'ssh://backup/srv' }, /^target: expected a local target when the source is remote \(at most one root of a conduit may be remote\), got "ssh:\/\/backup\/srv"$/],
    [{ source: 'nas:/a', target: 'me@nas:/b' }, /^target: expected a local target when the source is remote/],
    [{ target: '/ssh:me@nas/srv' }, /^target: expected a local directory not starting with "\/ssh:" \(conduit uses such paths for remote roots\), got "\/ssh:me@nas\/srv"$/],
    [{ source: '/ssh:nas' }, /^source: expected a local directory not starting with "\/ssh:"/],
    [{ target: 'ssh://nas/srv', sshCommand: '' }, /^sshCommand: expected null or an ssh command line .*, not a blank one, got ""$/],
    [{ target: 'ssh://nas/srv', sshCommand: 'ssh\n-v' }, /^sshCommand: expected an ssh command line .* on one line, got "ssh\\n-v"$/],
    [{ target: 'ssh://nas/srv', remoteCommand: 7 }, /^remoteCommand: expected null or a command to run on the far host/],
    [{ target: 'ssh://nas/srv', sshCmd: 'ssh' }, /sshCmd/],
  ])('%j is refused: %s', (fields, expected) => {
    expect(messageOf({ name: 'p', source: local(), target: join(root, 'dst'), mode: 'mirror', ...fields })).toMatch(expected);
  });

  test('a relative local root that resolves under /ssh: is refused too', () => {
    expect(messageOf({ name: 'p', source: 'ssh:x', target: 'dst', mode: 'mirror' }, { baseDir: '/' }))
      .toMatch(/^source: expected a local directory not starting with "\/ssh:" .*got "\/ssh:x"$/);
  });

  test('the local root of a remote conduit is still checked: it must exist, hold no own file', () => {
    expect(messageOf({ name: 'p', source: join(root, 'nope'), target: 'ssh://nas/srv', mode: 'mirror' }))
      .toBe(`source: expected an existing directory, got "${join(root, 'nope')}" (it does not exist)`);
    expect(messageOf({ name: 'p', source: 'ssh://nas/srv', target: join(root, 'nope/deeper'), mode: 'mirror' }))
      .toMatch(/^target: expected a directory, or a new one inside an existing directory/);
    const database = join(root, 'src', 'conduit.db');
    expect(messageOf({ name: 'p', source: 'ssh://nas/srv', target: join(root, 'src'), mode: 'mirror' }, { baseDir: root, ownFiles: ownFilesOf(database) }))
      .toMatch(/^target: /);
  });

  test('sshCommand and remoteCommand default to null, keep what is given, and a patch with null resets them', () => {
    const plain = validateConduit({ name: 'p', source: local(), target: 'ssh://nas/srv', mode: 'mirror' }, { baseDir: root });
    expect(plain).toMatchObject({ sshCommand: null, remoteCommand: null });
    const set = mergeConduitPatch(plain, { sshCommand: 'ssh -F /etc/conduit/ssh_config', remoteCommand: '/opt/conduit/bin/conduit agent' }, { baseDir: root });
    expect(set).toMatchObject({ sshCommand: 'ssh -F /etc/conduit/ssh_config', remoteCommand: '/opt/conduit/bin/conduit agent' });
    expect(mergeConduitPatch(set, { sshCommand: null }, { baseDir: root })).toMatchObject({ sshCommand: null, remoteCommand: '/opt/conduit/bin/conduit agent' });
  });

  test('specToInput writes the ssh settings only when set, and round-trips', () => {
    const plain = validateConduit({ name: 'p', source: local(), target: 'me@nas:/srv', mode: 'mirror' }, { baseDir: root });
    expect(specToInput(plain)).not.toHaveProperty('sshCommand');
    expect(specToInput(plain)).not.toHaveProperty('remoteCommand');
    expect(validateConduit(specToInput(plain), { baseDir: '/elsewhere' })).toEqual(plain);
    const set = { ...plain, sshCommand: 'ssh -p 2222', remoteCommand: 'conduit agent' };
    expect(specToInput(set)).toMatchObject({ target: 'ssh://me@nas/srv', sshCommand: 'ssh -p 2222', remoteCommand: 'conduit agent' });
    expect(validateConduit(specToInput(set), { baseDir: '/elsewhere' })).toEqual(set);
  });

  test('a config file with a remote root round-trips through configFileFor', () => {
    const text = JSON.stringify({
      conduits: [{ name: 'p', source: 'src', target: 'ssh://me@nas:2222/srv/p', mode: 'mirror', sshCommand: 'ssh -v', remoteCommand: 'conduit agent' }],
    });
    const config = parseConfigText(text, { place: 'conduit.json', baseDir: root });
    expect(config.conduits[0]).toMatchObject({ source: local(), target: 'ssh://me@nas:2222/srv/p', sshCommand: 'ssh -v', remoteCommand: 'conduit agent' });
    const again = parseConfigText(JSON.stringify(configFileFor(config.conduits, null)), { place: 'again.json', baseDir: '/' });
    expect(again.conduits).toEqual(config.conduits);
  });

  test('two remote targets nest on one host: they clash; on two hosts they do not', () => {
    const spec = (name: string, target: string) => validateConduit({ name, source: local(), target, mode: 'mirror' }, { baseDir: root });
    const a = spec('a', 'ssh://nas/srv');
    expect(() => checkTargetsApart([spec('b', 'ssh://nas/srv/inner')], [a], () => ''))
      .toThrow(/^target: expected a target apart from the target of conduit "a" \(ssh:\/\/nas\/srv\), got "ssh:\/\/nas\/srv\/inner"$/);
    expect(() => checkTargetsApart([spec('c', 'ssh://backup/srv')], [a], () => '')).not.toThrow();
    // A local target under the folder named like the remote one is not the same folder.
    expect(() => checkTargetsApart([spec('d', join(root, 'dst'))], [a], () => '')).not.toThrow();
  });
});
