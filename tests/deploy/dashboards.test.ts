import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Pipeline } from '../../app/pipeline';
import { publishUpload } from '../../producers/publish-upload';
import { STREAM } from '../../streams/definitions';
import { post } from '../helpers/http';
import { startTestNats, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig } from '../helpers/pipeline';
import { metricNamesOf, missingMetrics } from '../helpers/promql';
import { TestRedisServer } from '../helpers/redis';
import { streamMessageCount } from '../helpers/streams';
import { record, upload } from '../helpers/uploads';
import { waitFor } from '../helpers/wait-for';

const ROOT = join(__dirname, '../..');
const DASHBOARDS_DIR = join(ROOT, 'deploy/grafana/dashboards');
const EXPECTED = ['bridge-cache.json', 'ingestion.json', 'query.json', 'storage.json'];
/** The datasource another part of the deployment provisions. */
const DATASOURCE_UID = 'prometheus';

interface Target {
  expr?: string;
  refId?: string;
  legendFormat?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type?: string; uid?: string };
  fieldConfig?: { defaults?: { unit?: string } };
  options?: { legend?: { showLegend?: boolean } };
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating?: { list: { name: string; query?: string | { query?: string } }[] };
}

const files = readdirSync(DASHBOARDS_DIR).filter((f) => f.endsWith('.json'));
const dashboards = files.map((file) => ({
  file,
  board: JSON.parse(readFileSync(join(DASHBOARDS_DIR, file), 'utf8')) as Dashboard,
}));

/** Every panel, those inside collapsed rows included. */
const panelsOf = (board: Dashboard): Panel[] =>
  board.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const queryPanels = (board: Dashboard) => panelsOf(board).filter((p) => p.type !== 'row');

/** `label_values(<selector>, <label>)` reads the selector's metric; other variable queries are PromQL. */
function variableExpr(query: string): string {
  const labelValues = /^\s*label_values\((.*),\s*\w+\s*\)\s*$/s.exec(query);
  return labelValues ? labelValues[1]! : query;
}

/** Every PromQL expression of the dashboards: panel targets and template variables. */
function dashboardExprs(): { where: string; expr: string }[] {
  return dashboards.flatMap(({ file, board }) => [
    ...queryPanels(board).flatMap((p) =>
      (p.targets ?? []).map((t) => ({ where: `${file}: ${p.title}`, expr: t.expr ?? '' })),
    ),
    ...(board.templating?.list ?? []).map((v) => ({
      where: `${file}: $${v.name}`,
      expr: variableExpr(typeof v.query === 'string' ? v.query : (v.query?.query ?? '')),
    })),
  ]);
}

function alertExprs(): string[] {
  const doc = parse(readFileSync(join(ROOT, 'alerts/akosha.rules.yml'), 'utf8')) as {
    groups: { rules: { expr: string }[] }[];
  };
  return doc.groups.flatMap((g) => g.rules.map((r) => r.expr));
}

describe('Grafana dashboards', () => {
  it('are the four of the deployment, each a Grafana 10+ dashboard with its own uid', () => {
    expect(files.sort()).toEqual(EXPECTED);
    const uids = dashboards.map(({ board }) => board.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const { board } of dashboards) {
      expect(board.schemaVersion).toBeGreaterThanOrEqual(38);
      expect(board.title).toMatch(/^Akosha \/ /);
      expect(queryPanels(board).length).toBeGreaterThanOrEqual(8);
    }
  });

  it('query the provisioned Prometheus datasource, with a unit and a legend on every panel', () => {
    const problems: string[] = [];
    for (const { file, board } of dashboards) {
      for (const panel of queryPanels(board)) {
        const where = `${file}: ${panel.title}`;
        const sources = [panel.datasource, ...(panel.targets ?? []).map((t) => t.datasource)];
        if (sources.some((d) => d?.uid !== DATASOURCE_UID || d.type !== 'prometheus'))
          problems.push(`${where}: datasource`);
        if (!panel.fieldConfig?.defaults?.unit) problems.push(`${where}: no unit`);
        if (!panel.targets?.length) problems.push(`${where}: no query`);
        for (const t of panel.targets ?? [])
          if (!t.expr || !t.refId || !t.legendFormat)
            problems.push(`${where}: ${t.refId} incomplete`);
        if (panel.type === 'timeseries' && panel.options?.legend?.showLegend !== true)
          problems.push(`${where}: legend hidden`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('lay their panels out within 24 columns, none over another', () => {
    for (const { file, board } of dashboards) {
      const cells = new Map<string, string>();
      for (const panel of panelsOf(board)) {
        const { x, y, w, h } = panel.gridPos;
        expect({ file, panel: panel.title, right: x + w <= 24 }).toEqual({
          file,
          panel: panel.title,
          right: true,
        });
        for (let col = x; col < x + w; col++)
          for (let row = y; row < y + h; row++) {
            const taken = cells.get(`${col},${row}`);
            expect({ file, overlap: taken && `${taken} / ${panel.title}` }).toEqual({
              file,
              overlap: undefined,
            });
            cells.set(`${col},${row}`, panel.title);
          }
      }
    }
  });

  describe('against a running Akosha', () => {
    let nats: TestNats;
    let redis: TestRedisServer;
    let pipeline: Pipeline;
    let exposition: string;

    beforeAll(async () => {
      [nats, redis] = await Promise.all([startTestNats(), TestRedisServer.start()]);
      pipeline = await startTestPipeline(testConfig(nats.url, { AKOSHA_REDIS_URL: redis.url }));
      const base = pipeline.httpAddress!;
      const memories = [record('dash-1', 'grafana panels read what akosha exports')];
      await publishUpload(nats.js, upload('dashboard-host', 'dash-up-1', memories), {
        maxPayloadBytes: 1 << 20,
      });
      await waitFor(() => streamMessageCount(nats.nc, STREAM.ingested), {
        until: (n) => n === 1,
        what: 'the upload ingested',
      });
      const search = await post(base, '/api/v1/search', { query: 'grafana panels' });
      expect(search.status).toBe(200);
      exposition = await (await fetch(`${base}/metrics`)).text();
    }, 60_000);
    afterAll(async () => {
      await pipeline?.close();
      await Promise.all([nats?.stop(), redis?.stop()]);
    });

    it('exports every metric the dashboards query', () => {
      const exprs = dashboardExprs();
      const used = exprs.flatMap(({ expr }) => metricNamesOf(expr));
      expect(exprs.length).toBeGreaterThan(60);
      expect(exprs.filter(({ expr }) => metricNamesOf(expr).length === 0)).toEqual([]);
      expect(missingMetrics(used, exposition)).toEqual([]);
    });

    it('exports every metric the alert rules read', () => {
      const used = alertExprs().flatMap(metricNamesOf);
      expect(used.length).toBeGreaterThan(15);
      expect(missingMetrics(used, exposition)).toEqual([]);
    });

    it('has labelled series of the upload and the search', () => {
      for (const line of [
        'akosha_ingestion_requests_total{status="accepted"} 1',
        'akosha_ingestion_duration_seconds_count 1',
        'akosha_query_requests_total{endpoint="search",outcome="ok"} 1',
        'akosha_query_duration_seconds_count{endpoint="search"} 1',
        'akosha_http_requests_total{method="POST",route="/api/v1/search",status="200"} 1',
        'akosha_http_request_duration_seconds_count{method="POST",route="/api/v1/search"} 1',
      ])
        expect(exposition).toContain(line);
      expect(exposition).toMatch(/^akosha_hot_store_size_bytes [1-9]\d*$/m);
      expect(exposition).toMatch(/^akosha_ingestion_queue_size \d+$/m);
    });
  });
});
