// @ts-check
import { api } from './api.js';
import { confirmAction, toast } from './dialogs.js';
import { byId, failure, h, note, show, table } from './dom.js';
import * as fmt from './format.js';

/**
 * The dead-letter queue: letters counted by stage and code, listed with a filter, each one
 * shown in full; requeue and purge for admins (the server refuses them to anyone else).
 * @typedef {{ seq: number, stage: string, code: string, reason: string, system_id?: string,
 *   upload_id?: string, record_id?: string, payload_kind: string, payload_bytes: number,
 *   failed_at: string, delivery_count: number, issues: { path: string, message: string }[] }} Letter
 * @typedef {{ letters: Letter[], next?: number }} Page
 * @typedef {{ ok: true, seq: number, uploadId?: string } | { ok: false, seq: number, error: string,
 *   code?: string, issues?: { path: string, message: string }[] }} RequeueResult
 */

const PAGE = 500;
/** @type {{ stage?: string, code?: string }} */
let filter = {};
let admin = false;
/** @type {() => Promise<void>} */
let reload = async () => {};

/** @param {{ admin: boolean, reload: () => Promise<void> }} options */
export function setup(options) {
  admin = options.admin;
  reload = options.reload;
}

/** The query of the current filter. */
function query(/** @type {{ stage?: string, code?: string }} */ f) {
  const params = new URLSearchParams({ limit: String(PAGE) });
  if (f.stage) params.set('stage', f.stage);
  if (f.code) params.set('code', f.code);
  return `/api/v1/dlq?${params}`;
}

/** Loads the first page unfiltered (for the counts) and, with a filter, the filtered one. */
export async function load() {
  /** @type {Page} */
  const all = await api(query({}));
  /** @type {Page} */
  const shown = filter.stage || filter.code ? await api(query(filter)) : all;
  render(all, shown);
  return all;
}

/** @param {{ stage?: string, code?: string }} next */
function setFilter(next) {
  filter = next;
  void reload();
}

/** Letters counted by stage (rows) and code (columns); a count filters the list. */
function summary(/** @type {Page} */ page) {
  const stages = [...new Set(page.letters.map((l) => l.stage))].sort();
  const codes = [...new Set(page.letters.map((l) => l.code))].sort();
  const n = (/** @type {string} */ stage, /** @type {string} */ code) =>
    page.letters.filter((l) => l.stage === stage && l.code === code).length;
  const cell = (/** @type {string} */ stage, /** @type {string} */ code) => {
    const count = n(stage, code);
    const on = filter.stage === stage && filter.code === code;
    return h(
      'td',
      { class: 'num' },
      count > 0
        ? h(
            'button',
            {
              type: 'button',
              class: on ? 'count on' : 'count',
              onclick: () => setFilter(on ? {} : { stage, code }),
            },
            count,
          )
        : h('span', { class: 'muted' }, '·'),
    );
  };
  const rows = stages.map((stage) =>
    h('tr', {}, h('th', { scope: 'row' }, stage), ...codes.map((code) => cell(stage, code))),
  );
  const more = page.next !== undefined ? ` (counts of the first ${PAGE})` : '';
  return h(
    'div',
    { class: 'dlq-summary' },
    h('h3', {}, `By stage and code${more}`),
    table(['Stage', ...codes], rows, 'matrix'),
  );
}

/** @param {Letter} letter */
function letterRow(letter) {
  return h(
    'tr',
    { 'data-seq': letter.seq },
    h('td', { class: 'num' }, letter.seq),
    h('td', { title: letter.failed_at }, fmt.time(letter.failed_at)),
    h('td', {}, letter.stage),
    h('td', {}, h('span', { class: 'code' }, letter.code)),
    h('td', { class: 'mono' }, letter.system_id ?? '–'),
    h('td', { class: 'mono' }, letter.upload_id ?? '–'),
    h('td', { class: 'reason', title: letter.reason }, letter.reason),
    h(
      'td',
      { class: 'actions' },
      h(
        'button',
        { type: 'button', class: 'show', onclick: () => void showLetter(letter.seq) },
        'Show',
      ),
      admin &&
        h(
          'button',
          { type: 'button', class: 'requeue', onclick: () => void requeue(letter.seq) },
          'Requeue',
        ),
    ),
  );
}

/** The filter line: what is shown, and the admin's purge of exactly that. */
function filterBar(/** @type {Page} */ shown) {
  const what = filter.stage ? `stage ${filter.stage}, code ${filter.code}` : 'all letters';
  return h(
    'div',
    { class: 'toolbar' },
    h('span', {}, `Showing ${what}: ${shown.letters.length}${shown.next !== undefined ? '+' : ''}`),
    filter.stage &&
      h('button', { type: 'button', class: 'link', onclick: () => setFilter({}) }, 'Clear filter'),
    admin &&
      shown.letters.length > 0 &&
      h(
        'button',
        { type: 'button', class: 'danger purge', onclick: () => void purge() },
        `Purge ${what}`,
      ),
  );
}

/**
 * @param {Page} all
 * @param {Page} shown
 */
function render(all, shown) {
  const el = byId('dlq');
  if (all.letters.length === 0) return show(el, note('No dead letters.', 'ok'));
  show(
    el,
    summary(all),
    filterBar(shown),
    table(
      ['Seq', 'Failed at', 'Stage', 'Code', 'System', 'Upload', 'Reason', ''],
      shown.letters.map(letterRow),
      'letters',
    ),
  );
}

/** One letter in full: its fields, its issues and its payload. */
async function showLetter(/** @type {number} */ seq) {
  const dialog = byId('letter-dialog', HTMLDialogElement);
  show(byId('letter-title'), `Dead letter ${seq}`);
  show(byId('letter-body'), note('Loading…'));
  dialog.showModal();
  try {
    const shown = await api(`/api/v1/dlq/${seq}`);
    show(byId('letter-body'), ...letterDetail(shown));
  } catch (err) {
    show(byId('letter-body'), failure(err));
  }
}

/** @param {{ letter: Letter, payload?: unknown, payload_source: string }} shown */
function letterDetail({ letter, payload: body, payload_source: source }) {
  const fields = /** @type {[string, unknown][]} */ ([
    ['Stage', letter.stage],
    ['Code', letter.code],
    ['Reason', letter.reason],
    ['System', letter.system_id],
    ['Upload', letter.upload_id],
    ['Record', letter.record_id],
    ['Failed at', fmt.time(letter.failed_at)],
    ['Deliveries', letter.delivery_count],
    ['Payload', `${letter.payload_kind}, ${fmt.bytes(letter.payload_bytes)}, ${source}`],
  ]).filter(([, v]) => v !== undefined);
  const payload = JSON.stringify(body, null, 2) ?? 'gone';
  return [
    h(
      'dl',
      { class: 'fields' },
      ...fields.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))]),
    ),
    letter.issues.length > 0 &&
      h(
        'ul',
        { class: 'issues' },
        ...letter.issues.map((i) =>
          h('li', {}, h('code', {}, i.path || '(root)'), ` ${i.message}`),
        ),
      ),
    h('h4', {}, 'Payload'),
    h(
      'pre',
      { class: 'payload' },
      payload.length > 20_000 ? `${payload.slice(0, 20_000)}\n…` : payload,
    ),
  ];
}

/** Requeues a letter; one that still fails validation is republished only if confirmed. */
async function requeue(/** @type {number} */ seq, force = false) {
  try {
    /** @type {{ results: RequeueResult[] }} */
    const { results } = await api('/api/v1/dlq/requeue', { json: { seqs: [seq], force } });
    const result = results[0];
    if (result?.ok)
      toast(`Letter ${seq} requeued${result.uploadId ? ` as upload ${result.uploadId}` : ''}.`);
    else if (result?.error === 'still_invalid' && !force) return askToForce(seq, result);
    else toast(`Letter ${seq}: ${result?.error ?? 'no result'}`, 'warn');
  } catch (err) {
    toast(
      `Requeue of ${seq} refused: ${err instanceof Error ? err.message : String(err)}`,
      'error',
    );
  }
  await reload();
}

/** @param {number} seq @param {Extract<RequeueResult, { ok: false }>} result */
async function askToForce(seq, result) {
  const issues = (result.issues ?? [])
    .slice(0, 5)
    .map((i) => h('li', {}, `${i.path || '(root)'}: ${i.message}`));
  const body = [
    h('p', {}, `Letter ${seq} still fails validation (${result.code}).`),
    h('ul', { class: 'issues' }, ...issues),
    h('p', {}, 'Republish it anyway? It will most likely be dead-lettered again, as a new letter.'),
  ];
  if (await confirmAction('Force requeue?', body, 'Force requeue')) await requeue(seq, true);
}

/** Deletes the letters the filter shows (all of them without a filter), after confirmation. */
async function purge() {
  const scope = filter.stage ? { stage: filter.stage, code: filter.code } : { all: true };
  const what = filter.stage
    ? `every letter of stage ${filter.stage} with code ${filter.code}`
    : 'every dead letter';
  const body = [h('p', {}, `This deletes ${what} for good, with their payloads.`)];
  if (!(await confirmAction('Purge dead letters?', body, 'Purge'))) return;
  try {
    const { purged } = await api('/api/v1/dlq/purge', { json: { ...scope, confirm: true } });
    toast(`${purged} letters purged.`);
    filter = {};
  } catch (err) {
    toast(`Purge refused: ${err instanceof Error ? err.message : String(err)}`, 'error');
  }
  await reload();
}
