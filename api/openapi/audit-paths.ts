import { AuditQuery } from '../../audit/reader';
import { fromZod, invalid, json, type Schema } from './helpers';

const properties = (fromZod(AuditQuery, 'input').properties ?? {}) as Record<string, Schema>;

/** `GET /api/v1/audit` (admin): the audit trail, as `akosha audit list`. */
export const auditPaths = {
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
