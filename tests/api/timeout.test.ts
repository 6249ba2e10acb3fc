import { once } from 'node:events';
import { connect, createServer, type AddressInfo } from 'node:net';
import { withDeadline, withLoopTimeout, withTimeout } from '../../api/timeout';
import { blockLoop } from '../helpers/block-loop';

const never = () => new Promise<never>(() => undefined);

describe('withDeadline', () => {
  it('gives work that settles in time its own result, and each late one a TimeoutError', async () => {
    const outcomes = await withDeadline(50, (deadline) =>
      Promise.allSettled([deadline.race(Promise.resolve('fast')), deadline.race(never())]),
    );
    expect(outcomes[0]).toEqual({ status: 'fulfilled', value: 'fast' });
    expect(outcomes[1]).toMatchObject({ status: 'rejected', reason: { name: 'TimeoutError' } });
  });

  it('passes on what the work threw, and what `use` returns', async () => {
    const boom = withDeadline(5000, (deadline) => deadline.race(Promise.reject(new Error('boom'))));
    await expect(boom).rejects.toThrow('boom');
    await expect(withDeadline(5000, async () => 42)).resolves.toBe(42);
  });
});

describe('withTimeout', () => {
  it('rejects late work with a TimeoutError', async () => {
    await expect(withTimeout(never(), 20)).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});

/** A reply over a real loopback socket: it is read in the poll phase, after the timers. */
async function echoReply(): Promise<{ reply: Promise<unknown>; close: () => void }> {
  const server = createServer((socket) => socket.on('data', (d) => socket.write(d)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await once(client, 'connect');
  const reply = once(client, 'data');
  client.write('ping');
  return { reply, close: () => (client.destroy(), server.close()) };
}

describe('withLoopTimeout', () => {
  it('counts a reply read after the event loop was blocked as in time, where withTimeout does not', async () => {
    const loopAware = await echoReply();
    const plain = await echoReply();
    const waits = [withLoopTimeout(loopAware.reply, 150), withTimeout(plain.reply, 150)];
    blockLoop(500);
    const [aware, naive] = await Promise.allSettled(waits);
    loopAware.close();
    plain.close();
    expect(aware!.status).toBe('fulfilled');
    expect(naive).toMatchObject({ status: 'rejected', reason: { name: 'TimeoutError' } });
  });

  it('still rejects work that never settles, blocked loop or not', async () => {
    await expect(withLoopTimeout(never(), 20)).rejects.toMatchObject({ name: 'TimeoutError' });
    const blocked = withLoopTimeout(never(), 20);
    blockLoop(100);
    await expect(blocked).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('passes on what the work threw', async () => {
    await expect(withLoopTimeout(Promise.reject(new Error('boom')), 1000)).rejects.toThrow('boom');
  });
});
