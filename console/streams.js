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

/**
 * @param {Stream} stream
 * @param {number} maxLag
 */
function streamRows(stream, maxLag) {
  if (!stream.exists)
    return [
      h('tr', {}, h('th', { scope: 'row' }, stream.name), h('td', { colspan: 6 }, 'not created')),
    ];
  const head = h(
    'th',
    { scope: 'row', rowspan: Math.max(1, stream.consumers.length) },
    stream.name,
    h('span', { class: 'sub' }, `${fmt.count(stream.messages)} msgs · ${fmt.bytes(stream.bytes)}`),
  );
  if (stream.consumers.length === 0)
    return [h('tr', {}, head, h('td', { colspan: 5, class: 'muted' }, 'no durable consumer'))];
  return stream.consumers.map((c, i) =>
    h(
      'tr',
      { 'data-consumer': c.name },
      i === 0 && head,
      h('td', {}, c.name),
      lagCell(c.num_pending, maxLag),
      h('td', { class: 'num' }, fmt.count(c.num_ack_pending)),
      h('td', { class: 'num' }, fmt.count(c.num_redelivered)),
      h('td', { class: 'num muted' }, fmt.count(c.delivered_stream_seq)),
    ),
  );
}

/** @param {Stream[]} streams */
export function render(streams) {
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
