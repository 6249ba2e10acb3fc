import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pipeline } from '../../app/pipeline';
import { ALL_ROLES, type Role } from '../../app/roles';
import { loadConfig, type AkoshaConfig } from '../../infra/config';
import { createLogger } from '../../infra/logger';

/** Data directories of this test process, removed when it exits. */
const dataRoot = mkdtempSync(join(tmpdir(), 'akosha-data-'));
process.once('exit', () => rmSync(dataRoot, { recursive: true, force: true }));

/** Environment for a pipeline against a test server: own data dir, random HTTP port, quiet logs. */
export function testEnv(
  natsUrl: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    AKOSHA_NATS_URL: natsUrl,
    AKOSHA_START_NATS: 'never',
    AKOSHA_DATA_DIR: mkdtempSync(join(dataRoot, 'run-')),
    AKOSHA_HTTP_PORT: '0',
    AKOSHA_LOG_LEVEL: process.env.AKOSHA_TEST_LOG_LEVEL ?? 'silent',
    AKOSHA_MAHAVISHNU_URL: '', // periodic jobs run locally unless a test says otherwise
    // the shared Redis: each pipeline its own cache namespace, as each has its own data
    AKOSHA_QUERY_CACHE_PREFIX: `akosha-test:${randomUUID()}`,
    ...overrides,
  };
}

export function testConfig(natsUrl: string, overrides: Record<string, string> = {}): AkoshaConfig {
  return loadConfig(testEnv(natsUrl, overrides));
}

export async function startTestPipeline(
  config: AkoshaConfig,
  roles: Role[] = ALL_ROLES,
): Promise<Pipeline> {
  return Pipeline.start(config, roles, createLogger(config.logLevel));
}
