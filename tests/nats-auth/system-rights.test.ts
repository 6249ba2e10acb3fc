import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Pipeline } from '../../app/pipeline';
import { LEASE_BUCKET } from '../../streams/lease-bucket';
import { natsConnectOptions } from '../../infra/nats-options';
import { addSystem, initNatsAuth } from '../../auth/nats-auth';
import { AuditQuery, listAuditEvents } from '../../audit/reader';
import { publishUpload } from '../../producers/publish-upload';
import { shardOf } from '../../schemas/ids';
import { STREAM } from '../../streams/definitions';
import { subjects } from '../../streams/subjects';
import { startTestPipeline, testConfig } from '../helpers/pipeline';
import { runAkosha } from '../helpers/processes';
import { waitFor } from '../helpers/wait-for';
import { record, upload } from '../helpers/uploads';
import { startConfServer, type ConfServer } from './conf-server';

const MAX = { maxPayloadBytes: 1 << 20 };
const PERMISSION = /permissions violation/i;

describe('nats-auth users against a real nats-server', () => {
  let server: ConfServer;
  let pipeline: Pipeline;
  let sysA: NatsConnection;
  let reader: NatsConnection;
  const seed = (file: string) => join(server.dir, 'auth', file);
  const connectWith = (creds: string) =>
    connect(natsConnectOptions({ url: server.url, auth: { creds, user: '', password: '' } }));

  beforeAll(async () => {
    server = await startConfServer('include "auth/auth.conf"', (dir) => {
      initNatsAuth(join(dir, 'auth'));
      addSystem(join(dir, 'auth'), 'sys-a');
    });
    const config = testConfig(server.url, { AKOSHA_NATS_CREDS: seed('akosha.nk') });
    pipeline = await startTestPipeline(config, ['ingest', 'writer']);
    sysA = await connectWith(seed('systems/sys-a.nk'));
    reader = await connectWith(seed('reader.nk'));
  });
  afterAll(async () => {
    await sysA?.close();
    await reader?.close();
    await pipeline?.close();
    await server?.stop();
  });

  it('refuses a client without credentials', async () => {
    await expect(connect({ servers: server.url })).rejects.toThrow(/authorization/i);
  });

  it('a system publishes its own upload, it is ingested, and the reader consumes the event', async () => {
    const ack = await publishUpload(
      jetstream(sysA),
      upload('sys-a', 'own-1', [record('r1', 'a memory of sys-a')]),
      MAX,
    );
    expect(ack).toMatchObject({ upload_id: 'own-1' });

    const jsm = await jetstreamManager(reader, { checkAPI: false });
    await jsm.consumers.add(STREAM.ingested, {
      durable_name: 'downstream',
      ack_policy: AckPolicy.Explicit,
    });
    const consumer = await jetstream(reader).consumers.get(STREAM.ingested, 'downstream');
    const event = await consumer.next({ expires: 30_000 });
    expect(event?.subject).toBe('akosha.ingested.sys-a');
    expect(event?.json()).toMatchObject({ upload_id: 'own-1', system_id: 'sys-a' });
    expect(await event?.ackAck()).toBe(true);
  });

  it("refuses a system's publish on another system's subject", async () => {
    await expect(
      publishUpload(jetstream(sysA), upload('sys-b', 'forged-1', [record('r1', 'x')]), MAX),
    ).rejects.toThrow(PERMISSION);
  });

  it('akosha publish --creds publishes as its system, and not as another', async () => {
    const file = (systemId: string, id: string) => {
      const path = join(server.dir, `${id}.json`);
      writeFileSync(path, JSON.stringify(upload(systemId, id, [record('r1', 'from the CLI')])));
      return path;
    };
    const env = { AKOSHA_NATS_URL: server.url, AKOSHA_START_NATS: 'never' };
    const creds = seed('systems/sys-a.nk');
    const own = await runAkosha(['publish', '--creds', creds, file('sys-a', 'cli-1')], env);
    expect(own.code).toBe(0);
    expect(own.stderr).not.toContain('not recorded');
    const ack = JSON.parse(own.stdout) as { upload_id: string; seqs: number[] };
    expect(ack).toMatchObject({ upload_id: 'cli-1' });
    const other = await runAkosha(['publish', '--creds', creds, file('sys-b', 'cli-2')], env);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(PERMISSION);
    // the forged run's event would be on sys-b's audit subject: refused, and said so
    expect(other.stderr).toContain('warning: audit event publish not recorded');

    // the run's event, recorded with the system's own credential
    const query = AuditQuery.parse({ action: 'publish', since: '10m' });
    const { events } = await listAuditEvents(jetstream(pipeline.nats.nc), query);
    expect(events).toEqual([
      expect.objectContaining({
        principal: `cli:${userInfo().username}`,
        action: 'publish',
        result: 'ok',
        target: { system: 'sys-a', ids: ['cli-1'], sequence: [ack.seqs[0], ack.seqs[0]] },
        detail: { uploads: 1, records: 1, duplicates: 0 },
      }),
    ]);
  }, 120_000); // two CLI processes from source, on a loaded machine

  it('a system records the audit events of its own runs, and only those', async () => {
    const event = JSON.stringify({ action: 'import_session_buddy', principal: 'cli:test' });
    for (const action of ['publish', 'import_session_buddy'] as const) {
      const ack = await jetstream(sysA).publish(subjects.auditOfSystem(action, 'sys-a'), event);
      expect(ack.stream).toBe(STREAM.audit);
    }
  });

  it('a system added to a running server connects after a reload', async () => {
    const { seedFile } = addSystem(join(server.dir, 'auth'), 'sys-c');
    await expect(connectWith(seedFile)).rejects.toThrow(/authorization/i);
    server.reload();
    const sysC = await waitFor(() => connectWith(seedFile).catch(() => undefined), {
      what: 'sys-c accepted after the reload',
    });
    await sysC!.close();
  });

  it.each([
    ['embedded chunks', 'akosha.embedded.0.0'],
    ['ingest events', 'akosha.ingested.sys-a'],
    ['aging triggers', 'akosha.aging.hot'],
    ['a stream delete', `$JS.API.STREAM.DELETE.${STREAM.uploads}`],
    ['a stream purge', `$JS.API.STREAM.PURGE.${STREAM.uploads}`],
    ['a stream read', `$JS.API.STREAM.MSG.GET.${STREAM.uploads}`],
    ['a consumer on the uploads', `$JS.API.CONSUMER.CREATE.${STREAM.uploads}`],
    ['a lease write', `$KV.${LEASE_BUCKET}.group-0`],
    ['a scheduler claim', '$KV.akosha_scheduler.aging'],
    ["another system's publish audit event", 'akosha.audit.publish.sys-b'],
    ["another system's import audit event", 'akosha.audit.import_session_buddy.sys-b'],
    ['an audit event of another action', 'akosha.audit.token.create'],
    ['its own audit event under another action', 'akosha.audit.token.create.sys-a'],
    ['an audit event without its system', 'akosha.audit.publish'],
  ])('refuses a system %s (%s)', async (_what, subject) => {
    await expect(sysA.request(subject, '{}', { timeout: 5_000 })).rejects.toThrow(PERMISSION);
  });

  it('leaves the uploads stream in place after the refused delete', async () => {
    const jsm = await jetstreamManager(pipeline.nats.nc);
    expect((await jsm.streams.info(STREAM.uploads)).state.messages).toBeGreaterThan(0);
  });

  it("refuses a system reading other clients' replies or the events", async () => {
    for (const subject of ['_INBOX.>', 'akosha.ingested.>']) {
      const sub = sysA.subscribe(subject);
      await expect(sub.closed).resolves.toBeInstanceOf(Error);
    }
  });

  it.each([
    ['publish an upload', `akosha.uploads.${shardOf('sys-a')}.sys-a`],
    ['publish an event', 'akosha.ingested.sys-a'],
    ['read the uploads', `$JS.API.STREAM.MSG.GET.${STREAM.uploads}`],
    ['consume the uploads', `$JS.API.CONSUMER.CREATE.${STREAM.uploads}`],
    ['consume the dead letters', `$JS.API.CONSUMER.CREATE.${STREAM.deadLetters}`],
    ['delete the events', `$JS.API.STREAM.DELETE.${STREAM.ingested}`],
    ['delete a consumer', `$JS.API.CONSUMER.DELETE.${STREAM.ingested}.downstream`],
  ])('refuses the reader to %s', async (_what, subject) => {
    await expect(reader.request(subject, '{}', { timeout: 5_000 })).rejects.toThrow(PERMISSION);
  });
});
