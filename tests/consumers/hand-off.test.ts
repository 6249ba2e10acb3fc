import { jetstreamManager } from '@nats-io/jetstream';
import { HandOff } from '../../consumers/hand-off';
import { createLogger } from '../../infra/logger';
import { startTestNats, type TestNats } from '../helpers/nats';
import { waitFor } from '../helpers/wait-for';

describe('HandOff', () => {
  let nats: TestNats;
  beforeAll(async () => {
    nats = await startTestNats();
    const jsm = await jetstreamManager(nats.nc);
    await jsm.streams.add({ name: 'HANDOFF', subjects: ['handoff.>'], max_msg_size: 64 * 1024 });
  });
  afterAll(async () => {
    nats.server.process.kill('SIGCONT');
    await nats.stop();
  });

  it('waits out a broker that stops answering, and stores each message once', async () => {
    const handOff = new HandOff(nats.js, createLogger('silent'), {
      maxInFlight: 4,
      attemptTimeoutMs: 300,
      giveUpAfterMs: 30_000,
    });
    nats.server.process.kill('SIGSTOP'); // every publish times out until it resumes
    const acks = Array.from({ length: 10 }, (_, i) =>
      handOff.publish('handoff.x', `m${i}`, `id-${i}`),
    );
    await new Promise((r) => setTimeout(r, 2000));
    nats.server.process.kill('SIGCONT');
    const done = await Promise.all(acks);
    expect(done).toHaveLength(10);
    const jsm = await jetstreamManager(nats.nc);
    const messages = await waitFor(async () => (await jsm.streams.info('HANDOFF')).state.messages, {
      until: (n) => n >= 10,
      what: 'messages stored',
    });
    expect(messages).toBe(10);
  });

  it('fails at once on an error that waiting cannot mend', async () => {
    const handOff = new HandOff(nats.js, createLogger('silent'));
    const tooLarge = 'x'.repeat(100 * 1024); // above the stream's max_msg_size
    await expect(handOff.publish('handoff.x', tooLarge, 'big')).rejects.toThrow();
  });
});
