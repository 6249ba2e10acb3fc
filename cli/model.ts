import type { Command } from 'commander';
import { loadConfig } from '../infra';
import { pullModel } from '../embedding';

/** `akosha model pull <id>`: downloads a model into the model cache, where a network exists. */
export function registerModelCommands(program: Command): void {
  const model = program.command('model').description('embedding models');
  model
    .command('pull <id>')
    .description('download a model (e.g. Xenova/all-MiniLM-L6-v2) into AKOSHA_DATA_DIR/models')
    .option('--dtype <dtype>', 'fp32 or q8', 'q8')
    .action(async (id: string, opts: { dtype: 'fp32' | 'q8' }) => {
      const { embedder } = loadConfig();
      const dir = await pullModel(id, {
        dtype: opts.dtype,
        ...(embedder.cacheDir && { cacheDir: embedder.cacheDir }),
      });
      console.log(`model ${id} (${opts.dtype}) is in ${dir}`);
    });
}
