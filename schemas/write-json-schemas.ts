import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PUBLISHED_SCHEMAS, renderJsonSchema } from './json-schema';

const outDir = join(__dirname, 'json');
mkdirSync(outDir, { recursive: true });
for (const name of Object.keys(PUBLISHED_SCHEMAS) as (keyof typeof PUBLISHED_SCHEMAS)[]) {
  writeFileSync(join(outDir, `${name}.json`), renderJsonSchema(name));
  console.log(`wrote schemas/json/${name}.json`);
}
