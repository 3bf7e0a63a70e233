// @ts-check
/**
 * conduit's admin page: is everything fine, and what happened? The conduits
 * with their folders and a state that says why; live progress; the history
 * of a conduit as a chart and a table; a generation's events, searchable;
 * conflicts with both sides' folders and a diff; settings (add, edit, pause,
 * remove); the versions `versioning` kept. All from the JSON API on the same
 * origin. Plain DOM, no framework, no external resource. Text from the API
 * only ever becomes text nodes (never HTML), since paths and messages come
 * from the synced folders.
 *
 * Times are shown in the browser's zone with its offset (`2026-12-01
 * 16:09:16 +05:30`); the full UTC instant is in the tooltip.
 *
 * The API token: reads need none on a loopback bind; every change does. The
 * page takes it from `#token=…` in its address once (then removes it from
 * the address bar) or asks for it in a dialog the first time a request is
 * refused, and keeps it in this tab's sessionStorage.
 */

/** @typedef {{ dir: string, keepDays: number }} Versioning */
/** @typedef {{ name: string, mode: string, schedule: string, enabled: boolean, state: string, lastSyncCompletedAt: string | null, syncGeneration: number, lastSyncError: string | null, totalSyncs: number, filesSynced: number, bytesTransferred: number, source: string, target: string, include: string[], exclude: string[], conflict: string, maxDeletePercent: number, versioning: Versioning | null, pendingPaths?: number, managedBy?: string | null, attemptCount?: number, nextAttemptAt?: string | null, offlineHints?: number }} Conduit */
/** @typedef {{ at: string, why: string }} PlannedRun */
/** @typedef {{ generation: number, status: string, verificationStatus: string, startedAt: string, completedAt: string | null, errorMessage: string | null }} LastGeneration */
/** @typedef {{ conduit: string, generation: number, trigger: string, startedAt: string, actionsDone: number, actionsTotal: number, bytesDone: number, bytesTotal: number, rate: number, percent?: number | null, currentRate?: number, etaSeconds?: number | null }} Running */
/** @typedef {{ name: string, nextRun: PlannedRun | null, heldElsewhere: string | null, openConflicts: number, lastGeneration: LastGeneration | null, running: Running | null, unreachable?: { reason: string, attemptCount: number, nextAttemptAt: string | null } | null }} Overview */
/** @typedef {{ path: string, op: string, message: string }} GenerationError */
/** @typedef {{ conduit: string, generation: number, status: string, trigger: string, dryRun: boolean, startedAt: string, completedAt: string | null, filesCopied: number, filesDeleted: number, dirsCreated: number, dirsDeleted: number, conflicts: number, conflictsResolved: number, bytesTransferred: number, errors: GenerationError[], verificationStatus: string, repeatCount?: number, lastRepeatedAt?: string | null }} Generation */
/** @typedef {{ side: string | null, path: string, action: string, bytes: number, message: string | null }} GenerationEvent */
/** @typedef {{ kind: string, size: number, mtime: string }} EntrySummary */
/** @typedef {{ id: number, conduit: string, path: string, kind: string, severity: string, resolution: string, generation: number, detectedAt: string, source: EntrySummary | null, target: EntrySummary | null, conflictCopy: string | null }} Conflict */
/** @typedef {{ root: string, path: string, folder: string, recorded: EntrySummary | null, current: EntrySummary | null }} SideDetail */
/** @typedef {{ op: string, text: string }} DiffLine */
/** @typedef {{ source: SideDetail, target: SideDetail, diff: { lines: DiffLine[], truncated: boolean, identical: boolean } | null, diffUnavailable: string | null }} ConflictDetail */
/** @typedef {{ path: string, side: string, versionPath: string, keptAt: string, size: number }} KeptVersion */

const TOKEN_KEY = 'conduit-api-token';
const HISTORY_PAGE = 15;
const CHART_GENERATIONS = 40;
const EVENTS_PAGE = 100;

const state = {
  /** @type {Conduit[]} */ conduits: [],
  /** @type {Map<string, Overview>} */ overview: new Map(),
  /** @type {Map<string, Running>} */ running: new Map(),
  /** @type {Conflict[]} */ conflicts: [],
  /** @type {string | null} */ selected: null,
  /** `before` of each history page shown so far; the last is the current page (null: newest). @type {(number | null)[]} */
  historyPages: [null],
  /** @type {{ conduit: string, generation: number, action: string, path: string, offset: number, total: number } | null} */ generation: null,
  /** The conduit the settings dialog edits; null: it adds one. @type {Conduit | null} */ editing: null,
};

// ---------------------------------------------------------------- DOM helpers

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string | number | boolean | undefined | ((event: Event) => void)>} [attributes]
 * @param {(Node | string | number | null | undefined)[]} children
 * @returns {HTMLElementTagNameMap[K]}
 */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(key.replace(/^on/, ''), value);
    else if (key === 'className') element.className = String(value);
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    element.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return element;
}

/** @param {string} id */
function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`admin page: #${id} is missing`);
  return element;
}

/** @param {string} id */
const inputById = (id) => /** @type {HTMLInputElement} */ (byId(id));

/** @param {string} selector */
function tbodyOf(selector) {
  const body = document.querySelector(`${selector} tbody`);
  if (!body) throw new Error(`admin page: ${selector} has no tbody`);
  return /** @type {HTMLTableSectionElement} */ (body);
}

// ---------------------------------------------------------------- formatting

/** @param {number} bytes */
function formatBytes(bytes) {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** @param {number} n */
const formatCount = (n) => n.toLocaleString('en');

/** @param {number} n @param {string} one @param {string} [many] */
const plural = (n, one, many = `${one}s`) => `${formatCount(n)} ${n === 1 ? one : many}`;

/** The browser's offset from UTC at `date`, as `+05:30` / `-08:00` / `+00:00`. @param {Date} date */
function zoneOffset(date) {
  const minutes = -date.getTimezoneOffset();
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** Local date and time with the zone's offset: `2026-12-01 16:09:16 +05:30`. @param {string | null} iso */
function formatTime(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  const pad = (/** @type {number} */ n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())} ${zoneOffset(date)}`;
}

/** A time element: the local time with its offset shown, the UTC instant as its tooltip. @param {string | null} iso @param {string} [prefix] */
function timeView(iso, prefix = '') {
  if (!iso) return h('span', { className: 'muted' }, `${prefix}—`);
  return h('time', { datetime: iso, title: `${iso} (UTC)` }, `${prefix}${formatTime(iso)}`);
}

/** @param {string | null} iso */
function formatAgo(iso) {
  if (!iso) return 'never';
  const seconds = (Date.now() - Date.parse(iso)) / 1000;
  const future = seconds < 0;
  const s = Math.abs(seconds);
  const span = s < 60 ? `${Math.round(s)} s` : s < 3600 ? `${Math.floor(s / 60)} min` : s < 86400 ? `${Math.floor(s / 3600)} h` : `${Math.floor(s / 86400)} d`;
  if (s < 5) return future ? 'now' : 'just now';
  return future ? `in ${span}` : `${span} ago`;
}

/** @param {number} ms */
function formatMs(ms) {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** @param {string} startedAt @param {string | null} completedAt */
function durationMs(startedAt, completedAt) {
  if (!completedAt) return NaN;
  return Date.parse(completedAt) - Date.parse(startedAt);
}

/** @param {string} startedAt @param {string | null} completedAt */
const formatDuration = (startedAt, completedAt) => formatMs(durationMs(startedAt, completedAt));

/** @param {string} text @param {'ok' | 'warn' | 'bad' | 'info' | ''} tone @param {string} [title] */
function badge(text, tone, title) {
  return h('span', { className: `badge ${tone}`, title }, text);
}

/** @param {string} status */
function statusBadge(status) {
  /** @type {Record<string, 'ok' | 'warn' | 'bad' | 'info'>} */
  const tones = { completed: 'ok', completed_with_errors: 'warn', interrupted: 'warn', failed: 'bad', refused: 'bad', running: 'info' };
  return badge(status.replace(/_/g, ' '), tones[status] ?? '');
}

/** The reason of a failed verification, shown in full (not only on hover). @param {string} verification */
function verificationView(verification) {
  if (verification === 'verified') return badge('✓ verified', 'ok');
  if (verification === 'waiting_watcher') return badge('waiting for watcher', 'info');
  if (verification.startsWith('failed:')) {
    return h('span', { className: 'verification-failed' }, badge('✗ failed', 'bad'), ' ', h('span', { className: 'reason' }, verification.slice('failed:'.length)));
  }
  return badge(verification, '');
}

/** @param {string} text @param {number} length */
function truncate(text, length) {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

// ---------------------------------------------------------------- notices

let noticeTimer = 0;
/** @param {string} message @param {boolean} [isError] */
function notify(message, isError = false) {
  const notice = byId('notice');
  notice.textContent = message;
  notice.classList.toggle('error', isError);
  notice.hidden = false;
  window.clearTimeout(noticeTimer);
  if (!isError) noticeTimer = window.setTimeout(() => { notice.hidden = true; }, 6000);
}

// ---------------------------------------------------------------- the token and the API

function takeTokenFromAddress() {
  const match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (!match || !match[1]) return;
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
  // Out of the address bar, the history and any bookmark.
  history.replaceState(null, '', window.location.pathname + window.location.search);
}

const getToken = () => sessionStorage.getItem(TOKEN_KEY);

/** Opens the token dialog; resolves with the token saved, or null when cancelled. @returns {Promise<string | null>} */
function askForToken() {
  const dialog = /** @type {HTMLDialogElement} */ (byId('token-dialog'));
  const input = inputById('token-input');
  input.value = getToken() ?? '';
  return new Promise((resolve) => {
    /** @param {string | null} token */
    const finish = (token) => {
      save.removeEventListener('click', onSave);
      cancel.removeEventListener('click', onCancel);
      input.removeEventListener('keydown', onKey);
      dialog.removeEventListener('cancel', onCancel);
      if (dialog.open) dialog.close();
      resolve(token);
    };
    const save = byId('token-save');
    const cancel = byId('token-cancel');
    const onSave = () => {
      const token = input.value.trim();
      if (token === '') return;
      sessionStorage.setItem(TOKEN_KEY, token);
      updateTokenButton();
      finish(token);
    };
    const onCancel = () => finish(null);
    /** @param {KeyboardEvent} event */
    const onKey = (event) => {
      if (event.key === 'Enter') onSave();
    };
    save.addEventListener('click', onSave);
    cancel.addEventListener('click', onCancel);
    input.addEventListener('keydown', onKey);
    dialog.addEventListener('cancel', onCancel);
    dialog.showModal();
    input.focus();
  });
}

function updateTokenButton() {
  byId('token-button').textContent = getToken() ? 'Change API token' : 'Set API token';
}

class ApiError extends Error {
  /** @param {number} status @param {string} message @param {string | undefined} field */
  constructor(status, message, field) {
    super(message);
    this.status = status;
    this.field = field;
  }
}

/**
 * One API call. A 401 opens the token dialog and, with a token given, tries once more.
 * @param {string} path
 * @param {{ method?: string, body?: unknown }} [options]
 * @returns {Promise<any>}
 */
async function api(path, options = {}) {
  for (let attempt = 0; ; attempt++) {
    /** @type {Record<string, string>} */
    const headers = { accept: 'application/json' };
    const token = getToken();
    if (token) headers['authorization'] = `Bearer ${token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    if (response.status === 401 && attempt === 0) {
      const given = await askForToken();
      if (given) continue;
    }
    const payload = await response.json().catch(() => null);
    if (!response.ok) {
      const message = payload && typeof payload.error === 'string' ? payload.error : `${response.status} ${response.statusText}`;
      const field = payload && typeof payload.field === 'string' ? payload.field : undefined;
      throw new ApiError(response.status, field ? `${field}: ${message}` : message, field);
    }
    return payload;
  }
}

/** Runs an action, reporting its failure on the page instead of dropping it. @param {() => Promise<unknown>} action */
async function reporting(action) {
  try {
    await action();
  } catch (error) {
    notify(error instanceof Error ? error.message : String(error), true);
  }
}

/** @param {string} name */
const conduitPath = (name) => `/api/conduits/${encodeURIComponent(name)}`;

// ---------------------------------------------------------------- conduits and their state

async function loadConduits() {
  const [conduits, overview] = await Promise.all([api('/api/conduits'), api('/api/overview')]);
  state.conduits = /** @type {Conduit[]} */ (conduits);
  state.overview = new Map(/** @type {Overview[]} */ (overview.conduits).map((o) => [o.name, o]));
  for (const o of state.overview.values()) {
    if (o.running && !state.running.has(o.name)) state.running.set(o.name, o.running);
  }
  renderConduits();
}

/**
 * What a person needs to know of a conduit at a glance: one word and the
 * reason beside it. Order matters: a running generation says more than the
 * last one; a root that is gone, a failure, open conflicts and pending paths
 * each keep "current" from being said.
 * @param {Conduit} conduit
 * @returns {{ label: string, tone: 'ok' | 'warn' | 'bad' | 'info' | '', reason: string }}
 */
function conduitState(conduit) {
  const overview = state.overview.get(conduit.name);
  const running = state.running.get(conduit.name) ?? overview?.running ?? null;
  const pending = conduit.pendingPaths ?? 0;
  const last = overview?.lastGeneration ?? null;
  const conflicts = overview?.openConflicts ?? 0;
  if (running) return { label: 'syncing', tone: 'info', reason: progressText(running) };
  if (!conduit.enabled || conduit.state === 'disabled') return { label: 'paused', tone: '', reason: 'disabled: no schedule, no watcher; Resume to sync again' };
  if (conduit.state === 'unreachable') {
    // Issue 10: a remote root's host did not answer; conduit tries again by itself with a growing wait.
    const attempts = conduit.attemptCount ?? overview?.unreachable?.attemptCount ?? 0;
    const next = conduit.nextAttemptAt ?? overview?.unreachable?.nextAttemptAt ?? null;
    const retry = attempts > 0 ? ` — attempt ${formatCount(attempts)}${next ? `, next at ${formatTime(next)}` : ''}` : '';
    const kept = (conduit.offlineHints ?? 0) > 0 ? `; ${plural(conduit.offlineHints ?? 0, 'change')} kept for when it answers` : '';
    return { label: 'unreachable', tone: 'bad', reason: `${conduit.lastSyncError ?? 'the host could not be reached'}${retry}${kept}` };
  }
  if (conduit.state === 'waiting_for_source') return { label: 'unreachable', tone: 'bad', reason: conduit.lastSyncError ?? 'a root is missing; it syncs by itself when the root is back' };
  // Another process (a `conduit run`, another serve) holds its generation lease: syncing there, or about to.
  if (overview?.heldElsewhere) {
    return conduit.state === 'syncing'
      ? { label: 'syncing', tone: 'info', reason: `in another process: ${overview.heldElsewhere}` }
      : { label: 'waiting', tone: 'info', reason: `another process runs it: ${overview.heldElsewhere}` };
  }
  if (conduit.state === 'syncing') return { label: 'syncing', tone: 'info', reason: 'a generation is running' };
  if (conduit.state === 'failed') return { label: 'failed', tone: 'bad', reason: conduit.lastSyncError ?? last?.errorMessage ?? 'the last generation failed' };
  if (last && last.verificationStatus.startsWith('failed:')) {
    return { label: 'failed', tone: 'bad', reason: `verification of generation ${last.generation} failed: ${last.verificationStatus.slice('failed:'.length)}` };
  }
  if (conflicts > 0) return { label: 'conflicts open', tone: 'warn', reason: `${plural(conflicts, 'conflict')} wait${conflicts === 1 ? 's' : ''} for a decision (below)` };
  if (pending > 0 || conduit.state === 'pending') {
    return { label: 'out of sync', tone: 'warn', reason: pending > 0 ? `${plural(pending, 'path')} pending: not landed yet, the next generation retries` : 'paths pending: not landed yet, the next generation retries' };
  }
  if (last && last.status === 'completed_with_errors') return { label: 'out of sync', tone: 'warn', reason: last.errorMessage ?? `generation ${last.generation} ended with errors` };
  if (overview?.nextRun?.why === 'retry') return { label: 'waiting', tone: 'info', reason: `retrying at ${formatTime(overview.nextRun.at)}` };
  if (conduit.state === 'never_synced' || conduit.syncGeneration === 0) {
    return { label: 'never synced', tone: '', reason: overview?.nextRun ? `first sync at ${formatTime(overview.nextRun.at)}` : 'no generation yet: press Run now' };
  }
  return { label: 'current', tone: 'ok', reason: `in sync since ${formatTime(conduit.lastSyncCompletedAt)}` };
}

/** `42% · 12/40 files · 3.1 MiB of 7.5 MiB · 1.2 MiB/s · ETA 4 s` @param {Running} running */
function progressText(running) {
  if (running.actionsTotal === 0 && running.bytesTotal === 0) return `generation ${running.generation}: scanning…`;
  const percent = running.percent ?? (running.bytesTotal > 0 ? (100 * running.bytesDone) / running.bytesTotal : (100 * running.actionsDone) / running.actionsTotal);
  const rate = running.currentRate ?? running.rate;
  const eta = running.etaSeconds;
  return [
    `${Math.floor(percent)}%`,
    `${formatCount(running.actionsDone)}/${formatCount(running.actionsTotal)} files`,
    `${formatBytes(running.bytesDone)} of ${formatBytes(running.bytesTotal)}`,
    `${formatBytes(rate)}/s`,
    `ETA ${eta === null || eta === undefined ? '—' : formatMs(eta * 1000)}`,
  ].join(' · ');
}

/** @param {Running} running */
function progressBar(running) {
  const fraction = running.bytesTotal > 0 ? running.bytesDone / running.bytesTotal : running.actionsTotal > 0 ? running.actionsDone / running.actionsTotal : 0;
  return h('progress', { max: 1, value: fraction, 'aria-label': `generation ${running.generation} progress` });
}

/** @param {Conduit} conduit */
function nextRunText(conduit) {
  const overview = state.overview.get(conduit.name);
  if (!conduit.enabled) return h('span', { className: 'muted' }, 'paused');
  const next = overview?.nextRun ?? null;
  if (next) return h('span', {}, timeView(next.at), ` (${formatAgo(next.at)}${next.why === 'retry' ? ', retry' : ''})`);
  if (conduit.schedule === 'instant') return h('span', { className: 'muted' }, 'on every change');
  if (conduit.schedule === 'manual') return h('span', { className: 'muted' }, 'only when asked');
  return h('span', { className: 'muted' }, '—');
}

function renderConduits() {
  const container = byId('conduits');
  byId('zone-note').textContent = `times in ${Intl.DateTimeFormat().resolvedOptions().timeZone} (UTC${zoneOffset(new Date())})`;
  if (state.conduits.length === 0) {
    container.replaceChildren(h('p', { className: 'empty' }, 'No conduits yet: press “Add conduit”, or use conduit add or POST /api/conduits.'));
    return;
  }
  container.replaceChildren(...state.conduits.map(conduitCard));
}

/** @param {Conduit} conduit */
function conduitCard(conduit) {
  const selected = state.selected === conduit.name;
  const shown = conduitState(conduit);
  const running = state.running.get(conduit.name) ?? null;
  const managedBy = conduit.managedBy ?? null;
  const managedTitle = managedBy ? `managed by ${managedBy}: change it in that file` : undefined;
  /** @param {string} term @param {Node | string} value @param {string} [key] */
  const fact = (term, value, key) => h('div', { 'data-fact': key }, h('dt', {}, term), h('dd', {}, value));
  return h('article', { className: `conduit-card${selected ? ' selected' : ''}`, 'data-conduit': conduit.name, 'data-state': shown.label },
    h('header', { className: 'card-head' },
      h('button', {
        type: 'button', className: 'link conduit-name', 'aria-pressed': String(selected), 'aria-label': `Show history of ${conduit.name}`,
        onclick: () => reporting(() => selectConduit(conduit.name)),
      }, conduit.name),
      h('span', { className: 'mode' }, conduit.mode),
      badge(shown.label, shown.tone),
      managedBy ? h('span', { className: 'managed' }, `managed by ${managedBy}`) : null),
    h('div', { className: 'roots' },
      h('div', {}, h('span', { className: 'root-label' }, 'source'), h('code', { className: 'path', 'data-root': 'source' }, conduit.source)),
      h('div', {}, h('span', { className: 'root-label' }, 'target'), h('code', { className: 'path', 'data-root': 'target' }, conduit.target))),
    h('p', { className: `state-reason tone-${shown.tone || 'idle'}` }, shown.reason),
    h('div', { className: 'live-cell' }, running ? progressBar(running) : null),
    h('dl', { className: 'facts' },
      fact('Schedule', h('code', {}, conduit.schedule), 'schedule'),
      fact('Next run', nextRunText(conduit), 'next-run'),
      fact('Last sync', conduit.lastSyncCompletedAt ? h('span', {}, timeView(conduit.lastSyncCompletedAt), ` (${formatAgo(conduit.lastSyncCompletedAt)})`) : 'never', 'last-sync'),
      fact('Generations', formatCount(conduit.syncGeneration), 'generations'),
      fact('Files synced', formatCount(conduit.filesSynced), 'files'),
      fact('Bytes', formatBytes(conduit.bytesTransferred), 'bytes'),
      fact('Pending', formatCount(conduit.pendingPaths ?? 0), 'pending')),
    h('div', { className: 'actions' },
      h('button', {
        type: 'button', className: 'primary', disabled: !conduit.enabled, 'aria-label': `Run ${conduit.name} now`,
        title: conduit.enabled ? 'Start a generation now' : 'This conduit is paused',
        onclick: () => reporting(() => runNow(conduit.name)),
      }, 'Run now'),
      h('button', {
        type: 'button', disabled: managedBy !== null, title: managedTitle,
        'aria-label': `${conduit.enabled ? 'Pause' : 'Resume'} ${conduit.name}`,
        onclick: () => reporting(() => setEnabled(conduit, !conduit.enabled)),
      }, conduit.enabled ? 'Pause' : 'Resume'),
      h('button', { type: 'button', disabled: managedBy !== null, title: managedTitle, 'aria-label': `Edit ${conduit.name}`, onclick: () => openConduitDialog(conduit) }, 'Edit'),
      conduit.versioning ? h('button', { type: 'button', 'aria-label': `Versions of ${conduit.name}`, onclick: () => reporting(() => openVersions(conduit.name)) }, 'Versions') : null,
      h('button', { type: 'button', className: 'danger', disabled: managedBy !== null, title: managedTitle, 'aria-label': `Remove ${conduit.name}`, onclick: () => openRemoveDialog(conduit) }, 'Remove')));
}

/** Updates only the live parts of a card, so a burst of progress events does not rebuild buttons under the pointer. @param {string} name */
function renderLive(name) {
  const card = [...document.querySelectorAll('#conduits .conduit-card')].find((el) => el instanceof HTMLElement && el.dataset['conduit'] === name);
  const conduit = state.conduits.find((c) => c.name === name);
  if (!card || !conduit) return;
  const running = state.running.get(name) ?? null;
  const shown = conduitState(conduit);
  const badgeElement = card.querySelector('.card-head .badge');
  if (badgeElement) badgeElement.replaceWith(badge(shown.label, shown.tone));
  if (card instanceof HTMLElement) card.dataset['state'] = shown.label;
  const reason = card.querySelector('.state-reason');
  if (reason) {
    reason.textContent = shown.reason;
    reason.className = `state-reason tone-${shown.tone || 'idle'}`;
  }
  const cell = card.querySelector('.live-cell');
  if (cell) cell.replaceChildren(...(running ? [progressBar(running)] : []));
}

/** @param {string} name */
async function runNow(name) {
  const answer = await api(`${conduitPath(name)}/run`, { method: 'POST', body: {} });
  notify(answer.followsRunningGeneration ? `${name}: a generation is running; another one will follow it.` : `${name}: generation requested.`);
}

/** Pause / resume: the API's PATCH {enabled}, as `conduit disable` / `enable`. @param {Conduit} conduit @param {boolean} enabled */
async function setEnabled(conduit, enabled) {
  await api(conduitPath(conduit.name), { method: 'PATCH', body: { enabled } });
  notify(`${conduit.name} ${enabled ? 'resumed' : 'paused'}.`);
  await loadConduits();
}

// ---------------------------------------------------------------- settings: add, edit, remove

/** @param {Conduit | null} conduit null: a new one */
function openConduitDialog(conduit) {
  state.editing = conduit;
  const dialog = /** @type {HTMLDialogElement} */ (byId('conduit-dialog'));
  byId('conduit-dialog-title').textContent = conduit ? `Edit ${conduit.name}` : 'Add conduit';
  inputById('f-name').value = conduit?.name ?? '';
  inputById('f-source').value = conduit?.source ?? '';
  inputById('f-target').value = conduit?.target ?? '';
  /** @type {HTMLSelectElement} */ (byId('f-mode')).value = conduit?.mode ?? 'mirror';
  inputById('f-schedule').value = conduit?.schedule ?? 'instant';
  /** @type {HTMLSelectElement} */ (byId('f-conflict')).value = conduit?.conflict ?? 'keep-both';
  /** @type {HTMLTextAreaElement} */ (byId('f-include')).value = (conduit?.include ?? []).join('\n');
  /** @type {HTMLTextAreaElement} */ (byId('f-exclude')).value = (conduit?.exclude ?? []).join('\n');
  inputById('f-max-delete').value = conduit ? String(conduit.maxDeletePercent) : '';
  inputById('f-versioning').value = conduit?.versioning?.dir ?? '';
  inputById('f-enabled').checked = conduit?.enabled ?? true;
  showFormError(null);
  syncConflictField();
  dialog.showModal();
  inputById(conduit ? 'f-source' : 'f-name').focus();
}

function syncConflictField() {
  const bidirectional = /** @type {HTMLSelectElement} */ (byId('f-mode')).value === 'bidirectional';
  /** @type {HTMLSelectElement} */ (byId('f-conflict')).disabled = !bidirectional;
}

/** @param {string} text */
const lines = (text) => text.split('\n').map((line) => line.trim()).filter((line) => line !== '');

/**
 * The form as the API's conduit input. Editing sends only what changed, so
 * that what the user did not touch is validated as stored.
 * @returns {Record<string, unknown>}
 */
function formBody() {
  const editing = state.editing;
  const mode = /** @type {HTMLSelectElement} */ (byId('f-mode')).value;
  /** @type {Record<string, unknown>} */
  const all = {
    name: inputById('f-name').value.trim(),
    source: inputById('f-source').value.trim(),
    target: inputById('f-target').value.trim(),
    mode,
    schedule: inputById('f-schedule').value.trim(),
    include: lines(/** @type {HTMLTextAreaElement} */ (byId('f-include')).value),
    exclude: lines(/** @type {HTMLTextAreaElement} */ (byId('f-exclude')).value),
    enabled: inputById('f-enabled').checked,
  };
  if (mode === 'bidirectional') all['conflict'] = /** @type {HTMLSelectElement} */ (byId('f-conflict')).value;
  const maxDelete = inputById('f-max-delete').value.trim();
  // Given as typed: the server's validation names a bad number (a whole number from 0 to 100).
  if (maxDelete !== '') all['maxDeletePercent'] = /^-?[0-9]+(\.[0-9]+)?$/.test(maxDelete) ? Number(maxDelete) : maxDelete;
  const versionsDir = inputById('f-versioning').value.trim();
  if (!editing) {
    if (versionsDir !== '') all['versioning'] = { dir: versionsDir, keepDays: 30 };
    return all;
  }
  /** @type {Record<string, unknown>} */
  const patch = {};
  for (const [key, value] of Object.entries(all)) {
    const before = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (editing))[key];
    if (JSON.stringify(before) !== JSON.stringify(value)) patch[key] = value;
  }
  const versioningBefore = editing.versioning?.dir ?? '';
  if (versionsDir !== versioningBefore) patch['versioning'] = versionsDir === '' ? null : { dir: versionsDir, keepDays: editing.versioning?.keepDays ?? 30 };
  return patch;
}

/** The server's one-line error, inline in the dialog, its field marked. @param {ApiError | Error | null} error */
function showFormError(error) {
  const box = byId('conduit-form-error');
  for (const marked of document.querySelectorAll('#conduit-form [aria-invalid]')) marked.removeAttribute('aria-invalid');
  if (!error) {
    box.hidden = true;
    box.textContent = '';
    return;
  }
  box.textContent = error.message;
  box.hidden = false;
  const field = error instanceof ApiError ? error.field : undefined;
  const name = field ? field.replace(/[.[].*$/, '') : '';
  const input = name ? document.querySelector(`#conduit-form [name="${CSS.escape(name)}"]`) : null;
  if (input instanceof HTMLElement) {
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  }
}

async function saveConduit() {
  const editing = state.editing;
  const body = formBody();
  const save = /** @type {HTMLButtonElement} */ (byId('conduit-save'));
  save.disabled = true;
  try {
    if (editing && Object.keys(body).length === 0) {
      /** @type {HTMLDialogElement} */ (byId('conduit-dialog')).close();
      return;
    }
    const row = editing
      ? await api(conduitPath(editing.name), { method: 'PATCH', body })
      : await api('/api/conduits', { method: 'POST', body });
    /** @type {HTMLDialogElement} */ (byId('conduit-dialog')).close();
    notify(editing ? `${row.name} saved.` : `${row.name} added.`);
    if (editing && state.selected === editing.name) state.selected = row.name;
    await loadConduits();
  } catch (error) {
    showFormError(error instanceof Error ? error : new Error(String(error)));
  } finally {
    save.disabled = false;
  }
}

/** @type {Conduit | null} */
let removing = null;

/** @param {Conduit} conduit */
function openRemoveDialog(conduit) {
  removing = conduit;
  byId('remove-dialog-title').textContent = `Remove ${conduit.name}?`;
  byId('remove-text').textContent = `conduit forgets ${conduit.name}, its history and its conflicts. The folders ${conduit.source} and ${conduit.target} and their files are not touched.`;
  const error = byId('remove-error');
  error.hidden = true;
  /** @type {HTMLDialogElement} */ (byId('remove-dialog')).showModal();
  byId('remove-cancel').focus();
}

async function confirmRemove() {
  const conduit = removing;
  if (!conduit) return;
  try {
    await api(conduitPath(conduit.name), { method: 'DELETE' });
    /** @type {HTMLDialogElement} */ (byId('remove-dialog')).close();
    notify(`${conduit.name} removed; its folders were not touched.`);
    if (state.selected === conduit.name) {
      state.selected = null;
      byId('history-section').hidden = true;
      byId('generation-section').hidden = true;
      byId('versions-section').hidden = true;
    }
    await Promise.all([loadConduits(), loadConflicts()]);
  } catch (error) {
    const box = byId('remove-error');
    box.textContent = error instanceof Error ? error.message : String(error);
    box.hidden = false;
  }
}

// ---------------------------------------------------------------- history

/** @param {string} name */
async function selectConduit(name) {
  state.selected = name;
  state.historyPages = [null];
  state.generation = null;
  byId('generation-section').hidden = true;
  renderConduits();
  await loadHistory();
  byId('history-section').scrollIntoView({ block: 'nearest' });
}

async function loadHistory() {
  const name = state.selected;
  if (!name) return;
  const before = state.historyPages[state.historyPages.length - 1] ?? null;
  const query = `limit=${HISTORY_PAGE}${before === null ? '' : `&before=${before}`}`;
  const [page, recent] = await Promise.all([
    api(`${conduitPath(name)}/generations?${query}`),
    api(`${conduitPath(name)}/generations?limit=${CHART_GENERATIONS}`),
  ]);
  if (state.selected !== name) return;
  byId('history-section').hidden = false;
  byId('history-heading').textContent = `History of ${name}`;
  renderHistory(/** @type {Generation[]} */ (page));
  renderChart(/** @type {Generation[]} */ (recent));
}

/** @param {Generation[]} generations */
function renderHistory(generations) {
  const body = tbodyOf('#history');
  if (generations.length === 0) {
    body.replaceChildren(h('tr', {}, h('td', { colspan: 10, className: 'empty' }, 'No generations yet: press “Run now”.')));
  } else {
    body.replaceChildren(...generations.map((g) => {
      const open = state.generation !== null && state.generation.conduit === g.conduit && state.generation.generation === g.generation;
      return h('tr', { className: open ? 'selected' : '', 'data-generation': g.generation },
        h('td', { className: 'num' },
          h('button', { type: 'button', className: 'link', 'aria-label': `Open generation ${g.generation}`, onclick: () => reporting(() => openGeneration(g.conduit, g.generation)) }, `#${g.generation}`)),
        h('td', { className: 'nowrap' }, timeView(g.startedAt)),
        h('td', {}, g.trigger),
        h('td', {}, statusBadge(g.status), g.dryRun ? ' ' : null, g.dryRun ? badge('dry run', 'info') : null, repeatsView(g)),
        h('td', { className: 'num' }, formatCount(g.filesCopied)),
        h('td', { className: 'num' }, formatCount(g.filesDeleted)),
        h('td', { className: 'num' }, g.conflicts > 0 ? h('strong', {}, formatCount(g.conflicts)) : '0'),
        h('td', { className: 'num' }, formatBytes(g.bytesTransferred)),
        h('td', { className: 'num' }, formatDuration(g.startedAt, g.completedAt)),
        h('td', {}, verificationView(g.verificationStatus)));
    }));
  }
  const newer = /** @type {HTMLButtonElement} */ (byId('history-newer'));
  const older = /** @type {HTMLButtonElement} */ (byId('history-older'));
  newer.disabled = state.historyPages.length <= 1;
  const last = generations[generations.length - 1];
  older.disabled = generations.length < HISTORY_PAGE || !last || last.generation <= 1;
  older.dataset['before'] = last ? String(last.generation) : '';
  const first = generations[0];
  byId('history-page').textContent = !first || !last ? '' : first === last ? `generation ${first.generation}` : `generations ${last.generation}–${first.generation}`;
}

/** A refusal repeated word for word is one record: "×22, last 2026-… +05:30". @param {Generation} g */
function repeatsView(g) {
  const times = g.repeatCount ?? 1;
  if (times <= 1) return null;
  return h('span', { className: 'repeats muted small' }, ` ×${formatCount(times)}, last `, timeView(g.lastRepeatedAt ?? null));
}

// ---------------------------------------------------------------- the history chart

const SVG_NS = 'http://www.w3.org/2000/svg';

/** @param {string} tag @param {Record<string, string | number>} attributes @param {string} [text] */
function svg(tag, attributes, text) {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

/**
 * A round maximum at or above `max` for an axis (its half is round too):
 * 1, 2, 5 or 10 times a power of ten — of the unit in which the value is
 * shown (`unit` 1024 for bytes: 100 KiB, not 98 KiB).
 * @param {number} max @param {number} [unit]
 */
function niceMax(max, unit = 1) {
  if (max <= 0) return unit === 1 ? 1 : unit;
  const scale = unit === 1 ? 1 : unit ** Math.max(0, Math.floor(Math.log(max) / Math.log(unit)));
  const scaled = max / scale;
  const power = 10 ** Math.floor(Math.log10(scaled));
  for (const step of [1, 2, 5, 10]) if (step * power >= scaled) return step * power * scale;
  return 10 * power * scale;
}

/**
 * Files, bytes and duration per generation, oldest on the left: three small
 * line charts over one generation axis, each with its own value axis. Every
 * point is focusable and names its generation and all three values in a
 * tooltip (the SVG title, and a visible box on hover or focus).
 * @param {Generation[]} generations newest first, as the API gives them
 */
function renderChart(generations) {
  const container = byId('chart');
  const ordered = [...generations].reverse().filter((g) => g.completedAt !== null);
  /** @type {{ key: string, label: string, unit: number, value: (g: Generation) => number, format: (n: number) => string }[]} */
  const series = [
    { key: 'files', label: 'Files copied + deleted', unit: 1, value: (g) => g.filesCopied + g.filesDeleted, format: (n) => formatCount(Math.round(n * 10) / 10) },
    { key: 'bytes', label: 'Bytes transferred', unit: 1024, value: (g) => g.bytesTransferred, format: formatBytes },
    { key: 'duration', label: 'Duration', unit: 1, value: (g) => Math.max(0, durationMs(g.startedAt, g.completedAt)), format: formatMs },
  ];
  const width = 900;
  const panel = 72;
  const gap = 34;
  const left = 78;
  const right = 12;
  const top = 22;
  const axisHeight = 14;
  const height = top + series.length * (panel + gap) + axisHeight;
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `Files, bytes and duration of the last ${ordered.length} generations` });
  const plotWidth = width - left - right;
  const x = (/** @type {number} */ index) => left + (ordered.length <= 1 ? plotWidth / 2 : (plotWidth * index) / (ordered.length - 1));
  /** @param {Generation} g */
  const describe = (g) => `generation ${g.generation} (${g.status.replace(/_/g, ' ')}), ${formatTime(g.startedAt)}: ${plural(g.filesCopied + g.filesDeleted, 'file')}, ${formatBytes(g.bytesTransferred)}, ${formatDuration(g.startedAt, g.completedAt)}`;
  series.forEach((s, row) => {
    const y0 = top + row * (panel + gap);
    const max = niceMax(Math.max(0, ...ordered.map(s.value)), s.unit);
    const y = (/** @type {number} */ v) => y0 + panel - (panel * v) / max;
    const group = svg('g', { class: `series series-${s.key}`, 'data-series': s.key });
    group.append(svg('text', { x: left, y: y0 - 8, class: 'series-label' }, s.label));
    // The value axis: a line and three ticks (0, half, max).
    group.append(svg('line', { x1: left, y1: y0, x2: left, y2: y0 + panel, class: 'axis' }));
    for (const fraction of [0, 0.5, 1]) {
      const value = max * fraction;
      group.append(svg('line', { x1: left, y1: y(value), x2: width - right, y2: y(value), class: fraction === 0 ? 'axis' : 'grid' }));
      group.append(svg('text', { x: left - 6, y: y(value) + 4, 'text-anchor': 'end', class: 'tick' }, s.format(value)));
    }
    if (ordered.length > 1) {
      group.append(svg('polyline', { class: 'line', points: ordered.map((g, i) => `${x(i)},${y(s.value(g))}`).join(' ') }));
    }
    ordered.forEach((g, i) => {
      const open = state.generation !== null && state.generation.generation === g.generation;
      const failed = g.status === 'failed' || g.status === 'refused';
      const point = svg('circle', {
        cx: x(i), cy: y(s.value(g)), r: open ? 6 : 4.5, tabindex: 0,
        class: `point${open ? ' selected' : ''}${failed ? ' failed' : ''}`,
        'data-generation': g.generation, 'aria-label': `${s.label} of ${describe(g)}`,
      });
      const text = `${s.label}: ${s.format(s.value(g))}. ${describe(g)}`;
      point.append(svg('title', {}, text));
      point.addEventListener('mouseenter', () => showChartTooltip(point, text));
      point.addEventListener('focus', () => showChartTooltip(point, text));
      point.addEventListener('mouseleave', hideChartTooltip);
      point.addEventListener('blur', hideChartTooltip);
      point.addEventListener('click', () => void reporting(() => openGeneration(g.conduit, g.generation)));
      group.append(point);
    });
    root.append(group);
  });
  // The generation axis, shared by the three.
  const axisY = top + series.length * (panel + gap) - gap + 4;
  root.append(svg('line', { x1: left, y1: axisY, x2: width - right, y2: axisY, class: 'axis' }));
  const every = Math.max(1, Math.ceil(ordered.length / 12));
  ordered.forEach((g, i) => {
    if (i % every !== 0 && i !== ordered.length - 1) return;
    root.append(svg('text', { x: x(i), y: axisY + 16, 'text-anchor': 'middle', class: 'tick generation-tick' }, `#${g.generation}`));
  });
  root.append(svg('text', { x: width - right, y: height - 2, 'text-anchor': 'end', class: 'axis-title' }, 'generation'));
  container.replaceChildren(ordered.length === 0 ? h('p', { className: 'empty' }, 'No finished generation yet.') : root);
  byId('chart-caption').textContent = ordered.length === 0
    ? 'Files, bytes and duration per generation (none yet)'
    : `Files, bytes and duration per generation (last ${ordered.length})`;
}

/** @param {Element} point @param {string} text */
function showChartTooltip(point, text) {
  const tip = byId('chart-tooltip');
  tip.textContent = text;
  tip.hidden = false;
  const figure = tip.parentElement;
  if (!figure) return;
  const box = point.getBoundingClientRect();
  const frame = figure.getBoundingClientRect();
  const left = Math.min(Math.max(0, box.left - frame.left - 40), Math.max(0, frame.width - tip.offsetWidth));
  tip.style.left = `${left}px`;
  tip.style.top = `${box.bottom - frame.top + 6}px`;
}

function hideChartTooltip() {
  byId('chart-tooltip').hidden = true;
}

// ---------------------------------------------------------------- one generation

/** @param {string} conduit @param {number} generation */
async function openGeneration(conduit, generation) {
  /** @type {HTMLSelectElement} */ (byId('event-filter')).value = '';
  inputById('event-path').value = '';
  state.generation = { conduit, generation, action: '', path: '', offset: 0, total: 0 };
  await Promise.all([loadGenerationSummary(), loadEvents()]);
  await loadHistory();
  byId('generation-section').scrollIntoView({ block: 'start' });
  byId('generation-heading').focus();
}

async function loadGenerationSummary() {
  const current = state.generation;
  if (!current) return;
  // limit=1: the summary; the events come from the search route.
  const g = await api(`${conduitPath(current.conduit)}/generations/${current.generation}?limit=1`);
  if (state.generation !== current) return;
  byId('generation-section').hidden = false;
  byId('generation-heading').textContent = `${g.conduit} — generation ${g.generation}`;
  renderSummary(/** @type {Generation} */ (g));
}

async function loadEvents() {
  const current = state.generation;
  if (!current) return;
  const params = new URLSearchParams({ limit: String(EVENTS_PAGE), offset: String(current.offset) });
  if (current.action) params.set('action', current.action);
  if (current.path) params.set('path', current.path);
  const page = await api(`${conduitPath(current.conduit)}/generations/${current.generation}/events?${params}`);
  if (state.generation !== current) return;
  byId('generation-section').hidden = false;
  current.total = page.total;
  const events = /** @type {GenerationEvent[]} */ (page.events);
  const rows = events.map((e) => h('tr', { 'data-action': e.action },
    h('td', {}, badge(e.action, e.action === 'error' ? 'bad' : e.action === 'delete' || e.action === 'rmdir' ? 'warn' : e.action === 'skip' ? '' : 'info')),
    h('td', {}, e.side ?? '—'),
    h('td', { className: 'path' }, e.path || '(whole generation)'),
    h('td', { className: 'num' }, e.bytes > 0 ? formatBytes(e.bytes) : ''),
    h('td', { className: 'muted' }, e.message ?? '')));
  const filtered = current.action !== '' || current.path !== '';
  const what = [current.action ? `${current.action} events` : 'events', current.path ? `with “${current.path}” in the path` : ''].filter(Boolean).join(' ');
  tbodyOf('#events').replaceChildren(...(rows.length > 0 ? rows : [h('tr', {}, h('td', { colspan: 5, className: 'empty' },
    filtered ? `No ${what} in this generation.` : 'This generation changed nothing.'))]));
  byId('event-total').textContent = filtered ? `${plural(page.total, 'event')} match (${what})` : `${plural(page.total, 'event')} in this generation`;
  const first = page.total === 0 ? 0 : current.offset + 1;
  const last = current.offset + events.length;
  byId('events-page').textContent = page.total === 0 ? '' : `${formatCount(first)}–${formatCount(last)} of ${formatCount(page.total)}`;
  /** @type {HTMLButtonElement} */ (byId('events-previous')).disabled = current.offset === 0;
  /** @type {HTMLButtonElement} */ (byId('events-next')).disabled = last >= page.total;
}

/** @param {Generation} g */
function renderSummary(g) {
  /** @type {[string, Node | string][]} */
  const items = [
    ['Status', statusBadge(g.status)],
    ['Trigger', g.trigger + (g.dryRun ? ' (dry run)' : '')],
    ['Started', timeView(g.startedAt)],
    ['Duration', formatDuration(g.startedAt, g.completedAt)],
    ['Files copied / deleted', `${formatCount(g.filesCopied)} / ${formatCount(g.filesDeleted)}`],
    ['Dirs created / removed', `${formatCount(g.dirsCreated)} / ${formatCount(g.dirsDeleted)}`],
    ['Conflicts (resolved)', `${formatCount(g.conflicts)} (${formatCount(g.conflictsResolved)})`],
    ['Bytes', formatBytes(g.bytesTransferred)],
    ['Errors', g.errors.length === 0 ? '0' : `${formatCount(g.errors.length)}: ${truncate(g.errors[0]?.message ?? '', 120)}`],
    ['Verification', verificationView(g.verificationStatus)],
  ];
  byId('generation-summary').replaceChildren(...items.map(([term, value]) => h('div', {}, h('dt', {}, term), h('dd', {}, value))));
}

// ---------------------------------------------------------------- conflicts

async function loadConflicts() {
  const conflicts = /** @type {Conflict[]} */ (await api('/api/conflicts?status=unresolved'));
  state.conflicts = conflicts;
  const count = byId('conflict-count');
  count.textContent = String(conflicts.length);
  count.classList.toggle('attention', conflicts.length > 0);
  const container = byId('conflicts');
  if (conflicts.length === 0) {
    container.replaceChildren(h('p', { className: 'empty' }, 'None: every conflict has been settled.'));
    return;
  }
  container.replaceChildren(...conflicts.map(conflictCard));
}

/** The folder of a relative path under a root: `/home/me/notes` + `a/b.txt` → `/home/me/notes/a`. @param {string} root @param {string} path */
function folderOf(root, path) {
  const slash = path.lastIndexOf('/');
  const base = root.replace(/\/+$/, '');
  return slash < 0 ? base || '/' : `${base}/${path.slice(0, slash)}`;
}

/** @param {Conflict} c */
function conflictCard(c) {
  const conduit = state.conduits.find((x) => x.name === c.conduit);
  const bidirectional = conduit?.mode === 'bidirectional';
  /** @param {string} label @param {string} choice @param {string} [className] */
  const choose = (label, choice, className) => h('button', {
    type: 'button', className, 'aria-label': `${label} for ${c.path}`,
    onclick: (event) => reporting(() => resolveConflict(c, choice, /** @type {HTMLButtonElement} */ (event.currentTarget))),
  }, label);
  /** @param {'source' | 'target'} side */
  const sideView = (side) => {
    const entry = c[side];
    const root = conduit ? conduit[side] : null;
    return h('div', { className: 'conflict-side', 'data-side': side },
      h('div', { className: 'side-head' }, h('strong', {}, side), root ? h('code', { className: 'path side-folder' }, folderOf(root, c.path)) : null),
      entry
        ? h('div', { className: 'side-facts' }, `${entry.kind}, ${formatBytes(entry.size)}, modified `, timeView(entry.mtime))
        : h('div', { className: 'side-facts' }, 'deleted on this side'));
  };
  const diffBox = h('div', { className: 'diff-box' });
  return h('article', { className: 'conflict-card', 'data-conflict': c.id },
    h('header', { className: 'card-head' },
      h('code', { className: 'path conflict-path' }, c.path),
      badge(c.kind.replace(/_/g, ' '), c.severity === 'high' ? 'bad' : 'warn'),
      h('span', { className: 'muted small' }, `${c.conduit}, generation ${c.generation}, detected `, timeView(c.detectedAt))),
    h('div', { className: 'conflict-sides' }, sideView('source'), sideView('target')),
    diffBox,
    h('div', { className: 'actions' },
      h('button', { type: 'button', 'aria-label': `Show diff of ${c.path}`, onclick: (event) => reporting(() => showDiff(c, diffBox, /** @type {HTMLButtonElement} */ (event.currentTarget))) }, 'Show diff'),
      choose('Keep source', 'source'),
      choose('Keep target', 'target'),
      bidirectional ? choose('Keep both', 'both') : null,
      choose('Dismiss', 'dismiss', 'danger')));
}

/** @param {Conflict} conflict @param {HTMLElement} box @param {HTMLButtonElement} button */
async function showDiff(conflict, box, button) {
  if (!box.hidden && box.childElementCount > 0) {
    box.replaceChildren();
    button.textContent = 'Show diff';
    return;
  }
  const detail = /** @type {ConflictDetail} */ (await api(`/api/conflicts/${conflict.id}/detail`));
  button.textContent = 'Hide diff';
  /** @param {'source' | 'target'} side */
  const now = (side) => {
    const current = detail[side].current;
    return h('div', { className: 'side-now' }, h('strong', {}, `${side} now: `), h('code', { className: 'path' }, detail[side].path), ' — ',
      current ? h('span', {}, `${current.kind}, ${formatBytes(current.size)}, modified `, timeView(current.mtime)) : 'nothing there');
  };
  /** @type {HTMLElement[]} */
  const parts = [now('source'), now('target')];
  if (detail.diff === null) {
    parts.push(h('p', { className: 'muted diff-note' }, `No diff: ${detail.diffUnavailable ?? 'not available'}.`));
  } else if (detail.diff.identical || detail.diff.lines.length === 0) {
    parts.push(h('p', { className: 'muted diff-note' }, 'The two versions have the same text.'));
  } else {
    parts.push(h('p', { className: 'muted small diff-legend' }, '− source  + target'));
    parts.push(h('pre', { className: 'diff', 'aria-label': `Diff of ${conflict.path}` },
      ...detail.diff.lines.map((line) => h('span', { className: `diff-line op-${line.op === '-' ? 'del' : line.op === '+' ? 'add' : line.op === '…' ? 'gap' : 'same'}` },
        `${line.op === '-' ? '−' : line.op} ${line.text}\n`))));
    if (detail.diff.truncated) parts.push(h('p', { className: 'muted small' }, 'The diff is cut short.'));
  }
  box.replaceChildren(...parts);
}

/** @param {Conflict} conflict @param {string} choice @param {HTMLButtonElement} button */
async function resolveConflict(conflict, choice, button) {
  const card = button.closest('article');
  for (const other of card ? card.querySelectorAll('button') : []) other.disabled = true;
  try {
    const record = await api(`/api/conflicts/${conflict.id}/resolve`, { method: 'POST', body: { choice } });
    notify(`${conflict.conduit}: ${conflict.path} resolved (${String(record.resolution).replace(/_/g, ' ')}).`);
  } finally {
    await Promise.all([loadConflicts(), loadConduits()]);
  }
}

// ---------------------------------------------------------------- kept versions

/** @type {string | null} */
let versionsOf = null;

/** @param {string} name */
async function openVersions(name) {
  versionsOf = name;
  inputById('versions-path').value = '';
  byId('versions-section').hidden = false;
  byId('versions-heading').textContent = `Kept versions of ${name}`;
  await loadVersions();
  byId('versions-section').scrollIntoView({ block: 'start' });
}

async function loadVersions() {
  const name = versionsOf;
  if (!name) return;
  const prefix = inputById('versions-path').value.trim();
  const query = prefix ? `?path=${encodeURIComponent(prefix)}` : '';
  const versions = /** @type {KeptVersion[]} */ (await api(`${conduitPath(name)}/versions${query}`));
  if (versionsOf !== name) return;
  const container = byId('versions');
  if (versions.length === 0) {
    container.replaceChildren(h('p', { className: 'empty' }, prefix ? `No kept version of “${prefix}”.` : 'No version kept yet.'));
    return;
  }
  const table = h('table', { className: 'data', id: 'versions-table' },
    h('thead', {}, h('tr', {}, ...['Path', 'Side', 'Kept', 'Size', 'Kept as', ''].map((label) => h('th', { scope: 'col' }, label)))),
    h('tbody', {}, ...versions.map((v) => h('tr', { 'data-path': v.path, 'data-kept-at': v.keptAt },
      h('td', { className: 'path' }, v.path),
      h('td', {}, v.side),
      h('td', { className: 'nowrap' }, timeView(v.keptAt)),
      h('td', { className: 'num' }, formatBytes(v.size)),
      h('td', { className: 'path muted' }, v.versionPath),
      h('td', {}, h('button', {
        type: 'button', 'aria-label': `Restore ${v.path} as kept at ${formatTime(v.keptAt)}`,
        onclick: (event) => reporting(() => restoreVersion(name, v, /** @type {HTMLButtonElement} */ (event.currentTarget))),
      }, 'Restore'))))));
  container.replaceChildren(h('div', { className: 'table-wrap' }, table));
}

/** @param {string} name @param {KeptVersion} version @param {HTMLButtonElement} button */
async function restoreVersion(name, version, button) {
  button.disabled = true;
  try {
    const answer = await api(`${conduitPath(name)}/restore`, { method: 'POST', body: { path: version.path, at: version.keptAt } });
    const replaced = answer.replacedVersionPath ? ` The file it replaced is kept as ${answer.replacedVersionPath}.` : '';
    notify(`${name}: ${version.path} restored to the version kept at ${formatTime(version.keptAt)}.${replaced}`);
    await loadVersions();
  } finally {
    button.disabled = false;
  }
}

// ---------------------------------------------------------------- live events

/**
 * Reads `/api/events` with fetch rather than EventSource, so that the token
 * can travel in the Authorization header (EventSource cannot send one, and a
 * token in the URL would end up in logs). Reconnects with a growing pause.
 */
async function followLiveEvents() {
  let pause = 1000;
  for (;;) {
    try {
      /** @type {Record<string, string>} */
      const headers = { accept: 'text/event-stream' };
      const token = getToken();
      if (token) headers['authorization'] = `Bearer ${token}`;
      const response = await fetch('/api/events', { headers });
      if (!response.ok || !response.body) throw new Error(`live events: ${response.status}`);
      pause = 1000;
      // A reconnect may have missed events: catch up once.
      state.running.clear();
      await refreshAll();
      setLive(true);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trimStart()).join('\n');
          if (data) onLiveEvent(JSON.parse(data));
        }
      }
    } catch {
      // Server restarting or network gone: try again below.
    }
    setLive(false);
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause = Math.min(pause * 2, 15000);
  }
}

/** @param {boolean} on */
function setLive(on) {
  const status = byId('live-status');
  status.textContent = on ? 'live' : 'reconnecting…';
  status.classList.toggle('live-on', on);
  status.classList.toggle('live-off', !on);
}

/** @param {any} event */
function onLiveEvent(event) {
  switch (event.type) {
    case 'generation_started':
      state.running.set(event.conduit, { conduit: event.conduit, generation: event.generation, trigger: event.trigger, startedAt: event.startedAt, actionsDone: 0, actionsTotal: 0, bytesDone: 0, bytesTotal: 0, rate: 0 });
      renderLive(event.conduit);
      break;
    case 'generation_progress':
      state.running.set(event.conduit, event);
      renderLive(event.conduit);
      break;
    case 'generation_finished':
      state.running.delete(event.conduit);
      void reporting(async () => {
        await Promise.all([loadConduits(), loadConflicts()]);
        if (state.selected === event.conduit) await loadHistory();
      });
      break;
    case 'generation_verified':
      void reporting(loadConduits);
      if (state.selected === event.conduit) void reporting(loadHistory);
      if (state.generation && state.generation.conduit === event.conduit && state.generation.generation === event.generation) void reporting(loadGenerationSummary);
      break;
    case 'conduit_changed':
      void reporting(loadConduits);
      break;
    default:
      break;
  }
}

// ---------------------------------------------------------------- start

async function refreshAll() {
  await loadConduits();
  await loadConflicts();
  if (state.selected) await loadHistory();
}

/** @param {string} id @param {(event: Event) => void} handler */
function onSubmit(id, handler) {
  byId(id).addEventListener('submit', (event) => {
    event.preventDefault();
    handler(event);
  });
}

function wireControls() {
  byId('token-button').addEventListener('click', () => void askForToken());
  byId('add-button').addEventListener('click', () => openConduitDialog(null));
  byId('history-newer').addEventListener('click', () => {
    if (state.historyPages.length > 1) state.historyPages.pop();
    void reporting(loadHistory);
  });
  byId('history-older').addEventListener('click', (event) => {
    const before = Number(/** @type {HTMLButtonElement} */ (event.currentTarget).dataset['before']);
    if (!Number.isInteger(before) || before <= 1) return;
    state.historyPages.push(before);
    void reporting(loadHistory);
  });
  const search = () => {
    if (!state.generation) return;
    state.generation.action = /** @type {HTMLSelectElement} */ (byId('event-filter')).value;
    state.generation.path = inputById('event-path').value;
    state.generation.offset = 0;
    void reporting(loadEvents);
  };
  byId('event-filter').addEventListener('change', search);
  onSubmit('event-search', search);
  byId('events-previous').addEventListener('click', () => {
    if (!state.generation) return;
    state.generation.offset = Math.max(0, state.generation.offset - EVENTS_PAGE);
    void reporting(loadEvents);
  });
  byId('events-next').addEventListener('click', () => {
    if (!state.generation) return;
    state.generation.offset += EVENTS_PAGE;
    void reporting(loadEvents);
  });
  byId('generation-heading').setAttribute('tabindex', '-1');
  byId('f-mode').addEventListener('change', syncConflictField);
  onSubmit('conduit-form', () => void saveConduit());
  byId('conduit-cancel').addEventListener('click', () => /** @type {HTMLDialogElement} */ (byId('conduit-dialog')).close());
  byId('remove-confirm').addEventListener('click', () => void confirmRemove());
  byId('remove-cancel').addEventListener('click', () => /** @type {HTMLDialogElement} */ (byId('remove-dialog')).close());
  onSubmit('versions-search', () => void reporting(loadVersions));
}

takeTokenFromAddress();
updateTokenButton();
wireControls();
void reporting(refreshAll);
void followLiveEvents();
// "3 min ago" and "in 2 min" stay true without a reload; the overview's next runs move on.
setInterval(() => void reporting(loadConduits), 30_000);
