import { AuditQuery } from '../../audit';
import { fromZod, invalid, json, type Schema } from './helpers';

const properties = (fromZod(AuditQuery, 'input').properties ?? {}) as Record<string, Schema>;

/** `GET /api/v1/audit` and `GET /api/v1/tokens` (admin): who did what, and who may. */
export const auditPaths = {
  '/api/v1/tokens': {
    get: {
      summary:
        'the static tokens: name, role, systems, created_at; never the token or its hash (admin)',
      responses: {
        200: json('every token of AKOSHA_AUTH_TOKENS_FILE', {
          type: 'object',
          required: ['tokens'],
          properties: {
            tokens: {
              type: 'array',
              items: {
                type: 'object',
                required: ['name', 'role', 'systems', 'created_at'],
                properties: {
                  name: { type: 'string' },
                  role: { enum: ['reader', 'writer', 'operator', 'admin'] },
                  systems: {
                    oneOf: [{ const: '*' }, { type: 'array', items: { type: 'string' } }],
                  },
                  created_at: { type: 'string', format: 'date-time' },
                },
              },
            },
          },
        }),
        503: json('the token file cannot be read', {
          type: 'object',
          properties: { error: { type: 'string' }, request_id: { type: 'string' } },
        }),
      },
    },
  },
  '/api/v1/audit': {
    get: {
      summary: 'audit events from `since` on (default: the last 24 hours), oldest first (admin)',
      parameters: Object.entries(properties).map(([name, schema]) => ({
        name,
        in: 'query',
        schema,
      })),
      responses: {
        200: json('a page of events; `truncated`: more match after the last one', {
          type: 'object',
          required: ['events', 'count', 'truncated'],
          properties: {
            events: { type: 'array', items: { type: 'object' } },
            count: { type: 'integer' },
            truncated: { type: 'boolean' },
          },
        }),
        400: invalid,
      },
    },
  },
};
