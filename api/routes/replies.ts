import type { FastifyReply } from 'fastify';
import { issuesFrom } from '../../infra';

/** The error bodies every query route shares with the search route. */
export const invalidRequest = (
  reply: FastifyReply,
  zodIssues: Parameters<typeof issuesFrom>[0],
): FastifyReply =>
  reply.code(400).send({ error: 'invalid_request', issues: issuesFrom(zodIssues) });

export const noShards = (reply: FastifyReply): FastifyReply =>
  reply.code(503).send({ error: 'no_shards', message: 'this process owns no hot shards' });

export const notFound = (reply: FastifyReply): FastifyReply =>
  reply.code(404).send({ error: 'not_found' });
