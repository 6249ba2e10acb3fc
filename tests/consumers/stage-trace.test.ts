import { headers } from '@nats-io/transport-node';
import { nextTrace, TRACE } from '../../consumers/stage-trace';

describe('stage trace headers', () => {
  it('builds none for a message its producer did not trace', () => {
    expect(nextTrace(undefined, { [TRACE.embedReceived]: 1 })).toBeUndefined();
    const untraced = headers();
    untraced.set('Other', 'x');
    expect(nextTrace(untraced, { [TRACE.embedReceived]: 1 })).toBeUndefined();
  });

  it('carries the stamps that came in, adds its own, and drops what is not a number', () => {
    const incoming = headers();
    incoming.set(TRACE.publish, '1000.5');
    incoming.set(TRACE.uploadStored, 'soon');
    incoming.set('Nats-Msg-Id', 'u-1');
    const next = nextTrace(incoming, {
      [TRACE.embedReceived]: 1001.25,
      [TRACE.commit]: undefined,
    })!;
    expect(next.get(TRACE.publish)).toBe('1000.5');
    expect(next.get(TRACE.embedReceived)).toBe('1001.250');
    expect(next.has(TRACE.uploadStored)).toBe(false);
    expect(next.has(TRACE.commit)).toBe(false);
    expect(next.has('Nats-Msg-Id')).toBe(false);
  });

  it('gives each publish a fresh header set (a publish adds its own message id)', () => {
    const incoming = headers();
    incoming.set(TRACE.publish, '1');
    expect(nextTrace(incoming, {})).not.toBe(nextTrace(incoming, {}));
  });
});
