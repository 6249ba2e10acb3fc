import { RetentionPolicy } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { loadConfig } from '../../infra/config';
import { STREAM, streamDefinitions } from '../../streams/definitions';

const DAY_MS = 86_400_000;
const auditStream = (env: Record<string, string>) =>
  streamDefinitions(loadConfig(env).streams).find((d) => d.name === STREAM.audit)!;

describe('the AKOSHA_AUDIT stream', () => {
  it('keeps akosha.audit.> with limits retention for 365 days unless AKOSHA_AUDIT_MAX_AGE_DAYS says otherwise', () => {
    expect(auditStream({})).toMatchObject({
      subjects: ['akosha.audit.>'],
      retention: RetentionPolicy.Limits,
      max_age: nanos(365 * DAY_MS),
    });
    expect(auditStream({ AKOSHA_AUDIT_MAX_AGE_DAYS: '30' }).max_age).toBe(nanos(30 * DAY_MS));
    expect(() => loadConfig({ AKOSHA_AUDIT_MAX_AGE_DAYS: '0' })).toThrow(
      'AKOSHA_AUDIT_MAX_AGE_DAYS',
    );
  });
});
