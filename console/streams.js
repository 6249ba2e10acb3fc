// @ts-check
import { byId, h, note, show, table } from './dom.js';
import * as fmt from './format.js';

/**
 * Streams and their durable consumers from `GET /api/v1/status`; a consumer's lag is the
 * number of messages it has not been delivered yet (num_pending).
 * @typedef {{ name: string, num_pending: number, num_ack_pending: number, num_redelivered: number,
 *   delivered_stream_seq: number, ack_floor_stream_seq: number }} Consumer
 * @typedef {{ name: string, exists: true, messages: number, bytes: number, first_seq: number,
 *   last_seq: number, consumer_count: number, consumers: Consumer[] } | { name: string, exists: false }} Stream
 */

/** A bar of this consumer's lag against the largest one shown. */
function lagCell(/** @type {number} */ pending, /** @type {number} */ max) {
  const fill = h('span', { class: pending > 0 ? 'fill' : 'fill zero' });
  fill.style.width = `${max > 0 ? Math.max(pending > 0 ? 3 : 0, (pending / max) * 100) : 0}%`;
  return h(
    'td',
    { class: 'num lag-cell' },
    h('span', { class: 'lag' }, fill),
    h('span', { class: pending > 0 ? 'lagging' : '' }, fmt.count(pending)),
  );
}

/** Streams with more consumers than this list the busy ones and sum up the rest. */
const FOLD_ABOVE = 4;
/** @type {Set<string>} streams whose every consumer is listed */
const unfolded = new Set();
/** @type {Stream[]} */
let last = [];

/** @param {Consumer} c */
const busy = (c) => c.num_pending > 0 || c.num_ack_pending > 0;

/**
 * @param {Consumer} c
 * @param {number} maxLag
 */
const consumerCells = (c, maxLag) => [
  h('td', {}, c.name),
  lagCell(c.num_pending, maxLag),
  h('td', { class: 'num' }, fmt.count(c.num_ack_pending)),
  h('td', { class: 'num' }, fmt.count(c.num_redelivered)),
  h('td', { class: 'num muted' }, fmt.count(c.delivered_stream_seq)),
];

/**
 * The consumers left out of a folded stream, summed, with the switch that lists them.
 * @param {string} stream
 * @param {Consumer[]} rest
 */
function foldCells(stream, rest) {
  const open = unfolded.has(stream);
  const toggle = () => {
    if (open) unfolded.delete(stream);
    else unfolded.add(stream);
    render(last);
  };
  const sum = (/** @type {(c: Consumer) => number} */ f) => rest.reduce((n, c) => n + f(c), 0);
  return [
    h(
      'td',
      { colspan: 2, class: 'muted' },
      open ? '' : `${rest.length} more, none behind `,
      h(
        'button',
        { type: 'button', class: 'link fold', onclick: toggle },
        open ? 'fold' : 'list them',
      ),
    ),
    h('td', { class: 'num muted' }, open ? '' : fmt.count(sum((c) => c.num_ack_pending))),
    h('td', { class: 'num muted' }, open ? '' : fmt.count(sum((c) => c.num_redelivered))),
    h('td', {}),
  ];
}

/**
 * @param {Stream} stream
 * @param {number} maxLag
 */
function streamRows(stream, maxLag) {
  if (!stream.exists)
    return [
      h('tr', {}, h('th', { scope: 'row' }, stream.name), h('td', { colspan: 5 }, 'not created')),
    ];
  const folds = stream.consumers.length > FOLD_ABOVE;
  const listed =
    folds && !unfolded.has(stream.name) ? stream.consumers.filter(busy) : stream.consumers;
  const rest = stream.consumers.filter((c) => !listed.includes(c));
  const rows = listed.map((c) => consumerCells(c, maxLag));
  if (folds) rows.push(foldCells(stream.name, rest));
  const head = h(
    'th',
    { scope: 'row', rowspan: Math.max(1, rows.length) },
    stream.name,
    h('span', { class: 'sub' }, `${fmt.count(stream.messages)} msgs · ${fmt.bytes(stream.bytes)}`),
  );
  if (rows.length === 0)
    return [h('tr', {}, head, h('td', { colspan: 5, class: 'muted' }, 'no durable consumer'))];
  return rows.map((cells, i) =>
    h('tr', { 'data-consumer': listed[i]?.name }, i === 0 && head, ...cells),
  );
}

/** @param {Stream[]} streams */
export function render(streams) {
  last = streams;
  const consumers = streams.flatMap((st) => (st.exists ? st.consumers : []));
  const maxLag = Math.max(0, ...consumers.map((c) => c.num_pending));
  const lagging = consumers.filter((c) => c.num_pending > 0).length;
  show(
    byId('streams'),
    note(
      lagging === 0
        ? `${consumers.length} consumers, none behind.`
        : `${lagging} of ${consumers.length} consumers behind.`,
      lagging === 0 ? 'ok' : 'warn',
    ),
    table(
      ['Stream', 'Consumer', 'Lag', 'Ack pending', 'Redelivered', 'Delivered seq'],
      streams.flatMap((st) => streamRows(st, maxLag)),
      'streams',
    ),
  );
}
