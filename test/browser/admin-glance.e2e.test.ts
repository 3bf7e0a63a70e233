import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { thisProcess } from '../../src/db/lease-holder.js';
import { openStore } from '../../src/db/open-store.js';
import type { Store } from '../../src/db/store.js';
import { NodeFileSystem } from '../../src/fs/node-file-system.js';
import { startHttpServer, type RunningHttpServer } from '../../src/http/server.js';
import { addConduit } from '../../src/service/conduit-admin.js';
import { ConduitRuntime } from '../../src/service/conduit-runtime.js';
import { syncFolders, TEST_TOKEN, waitFor, writeFiles } from '../http/support/fixtures.js';
import { commitOf } from '../db/fixtures.js';

/**
 * Issue 11 §2: the admin page answers "is everything fine, and what
 * happened?". The page in Debian's chromium against the real service of
 * `conduit serve` (ConduitRuntime: scheduler, watchers, verification), a real
 * store and real folders; the browser runs in the Asia/Kolkata zone
 * (+05:30), so a time shown without its zone, or in UTC, cannot pass. One
 * screenshot per bullet goes to test-artifacts/.
 */
const CHROMIUM = process.env['CONDUIT_CHROMIUM'] ?? '/usr/bin/chromium';
const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts');
const UI_TIMEOUT = 30_000;
const ZONE = 'Asia/Kolkata';
const ZONE_OFFSET_MINUTES = 5 * 60 + 30;

/** What the page must show for an instant: local time in Asia/Kolkata with its offset. */
function kolkata(iso: string): string {
  const shifted = new Date(Date.parse(iso) + ZONE_OFFSET_MINUTES * 60_000);
  return `${shifted.toISOString().slice(0, 10)} ${shifted.toISOString().slice(11, 19)} +05:30`;
}

describe.skipIf(!existsSync(CHROMIUM))('admin page at a glance (issue 11 §2), in chromium', () => {
  let area: string;
  let store: Store;
  let runtime: ConduitRuntime;
  let server: RunningHttpServer;
  let browser: BrowserContext;
  let profile: string;
  let page: Page;
  let sleeper: ChildProcess | undefined;
  const folders: ReturnType<typeof syncFolders>[] = [];
  const folder = (files: Record<string, string>) => {
    const made = syncFolders(files);
    folders.push(made);
    return made;
  };
  let photos: ReturnType<typeof syncFolders>;
  let notes: ReturnType<typeof syncFolders>;
  let big: ReturnType<typeof syncFolders>;
  let slow: ReturnType<typeof syncFolders>;
  let gone: ReturnType<typeof syncFolders>;
  let checked: ReturnType<typeof syncFolders>;
  let busy: ReturnType<typeof syncFolders>;
  let kept: ReturnType<typeof syncFolders>;
  /** Issue 10: a conduit whose remote host did not answer, twice; its next attempt is due at OFFLINE_NEXT. */
  const OFFLINE_REASON = 'cannot reach backup.example: ssh: connect to host backup.example port 22: Connection refused';
  const OFFLINE_NEXT = '2026-12-01T10:42:07.000Z';

  const add = (fields: Record<string, unknown>) => addConduit(store, { mode: 'mirror', schedule: 'manual', ...fields }, { baseDir: '/' });

  beforeAll(async () => {
    area = mkdtempSync(join(tmpdir(), 'conduit-glance-'));
    store = await openStore(join(area, 'conduit.db'));

    photos = folder({ 'album/one.jpg': 'x'.repeat(40_000), 'readme.txt': 'photos' });
    add({ name: 'photos', source: photos.source, target: photos.target, schedule: 'interval:5m' });
    notes = folder({ 'docs/plan.txt': 'the source version\nline two\nline three\n' });
    mkdirSync(notes.target);
    writeFiles(notes.target, { 'docs/plan.txt': 'the target version, edited\nline two\nline three\n' });
    add({ name: 'notes', source: notes.source, target: notes.target, mode: 'bidirectional', conflict: 'manual' });
    const many: Record<string, string> = {};
    for (let d = 0; d < 30; d++) for (let f = 0; f < 10; f++) many[`dir-${String(d).padStart(2, '0')}/file-${f}.txt`] = `${d}/${f}`;
    big = folder(many);
    add({ name: 'big', source: big.source, target: big.target });
    // 4 Mbit/s: 2 MiB take about 4 s, long enough to watch the first sync run.
    const chunk = 'q'.repeat(512 * 1024);
    slow = folder({ 'a.bin': chunk, 'b.bin': chunk, 'c.bin': chunk, 'd.bin': chunk });
    add({ name: 'slow', source: slow.source, target: slow.target, bandwidthLimitMbps: 4 });
    gone = folder({ 'x.txt': 'x' });
    add({ name: 'gone', source: gone.source, target: gone.target });
    checked = folder({ 'y.txt': 'y' });
    add({ name: 'checked', source: checked.source, target: checked.target });
    busy = folder({ 'z.txt': 'z' });
    add({ name: 'busy', source: busy.source, target: busy.target });
    kept = folder({ 'doc.txt': 'version one\n' });
    add({ name: 'kept', source: kept.source, target: kept.target, versioning: { dir: '.conduit-versions', keepDays: 30 } });

    const offline = folder({ 'o.txt': 'o' });
    add({ name: 'offline', source: offline.source, target: offline.target });
    for (let i = 0; i < 2; i++) {
      const offlineId = store.getConduit('offline')!.id;
      const { id } = store.beginGeneration(offlineId, 'schedule', false, new Date().toISOString());
      store.commitGeneration(commitOf(offlineId, id, {
        status: 'refused', conduitState: 'unreachable', errorMessage: OFFLINE_REASON, lastSyncError: OFFLINE_REASON, countsTowardTotals: false,
        reach: { reached: false, nextAttemptAt: () => OFFLINE_NEXT },
      }));
    }

    runtime = new ConduitRuntime({ store, fs: new NodeFileSystem(), logger: pino({ level: 'silent' }), maxConcurrentConduits: 4 });
    await runtime.start();
    // Three generations of photos with different files, bytes and durations for the chart.
    await runtime.requestSync('photos', { trigger: 'manual' });
    writeFiles(photos.source, { 'album/two.jpg': 'y'.repeat(90_000) });
    await runtime.requestSync('photos', { trigger: 'manual' });
    writeFiles(photos.source, { 'album/three.jpg': 'z'.repeat(5_000), 'album/four.jpg': 'w'.repeat(5_000), 'notes.txt': 'n' });
    await runtime.requestSync('photos', { trigger: 'manual' });
    await runtime.requestSync('notes', { trigger: 'manual' });
    await runtime.requestSync('big', { trigger: 'manual' });
    // The second generation overwrites doc.txt on the target, keeping version one.
    await runtime.requestSync('kept', { trigger: 'manual' });
    writeFiles(kept.source, { 'doc.txt': 'version two, longer\n' });
    await runtime.requestSync('kept', { trigger: 'manual' });
    // A root that is gone: the generation is refused and the conduit waits for it.
    rmSync(gone.source, { recursive: true, force: true });
    await runtime.requestSync('gone', { trigger: 'manual' });
    // A generation whose watcher verification failed. The runtime's own verifier settles it first
    // (verified or failed); the failure is then recorded as the verifier records one.
    const record = await runtime.requestSync('checked', { trigger: 'manual' });
    await waitFor('the verification of checked #1 to settle', () =>
      store.getGenerationById(record.id)!.verificationStatus === 'waiting_watcher' ? undefined : true);
    store.setVerification(record.id, 'failed:target y.txt changed after the generation wrote it (size 1 → 7)', null);
    // Another process runs `busy` now: a live process holds its generation lease.
    sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
    const other = { id: 'another-conduit-process', pid: sleeper.pid!, host: hostname(), pidSpace: thisProcess().pidSpace };
    store.acquireLease(store.getConduit('busy')!.id, 'generation', other, 600_000);

    server = await startHttpServer(runtime, { host: '127.0.0.1', port: 0, token: TEST_TOKEN, logger: pino({ level: 'silent' }) });
    profile = mkdtempSync(join(tmpdir(), 'conduit-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1366, height: 900 },
      timezoneId: ZONE,
      locale: 'en-GB',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await runtime?.stop();
    store?.close();
    sleeper?.kill();
    for (const made of folders) made.cleanup();
    if (profile) rmSync(profile, { recursive: true, force: true });
    if (area) rmSync(area, { recursive: true, force: true });
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

  async function open(): Promise<void> {
    await page.goto(`${server.url}/#token=${TEST_TOKEN}`);
    await page.locator('#live-status.live-on').waitFor();
  }

  /** The conduit's row or card (whatever the element), by its data attribute. */
  const card = (name: string): Locator => page.locator(`#conduits [data-conduit="${name}"]`);
  const text = async (locator: Locator): Promise<string> => (await locator.textContent()) ?? '';

  async function shot(name: string, fullPage = true): Promise<void> {
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = join(ARTIFACTS, `${name}.png`);
    rmSync(file, { force: true });
    await page.screenshot({ path: file, fullPage });
    expect(statSync(file).size).toBeGreaterThan(1000);
    expect(readFileSync(file).subarray(0, 4)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  }

  it('shows each conduit\'s source and target folders on its row, not only in a tooltip', async () => {
    await open();
    for (const [name, made] of [['photos', photos], ['notes', notes], ['big', big]] as const) {
      const row = card(name);
      // Visible text, not a title attribute.
      expect(await row.innerText()).toContain(made.source);
      expect(await row.innerText()).toContain(made.target);
    }
    await shot('admin-paths');
  });

  it('says "conflicts open" (not "current") while a conflict is open, and "unreachable", "failed" and "waiting" with their reasons inline', async () => {
    await open();
    const notesText = await text(card('notes'));
    expect(notesText).toContain('conflicts open');
    expect(notesText).not.toContain('current');
    expect(notesText).toContain('1 conflict waits for a decision');

    const goneText = await card('gone').innerText();
    expect(goneText).toContain('unreachable');
    expect(goneText).toContain(gone.source);

    // The failed verification's reason is on the row and in the history, as text (not on hover).
    const checkedText = await card('checked').innerText();
    expect(checkedText).toContain('failed');
    expect(checkedText).toContain('target y.txt changed after the generation wrote it (size 1 → 7)');
    await page.getByRole('button', { name: 'Show history of checked' }).click();
    await page.locator('#history tbody tr[data-generation="1"]').waitFor();
    expect(await page.locator('#history tbody tr[data-generation="1"]').innerText()).toContain('target y.txt changed after the generation wrote it');

    const busyText = await card('busy').innerText();
    expect(busyText).toContain('waiting');
    expect(busyText).toContain(`pid ${sleeper!.pid}`);

    // A remote host that did not answer: the reason, the attempt and the next one in local time with the zone.
    const offlineText = await card('offline').innerText();
    expect(offlineText).toContain('unreachable');
    expect(offlineText).toContain(`${OFFLINE_REASON} — attempt 2, next at ${kolkata(OFFLINE_NEXT)}`);

    expect(await text(card('photos'))).toContain('current');
    expect(await text(card('slow'))).toContain('never synced');
    await shot('admin-states');
  });

  it('shows the first sync as "syncing" with %, files, bytes, rate and ETA — not as "never synced"', async () => {
    await open();
    expect(await text(card('slow'))).toContain('never synced');
    await page.getByRole('button', { name: 'Run slow now' }).click();
    // While it runs: the percentage, files done of all, bytes done of all, the current rate and an ETA.
    const progress = /(\d+)% · (\d+)\/4 files · [\d.]+ (B|KiB|MiB) of 2\.0 MiB · [\d.]+ (B|KiB|MiB)\/s · ETA /;
    const seen = await waitFor('slow to show its progress', async () => {
      const shown = await text(card('slow'));
      const match = progress.exec(shown);
      return match && Number(match[1]) > 0 && Number(match[1]) < 100 ? shown : undefined;
    });
    expect(seen).toContain('syncing');
    expect(seen).not.toContain('never synced');
    expect(seen).toMatch(/ETA \d+(\.\d)? s|ETA \d+ min/);
    await shot('admin-syncing');
    await waitFor('slow to be current', async () => ((await text(card('slow'))).includes('current') ? true : undefined));
  });

  it('shows the next scheduled run and every time with its zone', async () => {
    await open();
    const planned = await waitFor('a planned run of photos', () => runtime.plannedRun('photos') ?? undefined);
    expect(planned.why).toBe('schedule');
    const next = card('photos').locator('[data-fact="next-run"] dd');
    await waitFor('the next run on the page', async () => ((await text(next)).includes(kolkata(runtime.plannedRun('photos')!.at)) ? true : undefined));
    expect(await text(next)).toMatch(/\+05:30 \(in \d+ (s|min)\)/);
    const photosRow = store.getConduit('photos')!;
    expect(await text(card('photos').locator('[data-fact="last-sync"] dd'))).toContain(kolkata(photosRow.lastSyncCompletedAt!));
    // A manual conduit has no next run, and says why.
    expect(await text(card('big').locator('[data-fact="next-run"] dd'))).toBe('only when asked');

    await page.getByRole('button', { name: 'Show history of photos' }).click();
    const first = store.getGeneration(photosRow.id, 1)!;
    const started = page.locator('#history tbody tr[data-generation="1"] td').nth(1);
    await started.waitFor();
    expect(await text(started)).toBe(kolkata(first.startedAt));
    // ICU may name the zone by its older alias.
    expect(await page.locator('#zone-note').textContent()).toMatch(/Asia\/(Kolkata|Calcutta) \(UTC\+05:30\)/);
    await shot('admin-next-run');
  });

  it('plots files, bytes and duration per generation with axes and a tooltip per point', async () => {
    await open();
    await page.getByRole('button', { name: 'Show history of photos' }).click();
    const generations = store.listGenerations(store.getConduit('photos')!.id, { limit: 40 }).filter((g) => g.completedAt !== null);
    expect(generations.length).toBeGreaterThanOrEqual(3);
    for (const series of ['files', 'bytes', 'duration']) {
      const group = page.locator(`#chart [data-series="${series}"]`);
      await group.waitFor();
      expect(await group.locator('circle.point').count()).toBe(generations.length);
      // A value axis with three ticks (0, half, max).
      expect(await group.locator('text.tick').count()).toBe(3);
    }
    expect(await page.locator('#chart text.generation-tick').allTextContents()).toEqual(generations.map((g) => `#${g.generation}`).reverse());
    // Generation 2 copied one 90,000-byte file.
    const point = page.locator('#chart [data-series="bytes"] circle.point[data-generation="2"]');
    await point.hover();
    const tooltip = page.locator('#chart-tooltip');
    await tooltip.waitFor({ state: 'visible' });
    const tip = await text(tooltip);
    expect(tip).toContain('Bytes transferred: 88 KiB');
    expect(tip).toContain('generation 2');
    expect(tip).toContain(': 1 file, 88 KiB,');
    expect(tip).toContain('+05:30');
    expect(await point.locator('title').textContent()).toBe(tip);
    await shot('admin-chart');
  });

  it('counts a generation\'s events, searches them by path, filters them by action and pages through them', async () => {
    await open();
    await page.getByRole('button', { name: 'Show history of big' }).click();
    await page.getByRole('button', { name: 'Open generation 1' }).click();
    const total = page.locator('#event-total');
    await waitFor('the total', async () => ((await text(total)) === '330 events in this generation' ? true : undefined));
    expect(await page.locator('#events tbody tr[data-action]').count()).toBe(100);
    expect(await text(page.locator('#events-page'))).toBe('1–100 of 330');

    await page.getByRole('button', { name: 'Next events →' }).click();
    await waitFor('page 2', async () => ((await text(page.locator('#events-page'))) === '101–200 of 330' ? true : undefined));

    await page.getByLabel('Search events by path').fill('dir-07/');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await waitFor('the search', async () => ((await text(total)).startsWith('10 events match') ? true : undefined));
    const paths = await page.locator('#events tbody tr[data-action] td:nth-child(3)').allTextContents();
    expect(paths.sort()).toEqual(Array.from({ length: 10 }, (_, f) => `dir-07/file-${f}.txt`));
    expect(await text(page.locator('#events-page'))).toBe('1–10 of 10');

    await page.getByLabel('Search events by path').fill('dir-0');
    await page.getByLabel('Filter events by action').selectOption('mkdir');
    await waitFor('mkdir of dir-0*', async () => ((await text(total)).startsWith('10 events match (mkdir events with “dir-0” in the path)') ? true : undefined));
    await shot('admin-events');
  });

  it('shows a conflict\'s real folders, sizes and times, and a diff of the two texts', async () => {
    await open();
    const conflict = page.locator('#conflicts [data-conflict]', { hasText: 'docs/plan.txt' });
    await conflict.waitFor();
    const shown = await conflict.innerText();
    expect(shown).toContain(`${notes.source}/docs`);
    expect(shown).toContain(`${notes.target}/docs`);
    const record = store.listConflicts({ conduit: 'notes' })[0]!;
    expect(shown).toContain(`file, ${record.source!.size} B, modified ${kolkata(record.source!.mtime)}`);
    expect(shown).toContain(`file, ${record.target!.size} B, modified ${kolkata(record.target!.mtime)}`);
    await conflict.getByRole('button', { name: 'Show diff of docs/plan.txt' }).click();
    const diff = conflict.getByLabel('Diff of docs/plan.txt', { exact: true });
    await diff.waitFor();
    const lines = (await text(diff)).split('\n');
    expect(lines).toContain('− the source version');
    expect(lines).toContain('+ the target version, edited');
    expect(lines).toContain('  line two');
    await shot('admin-conflict-diff');
  });

  it('adds, edits, pauses, resumes and removes a conduit from the page, with the API\'s one-line errors inline', async () => {
    const made = folder({ 'k.txt': 'k' });
    await open();
    await page.getByRole('button', { name: 'Add conduit' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add conduit' });
    await dialog.getByLabel('Name').fill('added');
    await dialog.getByLabel('Source folder').fill('relative/source');
    await dialog.getByLabel('Target folder').fill(made.target);
    await dialog.getByLabel('Schedule').fill('manual');
    await dialog.getByRole('button', { name: 'Save' }).click();
    const error = dialog.getByRole('alert');
    await error.waitFor();
    expect(await text(error)).toBe('source: expected an absolute path, got "relative/source"');
    expect(await dialog.getByLabel('Source folder').getAttribute('aria-invalid')).toBe('true');
    expect(store.getConduit('added')).toBeUndefined();
    await shot('admin-settings-error');

    await dialog.getByLabel('Source folder').fill(made.source);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await card('added').waitFor();
    expect(store.getConduit('added')).toMatchObject({ source: made.source, target: made.target, schedule: 'manual', mode: 'mirror' });

    await page.getByRole('button', { name: 'Edit added' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit added' });
    await edit.getByLabel('Schedule').fill('every tuesday');
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.getByRole('alert').waitFor();
    expect(await text(edit.getByRole('alert'))).toMatch(/^schedule: expected .*, got "every tuesday"/);
    expect(store.getConduit('added')!.schedule).toBe('manual');
    await edit.getByLabel('Schedule').fill('interval:10m');
    await edit.getByRole('button', { name: 'Save' }).click();
    await waitFor('the new schedule', () => (store.getConduit('added')!.schedule === 'interval:10m' ? true : undefined));
    await waitFor('the card to say it', async () => ((await text(card('added'))).includes('interval:10m') ? true : undefined));

    await page.getByRole('button', { name: 'Pause added' }).click();
    await waitFor('paused', async () => ((await text(card('added'))).includes('paused') ? true : undefined));
    expect(store.getConduit('added')!.enabled).toBe(false);
    await shot('admin-settings');
    await page.getByRole('button', { name: 'Resume added' }).click();
    await waitFor('resumed', () => (store.getConduit('added')!.enabled ? true : undefined));

    await page.getByRole('button', { name: 'Remove added' }).click();
    const remove = page.getByRole('dialog', { name: 'Remove added?' });
    expect(await remove.innerText()).toContain(made.source);
    await remove.getByRole('button', { name: 'Remove' }).click();
    await card('added').waitFor({ state: 'detached' });
    expect(store.getConduit('added')).toBeUndefined();
    // The folders are never touched.
    expect(readFileSync(join(made.source, 'k.txt'), 'utf8')).toBe('k');
  });

  it('browses the versions `versioning` kept and restores one', async () => {
    expect(readFileSync(join(kept.target, 'doc.txt'), 'utf8')).toBe('version two, longer\n');
    await open();
    await page.getByRole('button', { name: 'Versions of kept' }).click();
    const row = page.locator('#versions tbody tr[data-path="doc.txt"]');
    await row.waitFor();
    const keptAt = await row.getAttribute('data-kept-at');
    const cells = await row.locator('td').allTextContents();
    expect(cells.slice(0, 4)).toEqual(['doc.txt', 'target', kolkata(keptAt!), '12 B']);
    expect(cells[4]!.startsWith(`${kept.target}/.conduit-versions/doc.`)).toBe(true);
    expect(cells[4]).toMatch(/\/doc\.\d{8}T\d{6}Z(-\d+)?\.txt$/);
    // A prefix that matches nothing says so.
    await page.getByLabel('Path or folder').fill('elsewhere/');
    await page.getByRole('button', { name: 'Show versions' }).click();
    await page.getByText('No kept version of “elsewhere/”.').waitFor();
    await page.getByLabel('Path or folder').fill('doc.txt');
    await page.getByRole('button', { name: 'Show versions' }).click();
    await row.waitFor();
    await shot('admin-versions');

    await row.getByRole('button', { name: `Restore doc.txt as kept at ${kolkata(keptAt!)}` }).click();
    await waitFor('version one back on the target', () =>
      readFileSync(join(kept.target, 'doc.txt'), 'utf8') === 'version one\n' ? true : undefined);
    await page.locator('#notice', { hasText: 'kept: doc.txt restored to the version kept at' }).waitFor();
    // What the restore replaced is kept in turn, and listed.
    await waitFor('two versions listed', async () => (await page.locator('#versions tbody tr').count()) === 2 ? true : undefined);
  });

  it('holds at 420 px (no horizontal scroll; tables scroll inside their cards) and follows prefers-color-scheme: dark', async () => {
    await page.setViewportSize({ width: 420, height: 900 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await open();
    await page.getByRole('button', { name: 'Show history of big' }).click();
    await page.getByRole('button', { name: 'Open generation 1' }).click();
    await page.locator('#events tbody tr[data-action]').first().waitFor();
    const widths = await page.evaluate(() => {
      const doc = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document;
      return { scroll: doc.documentElement.scrollWidth, client: doc.documentElement.clientWidth };
    });
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    expect(widths.client).toBeLessThanOrEqual(420);
    // Every card stays inside the viewport.
    for (const box of await page.locator('#conduits [data-conduit], section').evaluateAll((elements) =>
      elements.map((e) => (e as unknown as { getBoundingClientRect(): { right: number } }).getBoundingClientRect().right))) {
      expect(box).toBeLessThanOrEqual(420);
    }
    const background = await page.evaluate(() => {
      const g = globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string }; document: { body: unknown } };
      return g.getComputedStyle(g.document.body).backgroundColor;
    });
    expect(background).toBe('rgb(18, 21, 28)');
    // The events table is wider than the screen: it scrolls inside its card.
    const wrap = await page.locator('#events').evaluate((table) => {
      const parent = (table as unknown as { parentElement: { scrollWidth: number; clientWidth: number } }).parentElement;
      return { scroll: parent.scrollWidth, client: parent.clientWidth };
    });
    expect(wrap.scroll).toBeGreaterThan(wrap.client);
    await shot('admin-narrow-dark-events', false);
    await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
    await shot('admin-narrow-dark', false);
  });
});
