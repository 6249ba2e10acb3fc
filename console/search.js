// @ts-check
import { api } from './api.js';
import { byId, failure, h, note, show } from './dom.js';
import * as fmt from './format.js';

/**
 * Search across systems and tiers: each hit with its system, tier, similarity and the
 * passage that matched (the text, or the warm and cold tiers' summary).
 * @typedef {{ system_id: string, id: string, kind: string, content: string, timestamp: string,
 *   project: string | null, similarity: number, tier: 'hot' | 'warm' | 'cold',
 *   passage?: { index: number, start: number, end: number } }} Hit
 * @typedef {{ query: string, results: Hit[], total: number, took_ms: number, partial: boolean,
 *   cache: string }} SearchReply
 */

const MAX_PASSAGE_CHARS = 600;

/** @param {Hit} hit */
function passageOf(hit) {
  const text = hit.passage ? hit.content.slice(hit.passage.start, hit.passage.end) : hit.content;
  return text.length > MAX_PASSAGE_CHARS ? `${text.slice(0, MAX_PASSAGE_CHARS)}…` : text;
}

/** @param {number} similarity */
function similarityBar(similarity) {
  const fill = h('span', { class: 'fill' });
  fill.style.width = `${Math.max(0, Math.min(1, similarity)) * 100}%`;
  return h(
    'span',
    { class: 'similarity', title: 'cosine similarity' },
    h('span', { class: 'meter' }, fill),
    similarity.toFixed(3),
  );
}

/** @param {Hit} hit */
function hitCard(hit) {
  return h(
    'li',
    { class: 'hit', 'data-id': hit.id },
    h(
      'div',
      { class: 'hit-head' },
      h('span', { class: 'system mono' }, hit.system_id),
      h('span', { class: `tier-badge ${hit.tier}` }, hit.tier),
      similarityBar(hit.similarity),
      h(
        'span',
        { class: 'muted' },
        `${hit.kind} · ${fmt.time(hit.timestamp)}${hit.project ? ` · ${hit.project}` : ''}`,
      ),
    ),
    h('p', { class: 'passage' }, passageOf(hit)),
  );
}

/** @param {SearchReply} reply */
function results(reply) {
  const head = `${reply.results.length} result${reply.results.length === 1 ? '' : 's'} in ${reply.took_ms.toFixed(0)} ms${reply.cache === 'hit' ? ' (cached)' : ''}`;
  return [
    note(head),
    reply.partial && note('Some shards or writers did not answer: results may be missing.', 'warn'),
    reply.results.length > 0 ? h('ol', { class: 'hits' }, ...reply.results.map(hitCard)) : null,
  ];
}

/** @type {() => void} */
let searched = () => {};

/** @param {() => void} handler  called after each search (the cache tile refreshes) */
export function onSearched(handler) {
  searched = handler;
}

export function setup() {
  const form = byId('search-form', HTMLFormElement);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const query = String(data.get('query') ?? '').trim();
    const limit = Number(data.get('limit') ?? 10);
    const system = String(data.get('system_id') ?? '');
    if (query) void run({ query, limit, ...(system && { system_id: system }) });
  });
}

/**
 * The systems to choose from, as the storage panel last listed them. One system's search
 * reaches its cold tier too; a search of all systems reads hot and warm.
 * @param {string[]} systems
 */
export function offerSystems(systems) {
  const select = byId('search-system', HTMLSelectElement);
  const chosen = select.value;
  const all = h('option', { value: '' }, 'All systems (hot and warm)');
  const each = systems.map((id) => h('option', { value: id }, `${id} (every tier)`));
  select.replaceChildren(all, ...each);
  select.value = systems.includes(chosen) ? chosen : '';
}

/** @param {{ query: string, limit: number, system_id?: string }} request */
async function run(request) {
  const out = byId('search-results');
  show(out, note('Searching…'));
  try {
    show(out, ...results(await api('/api/v1/search', { json: request })));
    searched();
  } catch (err) {
    show(out, failure(err));
  }
}
