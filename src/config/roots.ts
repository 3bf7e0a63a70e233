import { MOUNT_PREFIX, mountPathOf, parseRoot, RootUrlError, type RemoteRoot } from '../remote/root-url.js';
import { ConfigError, describeValue } from './config-error.js';
import { resolvePath } from './paths.js';

/**
 * A conduit root as the config stores it (issue 10): a local path resolved
 * against `baseDir`, or a remote root in its canonical `ssh://` text, which
 * is never resolved against anything (it names a folder on another host).
 * Throws ConfigError naming `field` for a bad URL, or for a local path that
 * starts with the mount prefix (`/ssh:`): such a path would look like a remote
 * root to the split filesystem.
 */
export function storedRootOf(field: 'source' | 'target', text: string, baseDir: string): string {
  let location;
  try {
    location = parseRoot(text);
  } catch (error) {
    if (error instanceof RootUrlError) throw new ConfigError(field, error.message);
    throw error;
  }
  if (location.kind === 'ssh') return location.text;
  const path = resolvePath(location.path, baseDir);
  if (path.startsWith(MOUNT_PREFIX)) {
    throw new ConfigError(field, `expected a local directory not starting with "${MOUNT_PREFIX}" (conduit uses such paths for remote roots), got ${describeValue(path)}`);
  }
  return path;
}

/** The remote root a stored root names, or null when it is a local path. Stored roots are valid: this does not throw for them. */
export function remoteRootOf(stored: string): RemoteRoot | null {
  if (!stored.startsWith('ssh://')) return null;
  const location = parseRoot(stored);
  return location.kind === 'ssh' ? location : null;
}

/** Refuses a conduit with two remote roots: issue 10 syncs a local folder with a remote one. */
export function checkAtMostOneRemote(source: string, target: string): void {
  if (remoteRootOf(source) !== null && remoteRootOf(target) !== null) {
    throw new ConfigError('target', `expected a local target when the source is remote (at most one root of a conduit may be remote), got ${describeValue(target)}`);
  }
}

/**
 * Where a root lies for the overlap rules: a local root's real path, or a
 * remote root's mount path (`/ssh:me@nas/srv/x`), which no local path shares,
 * so two targets on one host still clash when they nest. The same host named
 * two ways (an alias, an IP) is not seen: only the far side could tell.
 */
export function overlapKeyOf(stored: string, realPath: (path: string) => string): string {
  const remote = remoteRootOf(stored);
  return remote === null ? realPath(stored) : mountPathOf(remote);
}
