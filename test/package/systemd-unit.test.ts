import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../cli/cli-harness.js';

/**
 * contrib/conduit.service: systemd accepts it (`systemd-analyze verify`,
 * where systemd is installed: it prints unknown keys and bad values as
 * warnings, so its output must be empty too), and it is hardened the way the
 * README says.
 */
const unit = join(repoRoot, 'contrib', 'conduit.service');
const ANALYZE = '/usr/bin/systemd-analyze';

/** `Key=value` lines of a section, comments and blank lines left out. */
function section(text: string, name: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) { current = header[1]!; continue; }
    if (current !== name) continue;
    const at = line.indexOf('=');
    const key = line.slice(0, at);
    keys.set(key, [...(keys.get(key) ?? []), line.slice(at + 1)]);
  }
  return keys;
}

describe('contrib/conduit.service', () => {
  it.skipIf(!existsSync(ANALYZE))(`passes systemd-analyze verify with no warning (skipped: no ${ANALYZE} here)`, () => {
    const result = spawnSync(ANALYZE, ['verify', unit], { encoding: 'utf8' });
    expect({ code: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('is hardened: a read-only system and home, no new privileges, no capabilities, its own state directory for the database', () => {
    const service = section(readFileSync(unit, 'utf8'), 'Service');
    expect(service.get('NoNewPrivileges')).toEqual(['yes']);
    expect(service.get('ProtectSystem')).toEqual(['strict']);
    // A sync tool must reach people's folders: home is read-only, the roots it writes are opened with ReadWritePaths=.
    expect(service.get('ProtectHome')).toEqual(['read-only']);
    expect(service.get('StateDirectory')).toEqual(['conduit']);
    expect(service.get('CapabilityBoundingSet')).toEqual(['']);
    expect(service.get('PrivateTmp')).toEqual(['yes']);
    const [execStart] = service.get('ExecStart') ?? [];
    expect(execStart).toMatch(/ conduit serve --config \/etc\/conduit\/conduits\.json --db %S\/conduit\/conduit\.db$/);
    expect(service.get('ExecReload')).toEqual(['/bin/kill -HUP $MAINPID']);
    expect(section(readFileSync(unit, 'utf8'), 'Install').get('WantedBy')).toEqual(['multi-user.target']);
  });
});
