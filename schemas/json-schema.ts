import { z } from 'zod';
import { DeadLetter } from './dead-letter';
import { EmbeddedMessage } from './embedded';
import { GraphMessage } from './graph';
import { IngestedEvent } from './ingested';
import { UploadMessage } from './upload';

/** Messages whose JSON Schema is published for producers in other languages. */
export const PUBLISHED_SCHEMAS = {
  'upload.v1': UploadMessage,
  'embedded.v1': EmbeddedMessage,
  'ingested.v1': IngestedEvent,
  'dead-letter.v1': DeadLetter,
  'graph.v1': GraphMessage,
} as const;

export function renderJsonSchema(name: keyof typeof PUBLISHED_SCHEMAS): string {
  const schema = z.toJSONSchema(PUBLISHED_SCHEMAS[name], { io: 'input' });
  const withId = { $id: `urn:akosha:schema:${name}.json`, title: `akosha.${name}`, ...schema };
  return `${JSON.stringify(withId, null, 2)}\n`;
}
