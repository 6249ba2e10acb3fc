import type { FastifyInstance } from 'fastify';
import { buildOpenApiDocument } from '../openapi/document';

export const OPENAPI_ROUTE = '/api/v1/openapi.json';

/** Serves the OpenAPI document, built once: it depends on code only. */
export function registerOpenApiRoute(app: FastifyInstance): void {
  let document: ReturnType<typeof buildOpenApiDocument> | undefined;
  app.get(OPENAPI_ROUTE, async () => (document ??= buildOpenApiDocument()));
}
