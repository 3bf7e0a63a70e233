import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, repoRoot } from '../cli/cli-harness.js';

/**
 * The package as npm would publish it: `npm pack` of this checkout (built
 * first; scripts skipped, so the test does not rebuild), its file list, and
 * the unpacked tarball run on its own. Installing the tarball needs the
 * registry (its dependencies are not in an offline cache here), so the
 * unpacked package runs against this checkout's node_modules instead: what
 * is tested is that the files it ships are enough to run.
 */
interface PackResult {
  readonly name: string;
  readonly filename: string;
  readonly files: readonly { readonly path: string }[];
}

const packageJson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  name: string; license: string; bin: Record<string, string>; version: string;
};

describe('the npm package', () => {
  let dir: string;
  let packed: PackResult;
  let shipped: Set<string>;

  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'conduit-pack-'));
    const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: repoRoot, encoding: 'utf8' });
    packed = (JSON.parse(out) as PackResult[])[0]!;
    shipped = new Set(packed.files.map((file) => file.path));
  }, 180_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is named so that no registry package answers for it, and keeps the `conduit` command', () => {
    // `conduit` on the registry is bigeasy/conduit ("Evented pipelines"), an unrelated project.
    expect(packageJson.name).not.toBe('conduit');
    expect(packed.name).toBe(packageJson.name);
    expect(packageJson.bin).toEqual({ conduit: 'bin/conduit.js' });
    const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { name: string; packages: Record<string, { name?: string }> };
    expect({ lock: lock.name, root: lock.packages['']?.name }).toEqual({ lock: packageJson.name, root: packageJson.name });
  });

  it('ships a LICENSE that matches package.json', () => {
    expect(packageJson.license).toBe('MIT');
    expect(shipped.has('LICENSE')).toBe(true);
    const license = readFileSync(join(repoRoot, 'LICENSE'), 'utf8');
    expect(license).toMatch(/^MIT License/);
    expect(license).toContain('Copyright (c) 2026 conduit authors');
  });

  it('ships what runs, the example and the systemd unit, and no sources', () => {
    for (const path of ['bin/conduit.js', 'dist/src/cli/main.js', 'web/index.html', 'web/admin.js', 'web/admin.css',
      'conduits.example.json', 'contrib/conduit.service', 'example/notes-laptop/ideas.md', 'README.md', 'package.json']) {
      expect({ path, shipped: shipped.has(path) }).toEqual({ path, shipped: true });
    }
    // Every migration is shipped compiled (the store imports them from dist/migrations), none as TypeScript source.
    const migrations = readdirSync(join(repoRoot, 'migrations')).filter((name) => name.endsWith('.ts'));
    expect(migrations.length).toBeGreaterThan(0);
    for (const name of migrations) expect(shipped.has(`dist/migrations/${name.replace(/\.ts$/, '.js')}`)).toBe(true);
    const unwanted = [...shipped].filter((path) =>
      path.endsWith('.ts') || path.startsWith('src/') || path.startsWith('test/') || path.startsWith('migrations/') || path.startsWith('scripts/') ||
      path === 'web/tsconfig.json' || path.startsWith('dist/test/') || path.includes('.e2e-build-lock') || path.startsWith('demo/'));
    expect(unwanted).toEqual([]);
  });

  it('unpacked on its own, `conduit --help` runs and `serve` migrates a new database and serves the admin page', async () => {
    const unpacked = join(dir, 'unpacked');
    mkdirSync(unpacked);
    execFileSync('tar', ['-xzf', join(dir, packed.filename), '-C', unpacked]);
    const root = join(unpacked, 'package');
    expect(existsSync(join(root, 'src'))).toBe(false);
    symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'));

    const help = spawnSync(process.execPath, [join(root, 'bin/conduit.js'), '--help'], { cwd: dir, encoding: 'utf8' });
    expect({ code: help.status, stderr: help.stderr }).toEqual({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: conduit /);
    expect(help.stdout).toContain('serve');

    const env: NodeJS.ProcessEnv = { ...process.env, CONDUIT_LOG_LEVEL: 'info', CONDUIT_API_TOKEN: 'package-test-token-0123456789' };
    delete env['CONDUIT_DB'];
    const child = spawn(process.execPath, [join(root, 'bin/conduit.js'), 'serve', '--db', join(dir, 'conduit.db'), '--port', '0'], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      let log = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => { log += chunk; });
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`serve from the unpacked package not up after 30 s:\n${log}`)), 30_000);
        child.stderr.on('data', () => {
          const found = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(log)?.[1];
          if (found) { clearTimeout(timer); resolve(found); }
        });
        child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`serve exited ${code}:\n${log}`)); });
      });
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>conduit');
      const conduits = await fetch(`${url}/api/conduits`);
      expect(await conduits.json()).toEqual([]);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    }
  }, 60_000);
});
