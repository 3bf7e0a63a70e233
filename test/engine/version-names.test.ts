import { describe, expect, test } from 'vitest';
import { parseVersionName, versionName } from '../../src/engine/versioning.js';

/** `conduit versions` reads the original path back from a version's name: it must be `versionName`'s exact inverse. */
describe('parseVersionName', () => {
  const paths = ['docs/notes.txt', '.env', 'a.tar.gz', 'Makefile', 'a.20250101T000000Z', 'b.20250101T000000Z.txt', 'd/e/.x.y', 'notes.', 'x/.txt', 'sp ace/ü.md'];
  test.each(paths)('%s round-trips with its stamp and attempt', (path) => {
    for (const attempt of [1, 3]) {
      const name = versionName(path, '20261123T051500Z', attempt);
      const parsed = parseVersionName(name);
      expect(parsed?.original, name).toBe(path);
      expect(parsed?.attempt).toBe(attempt);
      expect(parsed?.keptAt.toISOString()).toBe('2026-11-23T05:15:00.000Z');
    }
  });

  test('names conduit did not make are not versions', () => {
    for (const name of ['notes.txt', 'notes.2026-11-23.txt', '.notes.20261123T051500Z.txt.conduit-tmp-0123456789ab-x1', '.20261123T051500Z', 'a.20261399T000000Z.txt']) {
      expect(parseVersionName(name), name).toBeNull();
    }
  });
});
