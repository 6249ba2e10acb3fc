// @ts-check
import { barChart, legend } from './charts.js';
import { byId, h, note, show } from './dom.js';
import * as fmt from './format.js';

/**
 * Records and bytes per tier and per system (`GET /api/v1/tiers`), as bar charts.
 * @typedef {{ records: number, bytes: number, disk_bytes?: number }} Size
 * @typedef {{ hot: Size, warm: Size, cold: Size }} Tiers
 * @typedef {{ tiers: Tiers, systems: ({ system_id: string } & Tiers)[], partial?: true }} TiersReply
 */

/** @type {readonly ('hot' | 'warm' | 'cold')[]} */
const TIERS = ['hot', 'warm', 'cold'];
const TIER_NAMES = { hot: 'Hot', warm: 'Warm', cold: 'Cold' };
const MAX_SYSTEMS = 12;

/** @type {'records' | 'bytes'} */
let measure = 'records';
/** @type {TiersReply | null} */
let last = null;

const formatOf = (/** @type {'records' | 'bytes'} */ m) => (m === 'bytes' ? fmt.bytes : fmt.count);

/** @param {TiersReply} reply */
function tierCharts(reply) {
  /** @param {'records' | 'bytes'} m */
  const chart = (m) =>
    barChart(
      TIERS.map((tier) => ({
        label: TIER_NAMES[tier],
        segments: [{ value: reply.tiers[tier][m], cls: tier, name: TIER_NAMES[tier] }],
      })),
      { title: m === 'bytes' ? 'Bytes per tier' : 'Records per tier', format: formatOf(m) },
    );
  const disk = TIERS.filter((t) => reply.tiers[t].disk_bytes !== undefined).map(
    (t) => `${TIER_NAMES[t].toLowerCase()} ${fmt.bytes(reply.tiers[t].disk_bytes ?? 0)}`,
  );
  return h(
    'div',
    { class: 'chart-pair' },
    h('figure', {}, h('figcaption', {}, 'Records per tier'), chart('records')),
    h(
      'figure',
      {},
      h('figcaption', {}, 'Bytes per tier'),
      chart('bytes'),
      disk.length > 0 && h('p', { class: 'caption' }, `Files on disk: ${disk.join(' · ')}`),
    ),
  );
}

/** @param {TiersReply} reply */
function systemChart(reply) {
  const sum = (/** @type {Tiers} */ t) => TIERS.reduce((n, tier) => n + t[tier][measure], 0);
  const systems = [...reply.systems].sort((a, b) => sum(b) - sum(a));
  const shown = systems.slice(0, MAX_SYSTEMS);
  const bars = shown.map((sys) => ({
    label: sys.system_id,
    segments: TIERS.map((tier) => ({
      value: sys[tier][measure],
      cls: tier,
      name: TIER_NAMES[tier],
    })),
  }));
  const toggle = (/** @type {'records' | 'bytes'} */ m, /** @type {string} */ text) =>
    h(
      'button',
      { type: 'button', class: m === measure ? 'seg-btn on' : 'seg-btn', onclick: () => pick(m) },
      text,
    );
  return h(
    'figure',
    { class: 'systems' },
    h(
      'figcaption',
      {},
      `${measure === 'bytes' ? 'Bytes' : 'Records'} per system`,
      h('span', { class: 'segmented' }, toggle('records', 'Records'), toggle('bytes', 'Bytes')),
    ),
    bars.length > 0
      ? barChart(bars, { title: 'Per system and tier', format: formatOf(measure) })
      : note('No records stored yet.'),
    systems.length > shown.length &&
      h('p', { class: 'caption' }, `and ${systems.length - shown.length} more systems`),
    legend(TIERS.map((tier) => ({ cls: tier, name: TIER_NAMES[tier] }))),
  );
}

/** @param {'records' | 'bytes'} m */
function pick(m) {
  measure = m;
  if (last) render(last);
}

/** @param {TiersReply} reply */
export function render(reply) {
  last = reply;
  show(
    byId('storage'),
    reply.partial ? note('Some writers did not answer: their systems are missing.', 'warn') : null,
    tierCharts(reply),
    systemChart(reply),
  );
}
