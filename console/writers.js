// @ts-check
import { byId, h, note, show, table } from './dom.js';
import * as fmt from './format.js';

/**
 * Writer leases and shard groups, and the summary tiles: readiness, the Mahavishnu breaker,
 * the query cache and the dead letters.
 * @typedef {{ group: number, owner: string, renewed_at: string }} Lease
 * @typedef {{ owner: string, groups: number[], hot_shards: number[], warm_shards: number[], ready: boolean }} Writer
 * @typedef {{ writer: string, groups: number[], reason: string, message: string }} FailedWriter
 * @typedef {{ hot_shards: number[], warm_shards: number[], writers?: (Writer | FailedWriter)[], leases: Lease[] }} WriterStatus
 * @typedef {{ mode: string, breaker_state: 'closed' | 'open' | 'half_open', last_contact: string | null,
 *   mahavishnu_url: string | null }} Orchestrator
 * @typedef {{ ready: boolean, consuming: boolean, nats: string, roles: string[], embedder: string,
 *   orchestrator?: Orchestrator }} Readiness
 * @typedef {{ lookups: number, hits: number, hit_ratio: number | null }} Cache
 */

/** Groups as ranges: `0-7, 9`. */
function ranges(/** @type {number[]} */ groups) {
  const sorted = [...groups].sort((a, b) => a - b);
  /** @type {string[]} */
  const out = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] ?? 0) + 1) j += 1;
    out.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return out.join(', ');
}

const OWNER_COLOURS = 6;

/** Each owner's colour class, in the order of their lowest group. */
function ownerClasses(/** @type {Lease[]} */ leases) {
  /** @type {Map<string, string>} */
  const classes = new Map();
  for (const lease of [...leases].sort((a, b) => a.group - b.group))
    if (!classes.has(lease.owner))
      classes.set(lease.owner, `owner-${classes.size % OWNER_COLOURS}`);
  return classes;
}

/**
 * Every shard group as a cell, coloured by the writer that holds its lease.
 * @param {Lease[]} leases
 * @param {Map<string, string>} classes
 */
function groupGrid(leases, classes) {
  const cells = [...leases]
    .sort((a, b) => a.group - b.group)
    .map((l) =>
      h(
        'span',
        { class: `group ${classes.get(l.owner)}`, title: `group ${l.group}: ${l.owner}` },
        l.group,
      ),
    );
  return h('div', { class: 'groups', 'aria-label': 'Shard groups by lease owner' }, ...cells);
}

/** Leases by owner: one row per writer process with the groups it holds. */
function ownerRows(/** @type {Lease[]} */ leases, /** @type {Map<string, string>} */ classes) {
  /** @type {Map<string, Lease[]>} */
  const byOwner = new Map();
  for (const lease of leases)
    byOwner.set(lease.owner, [...(byOwner.get(lease.owner) ?? []), lease]);
  return [...byOwner].map(([owner, held]) => {
    const oldest = held.reduce((a, b) => (a.renewed_at < b.renewed_at ? a : b));
    return h(
      'tr',
      {},
      h('td', { class: 'mono' }, h('span', { class: `swatch ${classes.get(owner)}` }), owner),
      h('td', {}, ranges(held.map((l) => l.group))),
      h('td', { class: 'num' }, fmt.count(held.length)),
      h(
        'td',
        { class: 'num', title: fmt.time(oldest.renewed_at) },
        `${fmt.age(oldest.renewed_at)} ago`,
      ),
    );
  });
}

/** @param {(Writer | FailedWriter)[]} writers */
function writerRows(writers) {
  return writers.map((w) =>
    'owner' in w
      ? h(
          'tr',
          {},
          h('td', { class: 'mono' }, w.owner),
          h('td', {}, ranges(w.groups)),
          h('td', { class: 'num' }, `${w.hot_shards.length} / ${w.warm_shards.length}`),
          h(
            'td',
            {},
            h('span', { class: w.ready ? 'pill ok' : 'pill warn' }, w.ready ? 'ready' : 'starting'),
          ),
        )
      : h(
          'tr',
          {},
          h('td', { class: 'mono' }, w.writer),
          h('td', {}, ranges(w.groups)),
          h('td', { colspan: 2 }, h('span', { class: 'pill error' }, w.reason), ` ${w.message}`),
        ),
  );
}

/** @param {WriterStatus} writer */
export function renderWriters(writer) {
  const groups = writer.leases.length;
  const classes = ownerClasses(writer.leases);
  show(
    byId('writers'),
    note(
      `${groups} shard group${groups === 1 ? '' : 's'} leased · this process has ${writer.hot_shards.length} hot and ${writer.warm_shards.length} warm shard files open`,
    ),
    groups > 0 && groupGrid(writer.leases, classes),
    groups > 0
      ? table(
          ['Lease owner', 'Groups', 'Count', 'Renewed'],
          ownerRows(writer.leases, classes),
          'leases',
        )
      : note('No writer holds a lease.', 'warn'),
    writer.writers &&
      table(
        ['Writer process', 'Groups', 'Hot / warm shards', 'State'],
        writerRows(writer.writers),
        'writers',
      ),
  );
}

/**
 * @param {string} id
 * @param {string} value
 * @param {string} detail
 * @param {string} [kind]
 */
export function tile(id, value, detail, kind = '') {
  const el = byId(id);
  el.className = `tile ${kind}`;
  show(el.querySelector('.value') ?? el, value);
  show(el.querySelector('.detail') ?? el, detail);
}

/** @param {Readiness} readiness */
export function renderReadiness(readiness) {
  const kind = readiness.ready ? 'ok' : 'warn';
  tile(
    'tile-ready',
    readiness.ready ? 'Ready' : 'Not ready',
    `NATS ${readiness.nats} · ${readiness.roles.join(', ')}`,
    kind,
  );
  const orch = readiness.orchestrator;
  if (!orch) {
    tile('tile-breaker', 'Not used', 'no Mahavishnu configured: jobs run here');
    return;
  }
  const states = {
    closed: { label: 'Closed', kind: 'ok' },
    half_open: { label: 'Half open', kind: 'warn' },
    open: { label: 'Open', kind: 'error' },
  };
  const { label, kind: state } = states[orch.breaker_state];
  const contact = orch.last_contact
    ? `last contact ${fmt.age(orch.last_contact)} ago`
    : 'no contact yet';
  tile('tile-breaker', label, `${orch.mode} mode · ${contact}`, state);
}

/** @param {Cache} cache */
export function renderCache(cache) {
  const detail =
    cache.lookups === 0
      ? 'no lookups yet'
      : `${fmt.count(cache.hits)} hit${cache.hits === 1 ? '' : 's'} of ${fmt.count(cache.lookups)} lookups`;
  tile('tile-cache', fmt.percent(cache.hit_ratio), detail);
}
