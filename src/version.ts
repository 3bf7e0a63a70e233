import { readFileSync } from 'node:fs';

let cached: string | undefined;

/**
 * The version of the package conduit runs from (`--version`, the agent's
 * greeting): one small file read, once.
 */
export function conduitVersion(): string {
  if (cached !== undefined) return cached;
  // dist/src/version.js and src/version.ts both sit below the package root: the first package.json up is conduit's.
  for (const up of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (typeof pkg.version === 'string' && pkg.name === 'conduit-sync') return (cached = pkg.version);
    } catch {
      // Not at this level.
    }
  }
  return (cached = 'unknown');
}
