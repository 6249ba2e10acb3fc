import type { Pipeline } from '../../app/pipeline';
import type { AgingEvent } from '../../schemas/aging';
import { shardOf } from '../../schemas/ids';
import { STREAM } from '../../streams/definitions';
import { subjects } from '../../streams/subjects';
import { getJson, post } from '../helpers/http';
import { startTestNats, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig } from '../helpers/pipeline';
import { streamMessageCount } from '../helpers/streams';
import { record, upload } from '../helpers/uploads';
import { waitFor } from '../helpers/wait-for';

const SYSTEM = 'admin-routes-host';
const SUBJECT = subjects.upload(shardOf(SYSTEM), SYSTEM);

interface Letter {
  seq: number;
  code: string;
  stage: string;
  upload_id?: string;
  payload_kind: string;
  payload_base64?: string;
}
type Page = { letters: Letter[]; next?: number };

describe('admin HTTP routes: dead letters and aging (no auth configured: loopback is admin)', () => {
  let nats: TestNats;
  let pipeline: Pipeline;
  let base: string;
  const get = <T>(path: string) => getJson<T>(base, path);
  const list = async (query = '') => (await get<Page>(`/api/v1/dlq${query}`)).body.letters;

  beforeAll(async () => {
    nats = await startTestNats();
    pipeline = await startTestPipeline(testConfig(nats.url), ['ingest', 'writer', 'api']);
    base = pipeline.httpAddress!;
    // one record letter (a bad record of a valid upload) and one message letter
    const bad = record('bad-1', 'x', { timestamp: 'yesterday' });
    const good = record('good-1', 'a memory that is stored');
    await nats.js.publish(SUBJECT, JSON.stringify(upload(SYSTEM, 'admin-1', [good, bad])));
    await nats.js.publish(SUBJECT, '{"schema_version": 1, "records": "none"}');
    await waitFor(() => streamMessageCount(nats.nc, STREAM.deadLetters), {
      until: (n) => n === 2,
      what: 'two dead letters',
    });
  });
  afterAll(async () => {
    await pipeline.close();
    await nats.stop();
  });

  it('lists letters with the filters of `akosha dlq list`, paged, without payloads', async () => {
    const all = await list();
    expect(all.map((l) => l.code).sort()).toEqual(['INVALID_RECORD', 'SCHEMA_INVALID']);
    for (const letter of all) expect(letter).not.toHaveProperty('payload_base64');
    expect((await list('?code=INVALID_RECORD')).map((l) => l.upload_id)).toEqual(['admin-1']);
    expect(await list('?stage=write')).toEqual([]);
    expect(await list(`?system_id=${SYSTEM}&since=1h`)).toHaveLength(1); // the record letter
    const first = await get<Page>('/api/v1/dlq?limit=1');
    expect(first.body.letters).toHaveLength(1);
    const second = await get<Page>(`/api/v1/dlq?limit=1&after=${first.body.next}`);
    expect(second.body.letters[0]!.seq).toBeGreaterThan(first.body.letters[0]!.seq);
  });

  it('refuses bad filters with 400 and the issues', async () => {
    for (const query of [
      '?limit=100000',
      '?stage=nowhere',
      '?code=NOT_A_CODE',
      '?since=soon',
      '?x=1',
    ]) {
      const res = await get<{ error: string; issues: unknown[] }>(`/api/v1/dlq${query}`);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request', issues: expect.any(Array) });
    }
  });

  it('shows one letter with its payload; 404 for no letter, 400 for no sequence', async () => {
    const [letter] = await list('?code=INVALID_RECORD');
    const shown = await get<{ seq: number; payload: unknown; payload_source: string }>(
      `/api/v1/dlq/${letter!.seq}`,
    );
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ seq: letter!.seq, payload: { id: 'bad-1' } });
    expect((await get('/api/v1/dlq/999999')).status).toBe(404);
    expect((await get('/api/v1/dlq/abc')).status).toBe(400);
  });

  it('requeues: a still-invalid payload is refused unless forced; a forced one is re-driven', async () => {
    const [letter] = await list('?code=INVALID_RECORD');
    const refused = await post(base, '/api/v1/dlq/requeue', { seqs: [letter!.seq, 999999] });
    expect(refused.status).toBe(200);
    expect(await refused.json()).toEqual({
      results: [
        {
          seq: letter!.seq,
          ok: false,
          error: 'still_invalid',
          code: 'INVALID_RECORD',
          issues: expect.any(Array),
        },
        { seq: 999999, ok: false, error: 'not_found' },
      ],
    });

    const forced = await post(base, '/api/v1/dlq/requeue', { seqs: [letter!.seq], force: true });
    const { results } = (await forced.json()) as { results: { ok: boolean; uploadId: string }[] };
    expect(results[0]).toMatchObject({ ok: true, uploadId: expect.stringMatching(/^admin-1-rq-/) });
    expect((await get(`/api/v1/dlq/${letter!.seq}`)).status).toBe(404);
    // the republished record fails again, in its own upload: proof that it went round
    const again = await waitFor(() => list('?code=INVALID_RECORD'), {
      until: (l) => l.length === 1,
      what: 'the requeued record dead-lettered again',
    });
    expect(again[0]!.upload_id).toBe(results[0]!.uploadId);

    expect((await post(base, '/api/v1/dlq/requeue', { seqs: [] })).status).toBe(400);
    expect((await post(base, '/api/v1/dlq/requeue', { seqs: ['1'] })).status).toBe(400);
  });

  it('purges only with an explicit confirmation, and everything only with "all"', async () => {
    const refusals = [{ code: 'SCHEMA_INVALID' }, { confirm: true }, { confirm: 'yes', all: true }];
    for (const body of refusals)
      expect((await post(base, '/api/v1/dlq/purge', body)).status).toBe(400);
    expect(await list()).toHaveLength(2);

    const one = await post(base, '/api/v1/dlq/purge', { code: 'SCHEMA_INVALID', confirm: true });
    expect(await one.json()).toEqual({ purged: 1 });
    expect((await list()).map((l) => l.code)).toEqual(['INVALID_RECORD']);
    const rest = await post(base, '/api/v1/dlq/purge', { all: true, confirm: true });
    expect(await rest.json()).toEqual({ purged: 1 });
    expect(await list()).toEqual([]);
  });

  it('publishes the aging event of a tier on its subject, as the scheduler does', async () => {
    const seen: AgingEvent[] = [];
    const sub = nats.nc.subscribe(subjects.aging('hot'), {
      callback: (_err, msg) => {
        seen.push(msg.json<AgingEvent>());
      },
    });
    await nats.nc.flush();
    const res = await post(base, '/api/v1/aging/hot', {});
    expect(res.status).toBe(202);
    await waitFor(() => seen.length, { what: 'the aging event' });
    sub.unsubscribe();
    expect(seen[0]).toMatchObject({ schema_version: 1, tier: 'hot' });
    expect(Date.now() - Date.parse(seen[0]!.requested_at)).toBeLessThan(60_000);
    expect((await post(base, '/api/v1/aging/cold', {})).status).toBe(400);
  });
});
