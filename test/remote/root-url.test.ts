import { describe, expect, it } from 'vitest';
import { authorityOf, isRemoteRootText, mountPathOf, parseRoot, RootUrlError } from '../../src/remote/root-url.js';

describe('parseRoot', () => {
  it.each([
    ['ssh://nas/srv/photos', { host: 'nas', path: '/srv/photos', text: 'ssh://nas/srv/photos' }],
    ['ssh://me@nas:2222/srv/photos/', { user: 'me', host: 'nas', port: 2222, path: '/srv/photos', text: 'ssh://me@nas:2222/srv/photos' }],
    ['ssh://[::1]:22/data', { host: '::1', port: 22, path: '/data', text: 'ssh://[::1]:22/data' }],
    ['ssh://nas/srv/my%20photos', { host: 'nas', path: '/srv/my photos', text: 'ssh://nas/srv/my photos' }],
    ['ssh://nas/srv/./a/../b', { host: 'nas', path: '/srv/b' }],
    ['ssh://nas/', { host: 'nas', path: '/' }],
    ['me@nas:/srv/photos', { user: 'me', host: 'nas', path: '/srv/photos', text: 'ssh://me@nas/srv/photos' }],
    ['backup.example.org:/var/backups', { host: 'backup.example.org', path: '/var/backups' }],
  ])('%s is a remote root', (text, expected) => {
    const root = parseRoot(text);
    expect(root.kind).toBe('ssh');
    expect(root).toMatchObject(expected);
  });

  it.each(['/home/me/photos', 'photos', './a:b', 'C:\\data', 'a:b', 'notes:2024', '/ssh:x/y'])('%s is a local path', (text) => {
    expect(parseRoot(text)).toEqual({ kind: 'local', path: text });
  });

  it.each([
    ['ssh://nas', /path on the far host is missing/],
    ['ssh://nas:0/x', /port "0"/],
    ['ssh://nas:99999/x', /port "99999"/],
    ['ssh://nas:/x', /port ""/],
    ['ssh://-oProxyCommand=evil/x', /may not start with "-"/],
    ['ssh:///x', /expected ssh:/],
    ['ssh://nas/a\nb', /control character/],
  ])('%s is refused: %s', (text, reason) => {
    expect(() => parseRoot(text)).toThrow(RootUrlError);
    expect(() => parseRoot(text)).toThrow(reason);
  });

  it('says which texts look remote', () => {
    expect(isRemoteRootText('ssh://x/y')).toBe(true);
    expect(isRemoteRootText('me@x:/y')).toBe(true);
    expect(isRemoteRootText('/x/y')).toBe(false);
    expect(isRemoteRootText('x:y')).toBe(false);
  });
});

describe('mountPathOf', () => {
  it('is an absolute path naming the host, different for the same path on two hosts', () => {
    const a = parseRoot('ssh://me@nas:2222/data');
    const b = parseRoot('ssh://other/data');
    if (a.kind !== 'ssh' || b.kind !== 'ssh') throw new Error('not remote');
    expect(mountPathOf(a)).toBe('/ssh:me@nas:2222/data');
    expect(mountPathOf(b)).toBe('/ssh:other/data');
    expect(authorityOf(a)).toBe('me@nas:2222');
    const v6 = parseRoot('ssh://[::1]/');
    if (v6.kind !== 'ssh') throw new Error('not remote');
    expect(mountPathOf(v6)).toBe('/ssh:[::1]');
  });
});
