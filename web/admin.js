// @ts-check
/**
 * conduit's admin page: the conduits, their sync history, a generation's
 * per-file events, unresolved conflicts and live progress — all from the
 * JSON API of SPEC §12 on the same origin. Plain DOM, no framework, no
 * external resource. Text from the API only ever becomes text nodes (never
 * HTML), since paths and messages come from the synced folders.
 *
 * The API token: reads need none on a loopback bind; every change does. The
 * page takes it from `#token=…` in its address once (then removes it from
 * the address bar) or asks for it in a dialog the first time a request is
 * refused, and keeps it in this tab's sessionStorage.
 */

/** @typedef {{ name: string, mode: string, schedule: string, enabled: boolean, state: string, lastSyncCompletedAt: string | null, syncGeneration: number, lastSyncError: string | null, totalSyncs: number, filesSynced: number, bytesTransferred: number, source: string, target: string }} Conduit */
/** @typedef {{ path: string, op: string, message: string }} GenerationError */
/** @typedef {{ conduit: string, generation: number, status: string, trigger: string, dryRun: boolean, startedAt: string, completedAt: string | null, filesCopied: number, filesDeleted: number, dirsCreated: number, dirsDeleted: number, conflicts: number, conflictsResolved: number, bytesTransferred: number, errors: GenerationError[], verificationStatus: string }} Generation */
/** @typedef {{ side: string | null, path: string, action: string, bytes: number, message: string | null }} GenerationEvent */
/** @typedef {{ kind: string, size: number, mtime: string }} EntrySummary */
/** @typedef {{ id: number, conduit: string, path: string, kind: string, severity: string, resolution: string, generation: number, detectedAt: string, source: EntrySummary | null, target: EntrySummary | null }} Conflict */
/** @typedef {{ conduit: string, generation: number, trigger: string, startedAt: string, actionsDone: number, actionsTotal: number, bytesDone: number, bytesTotal: number, rate: number }} Running */

const TOKEN_KEY = 'conduit-api-token';
const HISTORY_PAGE = 15;
const CHART_GENERATIONS = 40;
const EVENTS_PAGE = 200;

const state = {
  /** @type {Conduit[]} */ conduits: [],
  /** @type {Map<string, Running>} */ running: new Map(),
  /** @type {string | null} */ selected: null,
  /** `before` of each history page shown so far; the last is the current page (null: newest). @type {(number | null)[]} */
  historyPages: [null],
  /** @type {{ conduit: string, generation: number, action: string, shown: number } | null} */ generation: null,
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

/** @param {string} selector */
function tbodyOf(selector) {
  const body = document.querySelector(`${selector} tbody`);
  if (!body) throw new Error(`admin page: ${selector} has no tbody`);
  return /** @type {HTMLTableSectionElement} */ (body);
}

// ---------------------------------------------------------------- formatting

/** @param {number} bytes */
function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
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

/** @param {string | null} iso */
function formatTime(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  const pad = (/** @type {number} */ n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** @param {string | null} iso */
function formatAgo(iso) {
  if (!iso) return 'never';
  const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}

/** @param {string} startedAt @param {string | null} completedAt */
function formatDuration(startedAt, completedAt) {
  if (!completedAt) return '—';
  const ms = Date.parse(completedAt) - Date.parse(startedAt);
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${ms} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

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

/** @param {string} conduitState */
function stateBadge(conduitState) {
  /** @type {Record<string, 'ok' | 'warn' | 'bad' | 'info'>} */
  const tones = { current: 'ok', syncing: 'info', failed: 'bad', waiting_for_source: 'warn' };
  return badge(conduitState.replace(/_/g, ' '), tones[conduitState] ?? '');
}

/** @param {string} verification */
function verificationBadge(verification) {
  if (verification === 'verified') return badge('✓ verified', 'ok');
  if (verification === 'waiting_watcher') return badge('waiting for watcher', 'info');
  if (verification.startsWith('failed:')) return badge('✗ failed', 'bad', verification.slice('failed:'.length));
  return badge(verification, '');
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
  const input = /** @type {HTMLInputElement} */ (byId('token-input'));
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
  /** @param {number} status @param {string} message */
  constructor(status, message) {
    super(message);
    this.status = status;
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
      throw new ApiError(response.status, payload && payload.field ? `${payload.field}: ${message}` : message);
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

// ---------------------------------------------------------------- conduits

async function loadConduits() {
  state.conduits = /** @type {Conduit[]} */ (await api('/api/conduits'));
  renderConduits();
}

function renderConduits() {
  const body = tbodyOf('#conduits');
  if (state.conduits.length === 0) {
    body.replaceChildren(h('tr', {}, h('td', { colspan: 10, className: 'empty' }, 'No conduits yet: add one with conduit add or POST /api/conduits.')));
    return;
  }
  body.replaceChildren(...state.conduits.map((conduit) => {
    const running = state.running.get(conduit.name);
    const selected = state.selected === conduit.name;
    return h('tr', { className: selected ? 'selected' : '', 'data-conduit': conduit.name },
      h('td', {},
        h('button', {
          type: 'button', className: 'link', 'aria-pressed': String(selected), 'aria-label': `Show history of ${conduit.name}`,
          title: `${conduit.source} → ${conduit.target}`, onclick: () => reporting(() => selectConduit(conduit.name)),
        }, conduit.name)),
      h('td', {}, conduit.mode),
      h('td', {}, stateBadge(conduit.state), conduit.lastSyncError ? h('div', { className: 'muted', title: conduit.lastSyncError }, truncate(conduit.lastSyncError, 60)) : null),
      h('td', {}, h('code', {}, conduit.schedule)),
      h('td', { title: formatTime(conduit.lastSyncCompletedAt) }, formatAgo(conduit.lastSyncCompletedAt)),
      h('td', { className: 'num' }, formatCount(conduit.syncGeneration)),
      h('td', { className: 'num' }, formatCount(conduit.filesSynced)),
      h('td', { className: 'num' }, formatBytes(conduit.bytesTransferred)),
      h('td', { className: 'live-cell' }, running ? progressView(running) : h('span', { className: 'muted' }, 'idle')),
      h('td', {},
        h('div', { className: 'actions' },
          h('button', {
            type: 'button', className: 'primary', disabled: !conduit.enabled, 'aria-label': `Run ${conduit.name} now`,
            title: conduit.enabled ? 'Start a generation now' : 'This conduit is disabled',
            onclick: () => reporting(() => runNow(conduit.name)),
          }, 'Run now'))));
  }));
}

/** @param {Running} running */
function progressView(running) {
  const fraction = running.bytesTotal > 0 ? running.bytesDone / running.bytesTotal : running.actionsTotal > 0 ? running.actionsDone / running.actionsTotal : 0;
  const rate = running.rate > 0 ? ` · ${formatBytes(running.rate)}/s` : '';
  return h('div', { className: 'progress' },
    h('progress', { max: 1, value: fraction, 'aria-label': `generation ${running.generation} progress` }),
    h('span', {}, `#${running.generation}: ${running.actionsDone}/${running.actionsTotal} actions · ${formatBytes(running.bytesDone)} of ${formatBytes(running.bytesTotal)}${rate}`));
}

/** @param {string} text @param {number} length */
function truncate(text, length) {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

/** @param {string} name */
async function runNow(name) {
  const answer = await api(`/api/conduits/${encodeURIComponent(name)}/run`, { method: 'POST', body: {} });
  notify(answer.followsRunningGeneration ? `${name}: a generation is running; another one will follow it.` : `${name}: generation requested.`);
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
    api(`/api/conduits/${encodeURIComponent(name)}/generations?${query}`),
    api(`/api/conduits/${encodeURIComponent(name)}/generations?limit=${CHART_GENERATIONS}`),
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
        h('td', { title: g.startedAt }, formatTime(g.startedAt)),
        h('td', {}, g.trigger),
        h('td', {}, statusBadge(g.status), g.dryRun ? ' ' : null, g.dryRun ? badge('dry run', 'info') : null),
        h('td', { className: 'num' }, formatCount(g.filesCopied)),
        h('td', { className: 'num' }, formatCount(g.filesDeleted)),
        h('td', { className: 'num' }, g.conflicts > 0 ? h('strong', {}, formatCount(g.conflicts)) : '0'),
        h('td', { className: 'num' }, formatBytes(g.bytesTransferred)),
        h('td', { className: 'num' }, formatDuration(g.startedAt, g.completedAt)),
        h('td', {}, verificationBadge(g.verificationStatus)));
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

/**
 * Bytes transferred per generation, oldest on the left, as an inline SVG bar
 * chart; each bar names its generation and bytes in a tooltip.
 * @param {Generation[]} generations newest first, as the API gives them
 */
function renderChart(generations) {
  const container = byId('chart');
  const NS = 'http://www.w3.org/2000/svg';
  const ordered = [...generations].reverse();
  const width = 900;
  const height = 150;
  const top = 16;
  const bottom = 20;
  const left = 8;
  const max = Math.max(1, ...ordered.map((g) => g.bytesTransferred));
  const slot = (width - left) / Math.max(ordered.length, 12);
  /** @param {string} tag @param {Record<string, string | number>} attributes */
  const svgElement = (tag, attributes) => {
    const element = document.createElementNS(NS, tag);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
    return element;
  };
  const total = ordered.reduce((sum, g) => sum + g.bytesTransferred, 0);
  const svg = svgElement('svg', { viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: 'xMinYMid meet', role: 'img' });
  svg.setAttribute('aria-label', `Bytes transferred by the last ${ordered.length} generations: ${formatBytes(total)} in all, at most ${formatBytes(max)} in one`);
  svg.append(svgElement('line', { x1: left, y1: height - bottom, x2: width, y2: height - bottom, class: 'axis' }));
  const maxLabel = svgElement('text', { x: left, y: 11 });
  maxLabel.textContent = `max ${formatBytes(max)}`;
  svg.append(maxLabel);
  ordered.forEach((g, index) => {
    const barHeight = g.bytesTransferred === 0 ? 1 : Math.max(2, ((height - top - bottom) * g.bytesTransferred) / max);
    const open = state.generation !== null && state.generation.generation === g.generation;
    const tone = g.status === 'failed' || g.status === 'refused' ? ' failed' : '';
    const bar = svgElement('rect', {
      x: left + index * slot + slot * 0.15, y: height - bottom - barHeight, width: slot * 0.7, height: barHeight,
      class: `bar${open ? ' selected' : ''}${tone}`,
    });
    const title = document.createElementNS(NS, 'title');
    title.textContent = `generation ${g.generation}: ${formatBytes(g.bytesTransferred)} (${g.status})`;
    bar.append(title);
    svg.append(bar);
    if (ordered.length <= 20 || index % Math.ceil(ordered.length / 20) === 0) {
      const label = svgElement('text', { x: left + index * slot + slot / 2, y: height - 5, 'text-anchor': 'middle' });
      label.textContent = `#${g.generation}`;
      svg.append(label);
    }
  });
  container.replaceChildren(svg);
  byId('chart-caption').textContent = ordered.length === 0
    ? 'Bytes transferred per generation (none yet)'
    : `Bytes transferred per generation (last ${ordered.length}: ${formatBytes(total)})`;
}

// ---------------------------------------------------------------- one generation

/** @param {string} conduit @param {number} generation */
async function openGeneration(conduit, generation) {
  const select = /** @type {HTMLSelectElement} */ (byId('event-filter'));
  select.value = '';
  state.generation = { conduit, generation, action: '', shown: 0 };
  await loadGeneration(false);
  await loadHistory();
  byId('generation-section').scrollIntoView({ block: 'start' });
  byId('generation-heading').focus();
}

/** @param {boolean} more append the next page of events instead of starting over */
async function loadGeneration(more) {
  const current = state.generation;
  if (!current) return;
  const offset = more ? current.shown : 0;
  const action = current.action ? `&action=${encodeURIComponent(current.action)}` : '';
  const g = await api(`/api/conduits/${encodeURIComponent(current.conduit)}/generations/${current.generation}?limit=${EVENTS_PAGE}&offset=${offset}${action}`);
  if (state.generation !== current) return;
  const section = byId('generation-section');
  section.hidden = false;
  byId('generation-heading').textContent = `${g.conduit} — generation ${g.generation}`;
  renderSummary(/** @type {Generation} */ (g));
  const events = /** @type {GenerationEvent[]} */ (g.events);
  const rows = events.map((e) => h('tr', { 'data-action': e.action },
    h('td', {}, badge(e.action, e.action === 'error' ? 'bad' : e.action === 'delete' || e.action === 'rmdir' ? 'warn' : e.action === 'skip' ? '' : 'info')),
    h('td', {}, e.side ?? '—'),
    h('td', { className: 'path' }, e.path || '(whole generation)'),
    h('td', { className: 'num' }, e.bytes > 0 ? formatBytes(e.bytes) : ''),
    h('td', { className: 'muted' }, e.message ?? '')));
  const body = tbodyOf('#events');
  if (more) body.append(...rows);
  else if (rows.length === 0) body.replaceChildren(h('tr', {}, h('td', { colspan: 5, className: 'empty' }, current.action ? `No ${current.action} events in this generation.` : 'This generation changed nothing.')));
  else body.replaceChildren(...rows);
  current.shown = offset + events.length;
  byId('events-more').hidden = events.length < EVENTS_PAGE;
}

/** @param {Generation} g */
function renderSummary(g) {
  /** @type {[string, Node | string][]} */
  const items = [
    ['Status', statusBadge(g.status)],
    ['Trigger', g.trigger + (g.dryRun ? ' (dry run)' : '')],
    ['Started', formatTime(g.startedAt)],
    ['Duration', formatDuration(g.startedAt, g.completedAt)],
    ['Files copied / deleted', `${formatCount(g.filesCopied)} / ${formatCount(g.filesDeleted)}`],
    ['Dirs created / removed', `${formatCount(g.dirsCreated)} / ${formatCount(g.dirsDeleted)}`],
    ['Conflicts (resolved)', `${formatCount(g.conflicts)} (${formatCount(g.conflictsResolved)})`],
    ['Bytes', formatBytes(g.bytesTransferred)],
    ['Errors', formatCount(g.errors.length)],
    ['Verification', verificationBadge(g.verificationStatus)],
  ];
  byId('generation-summary').replaceChildren(...items.map(([term, value]) => h('div', {}, h('dt', {}, term), h('dd', {}, value))));
}

// ---------------------------------------------------------------- conflicts

async function loadConflicts() {
  const conflicts = /** @type {Conflict[]} */ (await api('/api/conflicts?status=unresolved'));
  const count = byId('conflict-count');
  count.textContent = String(conflicts.length);
  count.classList.toggle('attention', conflicts.length > 0);
  const container = byId('conflicts');
  if (conflicts.length === 0) {
    container.replaceChildren(h('p', { className: 'empty' }, 'None: every conflict has been settled.'));
    return;
  }
  const modes = new Map(state.conduits.map((c) => [c.name, c.mode]));
  /** @param {EntrySummary | null} entry */
  const side = (entry) => entry ? `${entry.kind}, ${formatBytes(entry.size)}, ${formatTime(entry.mtime)}` : 'deleted';
  const table = h('table', { className: 'data', id: 'conflicts-table' },
    h('thead', {}, h('tr', {},
      ...['Conduit', 'Path', 'Kind', 'Source', 'Target', 'Detected', 'Resolve'].map((label) => h('th', { scope: 'col' }, label)))),
    h('tbody', {}, ...conflicts.map((c) => {
      const bidirectional = modes.get(c.conduit) === 'bidirectional';
      /** @param {string} label @param {string} choice @param {string} [className] */
      const choose = (label, choice, className) => h('button', {
        type: 'button', className, 'aria-label': `${label} for ${c.path}`,
        onclick: (event) => reporting(() => resolveConflict(c, choice, /** @type {HTMLButtonElement} */ (event.currentTarget))),
      }, label);
      return h('tr', { 'data-conflict': c.id },
        h('td', {}, c.conduit),
        h('td', { className: 'path' }, c.path),
        h('td', {}, c.kind.replace(/_/g, ' ')),
        h('td', { className: 'muted' }, side(c.source)),
        h('td', { className: 'muted' }, side(c.target)),
        h('td', { title: c.detectedAt }, `#${c.generation}, ${formatAgo(c.detectedAt)}`),
        h('td', {}, h('div', { className: 'actions' },
          choose('Keep source', 'source'),
          choose('Keep target', 'target'),
          bidirectional ? choose('Keep both', 'both') : null,
          choose('Dismiss', 'dismiss', 'danger'))));
    })));
  container.replaceChildren(h('div', { className: 'table-wrap' }, table));
}

/** @param {Conflict} conflict @param {string} choice @param {HTMLButtonElement} button */
async function resolveConflict(conflict, choice, button) {
  const row = button.closest('tr');
  for (const other of row ? row.querySelectorAll('button') : []) other.disabled = true;
  try {
    const record = await api(`/api/conflicts/${conflict.id}/resolve`, { method: 'POST', body: { choice } });
    notify(`${conflict.conduit}: ${conflict.path} resolved (${String(record.resolution).replace(/_/g, ' ')}).`);
  } finally {
    await loadConflicts();
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
      setLive(true);
      pause = 1000;
      // A reconnect may have missed events: catch up once.
      if (state.running.size > 0) state.running.clear();
      await refreshAll();
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
      renderConduits();
      break;
    case 'generation_progress':
      state.running.set(event.conduit, event);
      renderLiveCell(event.conduit);
      break;
    case 'generation_finished':
      state.running.delete(event.conduit);
      void reporting(async () => {
        await Promise.all([loadConduits(), loadConflicts()]);
        if (state.selected === event.conduit) await loadHistory();
      });
      break;
    case 'generation_verified':
      if (state.selected === event.conduit) void reporting(loadHistory);
      if (state.generation && state.generation.conduit === event.conduit && state.generation.generation === event.generation) void reporting(() => loadGeneration(false));
      break;
    case 'conduit_changed':
      void reporting(loadConduits);
      break;
    default:
      break;
  }
}

/** Updates only the progress cell, so a burst of progress events does not rebuild buttons under the pointer. @param {string} name */
function renderLiveCell(name) {
  const row = [...document.querySelectorAll('#conduits tbody tr')].find((tr) => tr instanceof HTMLElement && tr.dataset['conduit'] === name);
  const cell = row ? row.querySelector('.live-cell') : null;
  const running = state.running.get(name);
  if (!cell) return;
  cell.replaceChildren(running ? progressView(running) : h('span', { className: 'muted' }, 'idle'));
}

// ---------------------------------------------------------------- start

async function refreshAll() {
  await loadConduits();
  await loadConflicts();
  if (state.selected) await loadHistory();
}

function wireControls() {
  byId('token-button').addEventListener('click', () => void askForToken());
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
  byId('event-filter').addEventListener('change', (event) => {
    if (!state.generation) return;
    state.generation.action = /** @type {HTMLSelectElement} */ (event.currentTarget).value;
    void reporting(() => loadGeneration(false));
  });
  byId('events-more').addEventListener('click', () => void reporting(() => loadGeneration(true)));
  byId('generation-heading').setAttribute('tabindex', '-1');
}

takeTokenFromAddress();
updateTokenButton();
wireControls();
void reporting(refreshAll);
void followLiveEvents();
// "3 min ago" stays true without a reload.
setInterval(renderConduits, 30_000);
