import { CONSOLE_ASSETS } from '../console/assets';
import { SystemId } from '../../schemas';
import { fromZod, invalid, json, noShards, ref } from './helpers';

const forbidden = json('a system outside the caller’s scope', { type: 'object' });

/** The routes the operator console reads besides the older ones, and the console itself. */
export const consolePaths = {
  '/api/v1/whoami': {
    get: {
      summary: "the caller's name, role and scope (reader)",
      responses: { 200: json('the principal', ref('WhoAmI')) },
    },
  },
  '/api/v1/tiers': {
    get: {
      summary: 'records and bytes per tier and per system, of the systems in scope (reader)',
      parameters: [
        { name: 'system_id', in: 'query', required: false, schema: fromZod(SystemId, 'input') },
      ],
      responses: {
        200: json('sizes', ref('TiersResponse')),
        400: invalid,
        403: forbidden,
        503: noShards,
      },
    },
  },
  '/api/v1/cache': {
    get: {
      summary: "this process's query cache lookups by layer and its hit ratio (operator)",
      responses: { 200: json('lookups since the process started', ref('CacheStats')) },
    },
  },
  '/console': {
    get: {
      summary: 'the operator console: a static page; its data comes from the API (public)',
      security: [],
      responses: {
        200: { description: 'the page', content: { 'text/html': { schema: { type: 'string' } } } },
      },
    },
  },
  '/console/{asset}': {
    get: {
      summary: "the console's stylesheet, scripts and icon, from a fixed list (public)",
      security: [],
      parameters: [{ name: 'asset', in: 'path', required: true, schema: { enum: CONSOLE_ASSETS } }],
      responses: {
        200: { description: 'the file, with its content type' },
        404: json('not a console file', { type: 'object' }),
      },
    },
  },
};
