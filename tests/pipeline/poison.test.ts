import type { ChildProcess } from 'node:child_process';
import { HASHING_MODEL } from '../../embedding/hashing-embedder';
import { POISON_TEXT } from '../../infra/fault-point';
import type { DeadLetter } from '../../schemas/dead-letter';
import { shardOf } from '../../schemas/ids';
import type { IngestedEvent } from '../../schemas/ingested';
import { HotStore } from '../../storage/hot-store';
import { STREAM } from '../../streams/definitions';
import { subjects } from '../../streams/subjects';
import { startTestNatsWithStreams, type TestNats } from '../helpers/nats';
import { testEnv } from '../helpers/pipeline';
import { kill, spawnAkosha } from '../helpers/processes';
import { readStream } from '../helpers/streams';
import { record, upload } from '../helpers/uploads';
import { waitFor } from '../helpers/wait-for';

const SYSTEM = 'poison-host';
const GOOD = 12;

describe('a message that kills its process', () => {
  let nats: TestNats;
  beforeAll(async () => {
    nats = await startTestNatsWithStreams();
  });
  afterAll(() => nats.stop());

  const letters = () => readStream<DeadLetter>(nats.nc, nats.js, STREAM.deadLetters);
  const events = () => readStream<IngestedEvent>(nats.nc, nats.js, STREAM.ingested);

  it('is dead-lettered alone after restarts; every batch-mate is stored and announced once', async () => {
    const env = testEnv(nats.url, {
      AKOSHA_FAULT_POINT: 'poison', // the writer SIGKILLs itself on the poison record
      AKOSHA_ACK_WAIT_MS: '1500',
      AKOSHA_BATCH_LINGER_MS: '200',
    });
    const publish = (id: string, text: string) =>
      nats.js.publish(
        subjects.upload(shardOf(SYSTEM), SYSTEM),
        JSON.stringify(upload(SYSTEM, id, [record(`${id}-r`, text)])),
        { msgID: id },
      );
    await publish('poison', `this record crashes its writer: ${POISON_TEXT}`);
    for (let u = 0; u < GOOD; u++) await publish(`good-${u}`, `an innocent memory ${u}`);

    let akosha: ChildProcess | undefined;
    let restarts = 0;
    const settled = async () => {
      if (!akosha || akosha.exitCode !== null || akosha.signalCode !== null) {
        akosha = spawnAkosha(['start', '--roles', 'ingest,writer'], env);
        restarts++;
      }
      return (await letters()).length === 1 && (await events()).length === GOOD;
    };
    await waitFor(settled, { timeoutMs: 120_000, intervalMs: 250, what: 'poison isolated' });
    await kill(akosha!, 'SIGTERM');

    expect(restarts).toBeGreaterThan(2); // it did die with the poison, more than once
    expect((await letters()).map((l) => l.data)).toEqual([
      expect.objectContaining({ code: 'POISON', stage: 'write', upload_id: 'poison' }),
    ]);
    const announced = (await events()).map((e) => e.data.upload_id).sort();
    expect(announced).toEqual(Array.from({ length: GOOD }, (_, u) => `good-${u}`).sort());
    const store = await HotStore.open(`${env.AKOSHA_DATA_DIR}/hot`, {
      concurrency: 1,
      model: HASHING_MODEL,
    });
    const keys = await store.keys(shardOf(SYSTEM));
    await store.close();
    expect(keys.sort()).toEqual(
      Array.from({ length: GOOD }, (_, u) => `${SYSTEM}/good-${u}-r`).sort(),
    );
  }, 180_000); // beyond the 120 s wait: each restart starts a process from source
});
