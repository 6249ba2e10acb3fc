// @ts-check
import { api, clearToken, hasRole, onUnauthorized, setToken, token } from './api.js';
import { byId, failure, h, note, show } from './dom.js';
import * as dlq from './dlq.js';
import * as fmt from './format.js';
import * as search from './search.js';
import * as storage from './storage.js';
import * as streams from './streams.js';
import { renderCache, renderReadiness, renderWriters, tile } from './writers.js';

/**
 * The console: who the caller is, then each panel polled on its own period. Panels the role
 * may not read are not asked for (each refusal would be audited); the server still checks.
 */

/** @typedef {import('./api.js').WhoAmI} WhoAmI */

// Every operator read is audited: streams poll fast (lag is live), the rest less often.
const STATUS_MS = 5000;
const LETTERS_MS = 15_000;
const STORAGE_MS = 30_000;
/** @type {WhoAmI | null} */
let who = null;
/** @type {number[]} */
let timers = [];

/**
 * Runs `task` now and then every `ms` after it ends, while the tab is visible.
 * @param {number} ms
 * @param {() => Promise<unknown>} task
 */
function every(ms, task) {
  const generation = timers;
  const tick = async () => {
    if (!document.hidden) await task().catch(() => undefined);
    // stopped or restarted meanwhile: this loop ends
    if (generation === timers) timers.push(window.setTimeout(tick, ms));
  };
  void tick();
}

function stamp() {
  show(byId('updated'), `updated ${new Date().toLocaleTimeString('en-GB')}`);
}

/**
 * A panel's refresh: its data rendered, or why there is none.
 * @param {string} id  the panel's body
 * @param {() => Promise<unknown>} load
 */
function panel(id, load) {
  return async () => {
    try {
      await load();
      stamp();
    } catch (err) {
      show(byId(id), failure(err));
    }
  };
}

async function loadCache() {
  try {
    renderCache(await api('/api/v1/cache'));
  } catch (err) {
    tile('tile-cache', '–', err instanceof Error ? err.message : String(err), 'error');
  }
}

/** What a role below operator sees instead of the operator's panels. */
function operatorOnly() {
  for (const id of ['streams', 'writers', 'dlq']) show(byId(id), note('Needs the operator role.'));
  for (const id of ['tile-ready', 'tile-breaker', 'tile-cache', 'tile-dlq'])
    tile(id, '–', 'needs the operator role');
}

async function loadStatus() {
  const status = await api('/api/v1/status');
  streams.render(status.streams);
  renderWriters(status.writer);
  renderReadiness(status.readiness);
  const dlqStream = status.streams.find(
    (/** @type {{ name: string }} */ s) => s.name === 'AKOSHA_DLQ',
  );
  const letters = dlqStream?.exists ? dlqStream.messages : 0;
  tile(
    'tile-dlq',
    fmt.count(letters),
    letters === 1 ? 'letter waiting' : 'letters waiting',
    letters > 0 ? 'warn' : 'ok',
  );
}

async function loadStorage() {
  const reply = await api('/api/v1/tiers');
  storage.render(reply);
  search.offerSystems(reply.systems.map((/** @type {{ system_id: string }} */ s) => s.system_id));
  const records = reply.systems.length;
  const total = ['hot', 'warm', 'cold'].reduce((n, t) => n + reply.tiers[t].records, 0);
  tile('tile-records', fmt.count(total), `records of ${records} system${records === 1 ? '' : 's'}`);
}

function stopPanels() {
  for (const t of timers) clearTimeout(t);
  timers = [];
}

function startPanels() {
  stopPanels();
  const admin = hasRole(who, 'admin');
  document.body.classList.toggle('is-admin', admin);
  every(STORAGE_MS, panel('storage', loadStorage));
  search.onSearched(() => undefined);
  if (!hasRole(who, 'operator')) return operatorOnly();
  dlq.setup({ admin, reload: panel('dlq', dlq.load) });
  every(STATUS_MS, panel('streams', loadStatus));
  every(LETTERS_MS, panel('dlq', dlq.load));
  every(LETTERS_MS, loadCache);
  search.onSearched(() => void loadCache());
}

/** Shows who the page calls as; `null` when the API wants a token first. */
function renderPrincipal() {
  const count = who?.systems.length ?? 0;
  const scope = who?.systems === '*' ? 'all systems' : `${count} system${count === 1 ? '' : 's'}`;
  show(
    byId('principal'),
    who &&
      h(
        'span',
        { class: 'who' },
        who.name,
        h('span', { class: `role ${who.role}` }, who.role),
        h('span', { class: 'muted' }, scope),
      ),
  );
  byId('sign-in').hidden = who !== null && token() !== null;
  byId('sign-out').hidden = token() === null;
}

async function identify() {
  try {
    who = await api('/api/v1/whoami');
  } catch (err) {
    who = null;
    show(byId('storage'), failure(err));
  }
  renderPrincipal();
  if (who) startPanels();
}

function askForToken() {
  const dialog = byId('login-dialog', HTMLDialogElement);
  if (!dialog.open) dialog.showModal();
}

function setupLogin() {
  const form = byId('login-form', HTMLFormElement);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = String(new FormData(form).get('token') ?? '').trim();
    if (!value) return;
    setToken(value);
    form.reset();
    byId('login-dialog', HTMLDialogElement).close();
    void identify();
  });
  byId('login-cancel').addEventListener('click', () =>
    byId('login-dialog', HTMLDialogElement).close(),
  );
  byId('sign-in').addEventListener('click', askForToken);
  byId('sign-out').addEventListener('click', () => {
    clearToken();
    location.reload();
  });
  byId('letter-close').addEventListener('click', () =>
    byId('letter-dialog', HTMLDialogElement).close(),
  );
}

onUnauthorized(() => {
  stopPanels();
  who = null;
  if (token()) clearToken(); // refused: wrong or expired
  renderPrincipal();
  askForToken();
});
setupLogin();
search.setup();
void identify();
