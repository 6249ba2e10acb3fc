import type { Command } from 'commander';
import { createEmbedder } from '../embedding';
import { auditCli } from '../audit';
import { loadConfig } from '../infra';
import { rebuildSharedVectors, reembed, refuseOwnedShardsAt } from '../operations';
import { HotStore, numberedFiles, openTiers } from '../storage';

/**
 * `akosha reembed`: after a change of embedder, gives every hot and warm record a vector
 * of the configured model. It opens the shard files itself, so it refuses while a live
 * writer owns any of them; the next writer rebuilds its embedded vector index, and a shared
 * Qdrant collection is rewritten here.
 */
export function registerReembedCommand(program: Command): void {
  program
    .command('reembed')
    .description(
      'embed every hot and warm record again with the configured embedder (run while no writer runs)',
    )
    .option('--batch <n>', 'records per embedder call and transaction', '256')
    .action((opts: { batch: string }) =>
      auditCli(loadConfig(), { action: 'reembed', detail: { batch: opts.batch } }, () =>
        runReembed(opts),
      ),
    );
}

async function runReembed(opts: { batch: string }): Promise<void> {
  const batchSize = Number(opts.batch);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`--batch: a positive integer, not ${opts.batch}`);
  const config = loadConfig();
  // the shards it rewrites: those with a hot or a warm file here
  const shards = [
    ...numberedFiles(config.writer.hotDir, /^shard-(\d{3})\.duckdb$/),
    ...numberedFiles(config.aging.warmDir, /^warm-(\d{3})\.duckdb$/),
  ];
  await refuseOwnedShardsAt(config.nats, {
    command: 'akosha reembed',
    shards,
    shardGroups: config.streams.shardGroups,
  });
  const embedder = await createEmbedder(config.embedder);
  const model = embedder.info.model;
  const store = await HotStore.open(config.writer.hotDir, {
    ...config.writer,
    model,
    allowOtherModels: true,
    index: false,
  });
  const mover = await openTiers(store, config.aging);
  try {
    await mover.recover();
    const result = await reembed(store, mover.warm, embedder, {
      batchSize,
      onProgress: (done) => process.stderr.write(`\rre-embedded ${done}`),
    });
    process.stderr.write('\n');
    // a shared Qdrant collection gets the new vectors now; an embedded index at the next start
    const vectors = await rebuildSharedVectors(store, config.writer.vectorStore);
    console.log(JSON.stringify({ ...result, ...(vectors && { vectors }) }));
  } finally {
    await mover.close();
    await store.close();
    await embedder.close();
  }
}
