import type { FastifyInstance } from 'fastify';
import { jsonTextTooDeep } from '../../schemas';
import { LimitError, jsonTooDeep } from './errors';

/**
 * Replaces Fastify's JSON parser in this scope: the raw text is scanned for its nesting
 * before JSON.parse (too deep: 400 `json_too_deep`), and `__proto__` / `constructor.prototype`
 * keys are refused as Fastify's parser does. An empty body is no body.
 */
export function registerJsonParser(
  app: FastifyInstance,
  opts: { bodyLimitBytes: number; maxDepth: number },
): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: opts.bodyLimitBytes },
    (_req, text, done) => {
      const body = text as string;
      if (body.trim() === '') return done(null, undefined);
      if (jsonTextTooDeep(body, opts.maxDepth)) return done(jsonTooDeep(opts.maxDepth));
      try {
        // the reviver costs a call per value: only for bodies that could hold such a key
        const risky = body.includes('__proto__') || body.includes('constructor');
        return done(null, JSON.parse(body, risky ? refusePrototypeKeys : undefined) as unknown);
      } catch (err) {
        if (err instanceof LimitError) return done(err);
        return done(new LimitError(400, 'invalid_json', 'request body is not valid JSON'));
      }
    },
  );
}

/** A JSON.parse reviver: an object that sets a prototype is refused, not merged somewhere later. */
function refusePrototypeKeys(this: unknown, key: string, value: unknown): unknown {
  if (key === '__proto__' || (key === 'constructor' && hasPrototypeKey(value)))
    throw new LimitError(400, 'forbidden_key', `key "${key}" is not allowed in a request body`);
  return value;
}

const hasPrototypeKey = (value: unknown) =>
  typeof value === 'object' && value !== null && Object.hasOwn(value, 'prototype');
