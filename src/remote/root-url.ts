import { posix } from 'node:path';

/**
 * A conduit root as written in the config, on the command line or in the API
 * (issue 10): a local path, or a folder on another host reached over SSH.
 *
 *   ssh://[user@]host[:port]/absolute/path     (IPv6: ssh://[::1]:2222/path)
 *   [user@]host:/absolute/path                 (scp style, as rsync and git take it)
 *
 * The stored root is the text as the user wrote it (normalised); the engine
 * never sees it. It works on a *mount path* (`mountPathOf`): an absolute path
 * the split filesystem (split-file-system.ts) routes to the agent on that
 * host. A mount path reads well in messages (`/ssh:me@nas:2222/srv/photos`)
 * and, used on the local disk by mistake, names nothing (no such folder), so
 * nothing local is touched through it.
 */

export interface RemoteRoot {
  readonly kind: 'ssh';
  readonly user?: string;
  readonly host: string;
  readonly port?: number;
  /** Absolute POSIX path on the far host, normalised, no trailing slash (but `/`). */
  readonly path: string;
  /** The canonical `ssh://` form, as stored and shown. */
  readonly text: string;
}

export interface LocalRoot {
  readonly kind: 'local';
  readonly path: string;
}

export type RootLocation = LocalRoot | RemoteRoot;

/** Every mount path starts with this; a local root that does is refused (validate-conduit.ts). */
export const MOUNT_PREFIX = '/ssh:';

/** Why a root text is not a valid remote root; thrown by parseRoot, one line. */
export class RootUrlError extends Error {
  constructor(readonly text: string, reason: string) {
    super(`${JSON.stringify(text)} is not a valid remote root: ${reason}`);
    this.name = 'RootUrlError';
  }
}

const SSH_URL = /^ssh:\/\/(?:([^@/\s]+)@)?(\[[0-9A-Fa-f:.]+\]|[^:/\s[\]@]+)(?::(\d*))?(\/[\s\S]*)?$/;
// user@host:/path or host:/path — only with an absolute path after the colon, so `C:\x` or `a:b` stay local.
const SCP_STYLE = /^(?:([^@/\s:]+)@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9._-]*):(\/[\s\S]*)$/;

/** Looks like a remote root (then parseRoot either parses it or says why not). */
export function isRemoteRootText(text: string): boolean {
  return text.startsWith('ssh://') || SCP_STYLE.test(text);
}

/** A local path (returned as given: resolving is the config's job) or a remote root; throws RootUrlError. */
export function parseRoot(text: string): RootLocation {
  if (text.startsWith('ssh://')) {
    const m = SSH_URL.exec(text);
    if (!m) throw new RootUrlError(text, 'expected ssh://[user@]host[:port]/absolute/path');
    return remoteRoot(text, m[1], m[2]!, m[3], m[4]);
  }
  const m = SCP_STYLE.exec(text);
  if (m) return remoteRoot(text, m[1], m[2]!, undefined, m[3]);
  return { kind: 'local', path: text };
}

function remoteRoot(text: string, user: string | undefined, host: string, portText: string | undefined, path: string | undefined): RemoteRoot {
  if (path === undefined || path === '') throw new RootUrlError(text, 'the path on the far host is missing (write ssh://host/absolute/path)');
  if (/[\0\n\r]/.test(path)) throw new RootUrlError(text, 'the path holds a control character');
  let port: number | undefined;
  if (portText !== undefined) {
    port = Number(portText);
    if (portText === '' || !Number.isInteger(port) || port < 1 || port > 65535) throw new RootUrlError(text, `port ${JSON.stringify(portText)} is not a number from 1 to 65535`);
  }
  if (host.startsWith('-') || (user !== undefined && user.startsWith('-'))) throw new RootUrlError(text, 'a host or user may not start with "-"');
  let normalised = posix.normalize(decodeURIComponentSafe(text, path));
  if (normalised.length > 1 && normalised.endsWith('/')) normalised = normalised.slice(0, -1);
  const authority = `${user !== undefined ? `${user}@` : ''}${host}${port !== undefined ? `:${port}` : ''}`;
  return {
    kind: 'ssh',
    ...(user !== undefined ? { user } : {}),
    host: host.startsWith('[') ? host.slice(1, -1) : host,
    ...(port !== undefined ? { port } : {}),
    path: normalised,
    text: `ssh://${authority}${normalised}`,
  };
}

/** `%20` and friends in an ssh:// URL's path; a stray `%` stays as it is (a file name may hold one). */
function decodeURIComponentSafe(text: string, path: string): string {
  if (!text.startsWith('ssh://')) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** `[user@]host[:port]`, as messages name the far host. */
export function authorityOf(root: RemoteRoot): string {
  const host = root.host.includes(':') ? `[${root.host}]` : root.host;
  return `${root.user !== undefined ? `${root.user}@` : ''}${host}${root.port !== undefined ? `:${root.port}` : ''}`;
}

/** The absolute path the engine uses for a remote root (see the top of this file). */
export function mountPathOf(root: RemoteRoot): string {
  return `${MOUNT_PREFIX}${authorityOf(root)}${root.path === '/' ? '' : root.path}`;
}

/** The root's text as shown to people: the canonical ssh:// form, or the local path. */
export function rootText(location: RootLocation): string {
  return location.kind === 'ssh' ? location.text : location.path;
}
