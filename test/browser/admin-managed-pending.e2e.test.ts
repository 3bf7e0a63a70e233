import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { validateConduit } from '../../src/config/validate-conduit.js';
import { CONDUIT_STATES } from '../../src/core/vocabulary.js';
import { openStore } from '../../src/db/open-store.js';
import type { Store } from '../../src/db/store.js';
import { NodeFileSystem } from '../../src/fs/node-file-system.js';
import { startHttpServer, type RunningHttpServer } from '../../src/http/server.js';
import { ConduitRuntime } from '../../src/service/conduit-runtime.js';
import { syncFolders, TEST_TOKEN, waitFor } from '../http/support/fixtures.js';

/**
 * Issue 11 §2 with §1's fields: "N paths pending" in the state, and a
 * conduit managed by a config file shows the file and cannot be edited,
 * paused or removed from the page. Runs where the service has those fields
 * (the `pending` state, ConduitView.pendingPaths and managedBy).
 */
const CHROMIUM = process.env['CONDUIT_CHROMIUM'] ?? '/usr/bin/chromium';
const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts');
const hasPending = (CONDUIT_STATES as readonly string[]).includes('pending');

describe.skipIf(!existsSync(CHROMIUM) || !hasPending)('admin page: pending paths and managed conduits, in chromium', () => {
  let area: string | undefined;
  let store: Store | undefined;
  let runtime: ConduitRuntime | undefined;
  let server: RunningHttpServer | undefined;
  let browser: BrowserContext | undefined;
  let writer: ChildProcess | undefined;
  const folders: ReturnType<typeof syncFolders>[] = [];

  afterAll(async () => {
    if (writer && writer.exitCode === null && writer.signalCode === null) {
      writer.kill('SIGKILL');
      await once(writer, 'exit');
    }
    await browser?.close();
    await server?.close();
    await runtime?.stop();
    store?.close();
    for (const made of folders) made.cleanup();
    if (area) rmSync(area, { recursive: true, force: true });
  });

  it('says "N paths pending" (not current) and shows "managed by <file>" with its edit, pause and remove controls disabled', async () => {
    area = mkdtempSync(join(tmpdir(), 'conduit-managed-'));
    store = await openStore(join(area, 'conduit.db'));
    const logs = syncFolders({ 'quiet.txt': 'quiet' });
    const managed = syncFolders({ 'm.txt': 'm' });
    folders.push(logs, managed);
    const log = join(logs.source, 'busy.log');
    // A file under constant writes: every copy of it sees it change (changed_during_transfer).
    writeFileSync(log, 'x'.repeat(4 * 1024 * 1024));
    writer = spawn(process.execPath, ['-e', `
      const fs = require('node:fs');
      process.stdout.write('writing\\n');
      setInterval(() => fs.appendFileSync(${JSON.stringify(log)}, 'line of a log that never stops\\n'), 1);
    `], { stdio: ['ignore', 'pipe', 'inherit'] });
    await once(writer.stdout!, 'data');
    const configFile = join(area, 'conduits.json');
    const rules = { baseDir: '/', ownFiles: [] };
    store.createConduit(validateConduit({ name: 'logs', source: logs.source, target: logs.target, mode: 'mirror', schedule: 'manual' }, rules));
    // The way serve imports a config file: its conduits are managed by it.
    const upsert = store.upsertConduits as (specs: unknown[], options: { managedBy: string }) => unknown;
    upsert.call(store, [validateConduit({ name: 'managed', source: managed.source, target: managed.target, mode: 'mirror', schedule: 'manual' }, rules)], { managedBy: configFile });

    runtime = new ConduitRuntime({ store, fs: new NodeFileSystem(), logger: pino({ level: 'silent' }), maxConcurrentConduits: 2 });
    await runtime.start();
    await runtime.requestSync('logs', { trigger: 'manual' });
    await runtime.requestSync('managed', { trigger: 'manual' });
    expect(readFileSync(join(logs.target, 'quiet.txt'), 'utf8')).toBe('quiet');
    server = await startHttpServer(runtime, { host: '127.0.0.1', port: 0, token: TEST_TOKEN, logger: pino({ level: 'silent' }) });
    browser = await chromium.launchPersistentContext(mkdtempSync(join(area, 'profile-')), {
      executablePath: CHROMIUM, headless: true, viewport: { width: 1366, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page: Page = await browser.newPage();
    page.setDefaultTimeout(30_000);
    await page.goto(`${server.url}/#token=${TEST_TOKEN}`);
    await page.locator('#live-status.live-on').waitFor();

    const logsCard = page.locator('#conduits [data-conduit="logs"]');
    const shown = await waitFor('logs to be out of sync', async () => {
      const text = (await logsCard.innerText());
      return text.includes('out of sync') ? text : undefined;
    });
    expect(shown).toContain('1 path pending');
    expect(shown).not.toContain('current');

    const managedCard = page.locator('#conduits [data-conduit="managed"]');
    expect(await managedCard.innerText()).toContain(`managed by ${configFile}`);
    for (const control of ['Edit managed', 'Pause managed', 'Remove managed']) {
      expect(await page.getByRole('button', { name: control }).isDisabled()).toBe(true);
    }
    expect(await page.getByRole('button', { name: 'Run managed now' }).isDisabled()).toBe(false);

    mkdirSync(ARTIFACTS, { recursive: true });
    const file = join(ARTIFACTS, 'admin-pending-managed.png');
    await page.screenshot({ path: file, fullPage: true });
    expect(statSync(file).size).toBeGreaterThan(1000);
  });
});
