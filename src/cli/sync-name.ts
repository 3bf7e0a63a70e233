import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { isRemoteRootText, parseRoot, rootText } from '../remote/root-url.js';

/**
 * The automatic name of the conduit `conduit sync SRC DST` runs:
 * `sync-<source folder>-<target folder>-<8 hex digits>`, e.g.
 * `sync-photos-photos-backup-1f2e3d4c`. The digits are the start of a
 * SHA-256 of the two real paths, so the same pair — however it is typed
 * (relative, absolute, with a trailing slash, through a symlink) — always
 * gets the same name, and a second `sync` of it reuses that conduit and its
 * baseline; another pair never does.
 */
export function syncConduitName(source: string, target: string, cwd: string): string {
  const from = rootKey(source, cwd);
  const to = rootKey(target, cwd);
  const digest = createHash('sha256').update(`${from}\0${to}`).digest('hex').slice(0, 8);
  return `sync-${slug(from)}-${slug(to)}-${digest}`;
}

/** A remote root by its canonical text (issue 10: `me@nas:/x` and `ssh://me@nas/x` are one pair); a local one by its real path. */
function rootKey(text: string, cwd: string): string {
  if (isRemoteRootText(text)) {
    try {
      return rootText(parseRoot(text));
    } catch {
      return text; // validation refuses it with the reason
    }
  }
  return realOrResolved(resolve(cwd, text));
}

/** The real path; for a folder that does not exist yet (a first target), its parent's real path and its name. */
function realOrResolved(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    try {
      return join(realpathSync(dirname(path)), basename(path));
    } catch {
      return path;
    }
  }
}

/** A folder's name as name characters (letters, digits, ".", "_", "-"), at most 30 of them. */
function slug(path: string): string {
  const name = basename(path).replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 30);
  return name === '' ? 'root' : name;
}
