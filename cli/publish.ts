import { readFileSync } from 'node:fs';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { auditCli } from '../audit';
import { AkoshaError, type NatsClientSettings, natsConnectOptions } from '../infra';
import { normaliseSystemId, SYSTEM_ID_PATTERN, type UploadMessage } from '../schemas';
import { publishUpload } from '../producers';
import { SystemRunAudit } from './system-run-audit';

/**
 * `akosha publish <upload.json>`: validates, publishes and prints the broker's answer; the run
 * is recorded in the audit trail on its system's own subject, with the same credentials.
 */
export async function runPublish(file: string, nats: NatsClientSettings): Promise<void> {
  const audit = new SystemRunAudit('publish');
  try {
    await auditCli(
      { nats },
      () => audit.toAction(),
      () => publishFile(file, nats, audit),
    );
  } catch (err) {
    if (!(err instanceof AkoshaError)) throw err;
    console.error(`${err.code}: ${err.message}`);
    for (const issue of err.issues) console.error(`  ${issue.path}: ${issue.message}`);
    process.exitCode = 2;
  }
}

async function publishFile(
  file: string,
  nats: NatsClientSettings,
  audit: SystemRunAudit,
): Promise<void> {
  const upload = readUpload(file);
  audit.forSystem(upload.system_id);
  const nc = await connect(natsConnectOptions(nats, { name: 'akosha-publish' }));
  try {
    const result = await publishUpload(jetstream(nc), upload, {
      maxPayloadBytes: nc.info?.max_payload ?? 1024 * 1024,
    });
    audit.published(result);
    console.log(JSON.stringify(result));
  } catch (err) {
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

/** The upload, its system_id made a valid subject token (and the change said). */
function readUpload(file: string): UploadMessage {
  const upload = JSON.parse(readFileSync(file, 'utf8')) as UploadMessage;
  if (typeof upload.system_id === 'string' && !SYSTEM_ID_PATTERN.test(upload.system_id)) {
    const normalised = normaliseSystemId(upload.system_id);
    console.error(
      `system_id "${upload.system_id}" is not a valid subject token: using "${normalised}"`,
    );
    upload.system_id = normalised;
  }
  return upload;
}
