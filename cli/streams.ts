import { connect } from '@nats-io/transport-node';
import { auditCli } from '../audit';
import { createLogger, loadConfig, natsConnectOptions } from '../infra';
import { applyTopology, streamDefinitions } from '../streams';

/**
 * `akosha streams`: applies the topology, so producers can publish before any consumer
 * starts. `force` lowers replicas and limits that the server holds higher.
 */
export async function runApplyStreams(opts: { force?: boolean } = {}): Promise<void> {
  const config = loadConfig();
  if (opts.force) config.streams.force = true;
  const what = { action: 'streams.apply', detail: { force: config.streams.force } };
  await auditCli(config, what, async () => {
    const nc = await connect(natsConnectOptions(config.nats, { name: 'akosha-streams' }));
    try {
      await applyTopology(nc, config.streams, createLogger(config.logLevel));
      for (const s of streamDefinitions(config.streams))
        console.log(`${s.name}\t${s.subjects.join(',')}`);
    } finally {
      await nc.close();
    }
  });
}
