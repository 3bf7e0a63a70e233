import type { FileSystem } from './file-system.js';

/**
 * Is `root` a directory now (the service's cheap poll for a conduit waiting
 * for its roots)? A root may be a symbolic link to a directory (scan/walk.ts
 * `checkRoot` accepts it): then `root/.` is asked, which the system resolves
 * through the link — the one place conduit looks through one, and only to
 * answer yes or no. Never throws.
 */
export async function rootPresent(fs: FileSystem, root: string): Promise<boolean> {
  try {
    const entry = await fs.lstat(root);
    if (entry.kind === 'dir') return true;
    if (entry.kind !== 'symlink') return false;
    return (await fs.lstat(`${root.replace(/\/+$/, '')}/.`)).kind === 'dir';
  } catch {
    return false;
  }
}
