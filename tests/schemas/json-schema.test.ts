import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PUBLISHED_SCHEMAS, renderJsonSchema } from '../../schemas/json-schema';

describe('published JSON Schemas', () => {
  it.each(Object.keys(PUBLISHED_SCHEMAS))(
    'schemas/json/%s.json is up to date (npm run schemas)',
    (name) => {
      const file = readFileSync(join(__dirname, '../../schemas/json', `${name}.json`), 'utf8');
      expect(file).toBe(renderJsonSchema(name as keyof typeof PUBLISHED_SCHEMAS));
    },
  );

  it('the upload schema pins the embedding dimension and the id patterns', () => {
    const schema = JSON.parse(renderJsonSchema('upload.v1'));
    const recordProps = schema.properties.records.items.properties;
    expect(recordProps.embedding.anyOf[0]).toMatchObject({ minItems: 384, maxItems: 384 });
    expect(schema.properties.system_id.pattern).toBe('^[A-Za-z0-9_-]{1,100}$');
  });
});
