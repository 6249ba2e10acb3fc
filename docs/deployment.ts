/**
 * Draws the scale-out deployment (README, "Scale-out") as docs/deployment.svg:
 * `npm run docs:deployment`. A test fails when the committed picture is stale.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface Box {
  id: string;
  x: number;
  y: number;
  w: number;
  h: number;
  title: string;
  lines: string[];
  fill: string;
}

interface Arrow {
  from: string;
  to: string;
  label?: string;
  /** which sides the arrow joins: bottom → top (down), or right → left side (right, left) */
  way?: 'down' | 'right' | 'left';
}

const STATE = '#fdf2e0';
const STATELESS = '#e6f0fb';
const INFRA = '#eef6ea';
const OUTSIDE = '#f3f3f3';

const BOXES: Box[] = [
  box('fleet', [20, 20, 230, 64], OUTSIDE, 'Session-Buddy × thousands', [
    'one per machine (system_id)',
  ]),
  box('bucket', [270, 20, 200, 64], OUTSIDE, 'S3 / R2 / MinIO bucket', ['their cloud uploads']),
  box('cloud', [490, 20, 210, 64], STATELESS, 'akosha cloud-watch × 2', ['one holds the lease']),
  box('clients', [740, 20, 240, 64], OUTSIDE, 'clients, Mahavishnu', ['search, MCP tools, REST']),
  box('lb', [740, 120, 240, 44], INFRA, 'load balancer (TLS)'),
  box('nats', [20, 200, 680, 96], INFRA, 'NATS cluster: nats-1, nats-2, nats-3 (JetStream, R3)', [
    'streams UPLOADS · EMBEDDED · INGESTED · DLQ · GRAPH · CLOUD · AUDIT',
    'KV: writer leases, cloud state · $SRV query endpoints of the writers',
  ]),
  box('api', [740, 200, 240, 96], STATELESS, 'akosha api × M', [
    'scatter-gather over NATS',
    'hot vectors from Qdrant',
    'scopes, audit, rate limits',
  ]),
  box('ingest', [20, 340, 200, 86], STATELESS, 'akosha ingest × N', [
    'validate, embed',
    'stateless: scale on lag',
  ]),
  box('w0', [250, 340, 210, 86], STATE, 'akosha writer', [
    'groups 0-7 (and the graph)',
    'DuckDB hot + warm',
    'on its own disk',
  ]),
  box('w1', [490, 340, 210, 86], STATE, 'akosha writer', [
    'groups 8-15',
    'DuckDB hot + warm',
    'on its own disk',
  ]),
  box('qdrant', [740, 340, 240, 86], STATE, 'Qdrant (optional)', [
    'shared hot vector store',
    'upserted after each commit',
  ]),
  box('prom', [20, 470, 200, 56], INFRA, 'Prometheus + alert rules', ['scrapes every process']),
  box('cold', [250, 470, 450, 56], STATE, 'S3: cold tier', [
    'Parquet objects, moves verified by sha256',
  ]),
  box('redis', [740, 470, 240, 56], INFRA, 'Redis', ['query cache shared by the APIs']),
];

const ARROWS: Arrow[] = [
  { from: 'fleet', to: 'nats', label: 'publish uploads' },
  { from: 'bucket', to: 'cloud', way: 'right' },
  { from: 'cloud', to: 'nats', label: 'import' },
  { from: 'clients', to: 'lb' },
  { from: 'lb', to: 'api' },
  { from: 'api', to: 'nats', way: 'left', label: 'query' },
  { from: 'nats', to: 'ingest', label: 'uploads' },
  { from: 'nats', to: 'w0', label: 'chunks' },
  { from: 'nats', to: 'w1' },
  { from: 'w0', to: 'cold', label: 'aging' },
  { from: 'w1', to: 'cold' },
  { from: 'w1', to: 'qdrant', way: 'right', label: 'upsert' },
  { from: 'api', to: 'qdrant', label: 'search' },
];

function box(
  id: string,
  [x, y, w, h]: [number, number, number, number],
  fill: string,
  title: string,
  lines: string[] = [],
): Box {
  return { id, x, y, w, h, fill, title, lines };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function boxSvg(b: Box): string {
  const lines = b.lines.map(
    (line, i) =>
      `<text x="${b.x + b.w / 2}" y="${b.y + 40 + i * 16}" class="line">${esc(line)}</text>`,
  );
  return [
    `<rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="8" fill="${b.fill}" stroke="#555"/>`,
    `<text x="${b.x + b.w / 2}" y="${b.y + 22}" class="title">${esc(b.title)}</text>`,
    ...lines,
  ].join('\n');
}

function endpoints(a: Box, b: Box, way: Arrow['way']): [number, number, number, number] {
  const cx = (box: Box) => box.x + box.w / 2;
  const cy = (box: Box) => box.y + box.h / 2;
  if (way === 'right') return [a.x + a.w, cy(a), b.x, cy(a)];
  if (way === 'left') return [a.x, cy(a), b.x + b.w, cy(a)];
  const x = Math.min(Math.max(cx(a), b.x + 20), b.x + b.w - 20);
  return [x, a.y + a.h, x, b.y];
}

function arrowSvg(arrow: Arrow, byId: Map<string, Box>): string {
  const [x1, y1, x2, y2] = endpoints(byId.get(arrow.from)!, byId.get(arrow.to)!, arrow.way);
  const line = `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" class="arrow"/>`;
  if (!arrow.label) return line;
  // beside a vertical arrow, above a horizontal one
  const [lx, ly, anchor] =
    x1 === x2 ? [x1 + 6, (y1 + y2) / 2 + 4, 'start'] : [(x1 + x2) / 2, y1 - 6, 'middle'];
  const label = `<text x="${lx}" y="${ly}" text-anchor="${anchor}" class="label">${esc(arrow.label)}</text>`;
  return `${line}\n${label}`;
}

export function deploymentSvg(): string {
  const byId = new Map(BOXES.map((b) => [b.id, b]));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="546" viewBox="0 0 1000 546" font-family="Helvetica, Arial, sans-serif">
<defs><marker id="head" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#555"/></marker></defs>
<style>.title{font-size:13px;font-weight:bold;text-anchor:middle}.line{font-size:11px;text-anchor:middle;fill:#333}.label{font-size:11px;fill:#225}.arrow{stroke:#555;stroke-width:1.5;marker-end:url(#head)}</style>
<rect width="1000" height="546" fill="#fff"/>
${BOXES.map(boxSvg).join('\n')}
${ARROWS.map((a) => arrowSvg(a, byId)).join('\n')}
</svg>
`;
}

export const DEPLOYMENT_SVG = join(__dirname, 'deployment.svg');

if (require.main === module) {
  writeFileSync(DEPLOYMENT_SVG, deploymentSvg());
  console.log(`written: ${DEPLOYMENT_SVG}`);
}
