import { readFileSync } from 'node:fs';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { AkoshaError, type NatsClientSettings, natsConnectOptions } from '../infra';
import { normaliseSystemId, SYSTEM_ID_PATTERN, type UploadMessage } from '../schemas';
import { publishUpload } from '../producers';

/** `akosha publish <upload.json>`: validates, publishes and prints the broker's answer. */
export async function runPublish(file: string, nats: NatsClientSettings): Promise<void> {
  const upload = JSON.parse(readFileSync(file, 'utf8')) as UploadMessage;
  if (typeof upload.system_id === 'string' && !SYSTEM_ID_PATTERN.test(upload.system_id)) {
    const normalised = normaliseSystemId(upload.system_id);
    console.error(
      `system_id "${upload.system_id}" is not a valid subject token: using "${normalised}"`,
    );
    upload.system_id = normalised;
  }
  const nc = await connect(natsConnectOptions(nats, { name: 'akosha-publish' }));
  try {
    const result = await publishUpload(jetstream(nc), upload, {
      maxPayloadBytes: nc.info?.max_payload ?? 1024 * 1024,
    });
    console.log(JSON.stringify(result));
  } catch (err) {
    if (err instanceof AkoshaError) {
      console.error(`${err.code}: ${err.message}`);
      for (const issue of err.issues) console.error(`  ${issue.path}: ${issue.message}`);
      process.exitCode = 2;
      return;
    }
    // nats.js says this when no stream takes the subject, JetStream enabled or not
    if (/jetstream is not enabled|no responders/i.test(String(err)))
      throw new Error(
        `no stream takes akosha.uploads.> at ${nats.url}: start Akosha once (it creates its streams) or run "akosha streams"`,
        { cause: err },
      );
    throw err;
  } finally {
    await nc.close();
  }
}
