import { Svcm, type Service, type ServiceClient, type ServiceConfig } from '@nats-io/services';
import type { NatsConnection } from '@nats-io/transport-node';

export type { Service, ServiceMsg } from '@nats-io/services';

/**
 * @nats-io/services (the NATS micro protocol: `$SRV.PING|INFO|STATS`, endpoint stats, error
 * headers) is published only as 3.0.0-25, typed against @nats-io/nats-core 3.0.0-50. At run
 * time it uses only the connection's subscribe, publish and message respond, which 3.4 keeps
 * (the tests answer `$SRV.*` and endpoint calls over a 3.4 connection); the two versions'
 * types differ only in details (`Match` is an enum there, a string union here) that
 * `exactOptionalPropertyTypes` does not let pass. Hence this one cast.
 */
type ServicesConnection = ConstructorParameters<typeof Svcm>[0];

export function addMicroService(nc: NatsConnection, config: ServiceConfig): Promise<Service> {
  return new Svcm(nc as unknown as ServicesConnection).add(config);
}

/** `$SRV.PING|INFO|STATS` of every instance that answers within the client's 2 s. */
export function microClient(nc: NatsConnection): ServiceClient {
  return new Svcm(nc as unknown as ServicesConnection).client();
}
