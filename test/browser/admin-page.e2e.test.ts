import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { startHttpServer, type RunningHttpServer } from '../../src/http/server.js';
import { createDirectService, type DirectService } from '../http/support/direct-service.js';
import { addTestConduit, capturingLogger, syncFolders, TEST_TOKEN, waitFor, writeFiles } from '../http/support/fixtures.js';

/**
 * The admin page in Debian's chromium (headless, driven by playwright-core),
 * against the real HTTP server, a real store and real generations on disk.
 * Every wait is a poll with a deadline; nothing assumes how fast the machine is.
 */
const CHROMIUM = process.env['CONDUIT_CHROMIUM'] ?? '/usr/bin/chromium';
const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts');
const UI_TIMEOUT = 20_000;
/** What the tests read of a DOM element in the page (the test itself compiles without the DOM library). */
type DomElement = { getAttribute(name: string): string | null };

describe.skipIf(!existsSync(CHROMIUM))('admin page in chromium', () => {
  let service: DirectService;
  let server: RunningHttpServer;
  let browser: BrowserContext;
  let profile: string;
  let page: Page;
  let photos: ReturnType<typeof syncFolders>;
  let notes: ReturnType<typeof syncFolders>;

  beforeAll(async () => {
    service = await createDirectService();
    photos = syncFolders({ 'album/one.jpg': 'x'.repeat(40_000), 'album/two.jpg': 'y'.repeat(20_000), 'readme.txt': 'photos' });
    addTestConduit(service, { name: 'photos', source: photos.source, target: photos.target, schedule: 'interval:5m' });
    await service.requestSync('photos', { trigger: 'manual' });

    // A bidirectional conduit with `manual` conflicts whose first sync finds the two sides differ.
    notes = syncFolders({ 'plan.txt': 'the source version' });
    mkdirSync(notes.target);
    writeFiles(notes.target, { 'plan.txt': 'the target version, edited' });
    addTestConduit(service, { name: 'notes', source: notes.source, target: notes.target, mode: 'bidirectional', conflict: 'manual' });
    await service.requestSync('notes', { trigger: 'manual' });

    server = await startHttpServer(service, { host: '127.0.0.1', port: 0, token: TEST_TOKEN, logger: capturingLogger().logger });
    profile = mkdtempSync(join(tmpdir(), 'conduit-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1366, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    service?.close();
    photos?.cleanup();
    notes?.cleanup();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  const pageErrors: string[] = [];
  beforeEach(async () => {
    pageErrors.length = 0;
    page = await browser.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });
  afterEach(async () => {
    await page.close();
    expect(pageErrors).toEqual([]);
  });

  /** Opens the page with the token in the address fragment, as `conduit serve` documents it. */
  async function openWithToken(): Promise<void> {
    await page.goto(`${server.url}/#token=${TEST_TOKEN}`);
    await page.locator('#live-status.live-on').waitFor();
  }

  const historyRow = (generation: number) => page.locator(`#history tbody tr[data-generation="${generation}"]`);

  it('shows the conduits and a conduit\'s history after a run, and takes the token out of the address bar', async () => {
    await openWithToken();
    expect(new URL(page.url()).hash).toBe('');
    const photosRow = page.locator('#conduits [data-conduit="photos"]');
    await expect(photosRow.textContent()).resolves.toContain('current');
    await page.getByRole('button', { name: 'Show history of photos' }).click();
    await historyRow(1).waitFor();
    const cells = await historyRow(1).locator('td').allTextContents();
    expect(cells[0]).toBe('#1');
    expect(cells[2]).toBe('manual');
    expect(cells[3]).toBe('completed');
    expect(cells[4]).toBe('3');
    // One point per series (files, bytes, duration) for the one generation.
    expect(await page.locator('#chart svg circle.point').count()).toBe(3);

    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = join(ARTIFACTS, 'admin-history.png');
    rmSync(shot, { force: true });
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(1000);
    expect(readFileSync(shot).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  });

  it('"Run now" starts a generation that appears in the history without a reload', async () => {
    await openWithToken();
    await page.getByRole('button', { name: 'Show history of photos' }).click();
    const before = service.store.getConduit('photos')!.syncGeneration;
    await historyRow(before).waitFor();
    // A marker on window survives only if the page is never reloaded.
    await page.evaluate(() => { (globalThis as unknown as { marker: number }).marker = 42; });
    writeFiles(photos.source, { 'album/three.jpg': 'z'.repeat(10_000) });
    await page.getByRole('button', { name: 'Run photos now' }).click();
    await historyRow(before + 1).waitFor();
    await expect(historyRow(before + 1).locator('td').nth(2).textContent()).resolves.toBe('api');
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(42);
    expect(readFileSync(join(photos.target, 'album/three.jpg'), 'utf8')).toHaveLength(10_000);
  });

  it('resolves a manual conflict from the page, and the file changes on disk', async () => {
    await openWithToken();
    const row = page.locator('#conflicts [data-conflict]', { hasText: 'plan.txt' });
    await row.waitFor();
    expect(readFileSync(join(notes.target, 'plan.txt'), 'utf8')).toBe('the target version, edited');
    await row.getByRole('button', { name: 'Keep source for plan.txt' }).click();
    await page.getByText('None: every conflict has been settled.').waitFor();
    await waitFor('the source version on the target', () =>
      readFileSync(join(notes.target, 'plan.txt'), 'utf8') === 'the source version' ? true : undefined);
    expect(service.store.listConflicts({ conduit: 'notes' })).toEqual([]);
  });

  it('opens a generation and filters its events by action', async () => {
    await openWithToken();
    await page.getByRole('button', { name: 'Show history of photos' }).click();
    await page.getByRole('button', { name: 'Open generation 1' }).click();
    const events = page.locator('#events tbody tr[data-action]');
    await events.first().waitFor();
    const all = await events.evaluateAll((rows) => rows.map((r) => (r as DomElement).getAttribute('data-action')));
    expect(all.sort()).toEqual(['copy', 'copy', 'copy', 'mkdir']);

    await page.getByLabel('Filter events by action').selectOption('mkdir');
    await waitFor('only mkdir events', async () => {
      const shown = await events.evaluateAll((rows) => rows.map((r) => (r as DomElement).getAttribute('data-action')));
      return shown.length === 1 && shown[0] === 'mkdir' ? shown : undefined;
    });
    await expect(events.first().locator('td').nth(2).textContent()).resolves.toBe('album');

    await page.getByLabel('Filter events by action').selectOption('error');
    await page.getByText('No error events in this generation.').waitFor();
  });

  it('asks for the token when none is known, keeps it for the tab, and is usable from the keyboard', async () => {
    await page.goto(`${server.url}/`);
    await page.locator('#live-status.live-on').waitFor();
    const before = service.store.getConduit('photos')!.syncGeneration;
    // Reach "Run now" by keyboard and press it: the server says 401, the page asks for the token.
    await page.getByRole('button', { name: 'Run photos now' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'API token' });
    await dialog.waitFor();
    await dialog.getByRole('textbox', { name: 'Token' }).fill(TEST_TOKEN);
    await page.keyboard.press('Enter');
    await waitFor('the generation the token allowed', () =>
      service.store.getConduit('photos')!.syncGeneration > before ? true : undefined);
    expect(await page.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(key: string): string | null } }).sessionStorage.getItem('conduit-api-token'))).toBe(TEST_TOKEN);
    await expect(page.getByRole('button', { name: 'Change API token' }).isVisible()).resolves.toBe(true);
  });
});
