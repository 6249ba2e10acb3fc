import type { NatsConnection } from '@nats-io/transport-node';
import { duringRead, type Logger } from '../../infra';
import { ColdReadLimitError } from '../../storage';
import { QUERY_SERVICE, subjects, writerToken } from '../../streams';
import {
  GRAPH_HANDLERS,
  WRITER_HANDLERS,
  type EndpointSources,
  type Handler,
} from './endpoint-handlers';
import { addMicroService, type Service, type ServiceMsg } from './micro';
import { MAX_QUERY_REQUEST_BYTES, QUERY_PROTOCOL_VERSION, QueryEndpointError } from './protocol';
import type { SearchReply } from './replies';

const UTF8 = new TextEncoder();

export interface QueryEndpointDeps {
  nc: NatsConnection;
  sources: EndpointSources;
  /** the server's max_payload: a reply must fit in it */
  maxReplyBytes: number;
  log: Logger;
  /** told how long each answered request spent in each step (the benchmark's split) */
  observe?: ((timing: EndpointTiming) => void) | undefined;
}

/** Where one request's time went in this process, in ms. */
export interface EndpointTiming {
  endpoint: string;
  /** JSON parse and the request's checks */
  parseMs: number;
  /** the answer itself (the search) */
  runMs: number;
  /** the reply serialised and handed to the connection */
  replyMs: number;
}

/**
 * The query endpoints of one writer process, as the NATS micro service `akosha-query`
 * (`$SRV.PING|INFO|STATS` answer for it): search, memory, counts and status on
 * `akosha.query.<writer>.*`, and the graph's queries on `akosha.query.graph.*` in the
 * process that holds the graph. Its metadata names the lease owner and the shard groups.
 */
export class QueryEndpoint {
  readonly name = 'query-endpoint';
  private service: Service | undefined;

  constructor(private readonly deps: QueryEndpointDeps) {}

  async start(): Promise<void> {
    const { sources } = this.deps;
    const token = writerToken(sources.owner);
    const service = await addMicroService(this.deps.nc, {
      name: QUERY_SERVICE,
      version: QUERY_PROTOCOL_VERSION,
      description: 'Akosha query endpoints of one writer process',
      metadata: {
        owner: sources.owner,
        groups: sources.groups.join(','),
        graph: String(sources.graph !== undefined),
      },
    });
    this.service = service;
    for (const [name, handler] of Object.entries(WRITER_HANDLERS))
      service.addEndpoint(name, {
        subject: subjects.query(token, name),
        handler: (_err, msg) => void this.answer(msg, name, handler),
      });
    if (!sources.graph) return;
    for (const [name, handler] of Object.entries(GRAPH_HANDLERS))
      service.addEndpoint(`graph-${name}`, {
        subject: subjects.graphQuery(name),
        handler: (_err, msg) => void this.answer(msg, `graph-${name}`, handler),
      });
  }

  /** Unsubscribes every endpoint; requests in flight still get their reply. Idempotent. */
  async stop(): Promise<void> {
    const service = this.service;
    this.service = undefined;
    if (service && !service.isStopped) await service.stop();
  }

  /** Every endpoint reads: this process's bulk work gives way while it answers. */
  private answer(msg: ServiceMsg, endpoint: string, handler: Handler): Promise<void> {
    return duringRead(() => this.answerNow(msg, endpoint, handler));
  }

  private async answerNow(msg: ServiceMsg, endpoint: string, handler: Handler): Promise<void> {
    try {
      const started = performance.now();
      if (msg.data.length > MAX_QUERY_REQUEST_BYTES)
        throw new QueryEndpointError('too_large', `request over ${MAX_QUERY_REQUEST_BYTES} bytes`);
      const call = handler.parse(decodeBody(msg), this.deps.sources);
      const parsed = performance.now();
      const reply = await handler.run(call, this.deps.sources);
      const ran = performance.now();
      msg.respond(this.encode(reply));
      const parseMs = parsed - started;
      this.deps.observe?.({
        endpoint,
        parseMs,
        runMs: ran - parsed,
        replyMs: performance.now() - ran,
      });
    } catch (err) {
      const failure = this.failureOf(err, msg.subject);
      msg.respondError(
        failure.status,
        failure.message,
        JSON.stringify({ error: failure.code, message: failure.message }),
      );
    }
  }

  /**
   * UTF-8 bytes of the reply, encoded once (their length is what max_payload limits). A search
   * reply that would not fit loses its worst hits (they are counted).
   */
  private encode(reply: unknown): Uint8Array {
    const bytes = UTF8.encode(JSON.stringify(reply));
    if (bytes.length <= this.deps.maxReplyBytes) return bytes;
    const search = reply as Partial<SearchReply>;
    if (!Array.isArray(search.results))
      throw new QueryEndpointError('internal', 'reply larger than max_payload');
    const results = search.results.slice(0, Math.floor(search.results.length / 2));
    const cut = (search.cut ?? 0) + search.results.length - results.length;
    return this.encode({ ...search, results, cut });
  }

  private failureOf(err: unknown, subject: string): QueryEndpointError {
    if (err instanceof QueryEndpointError) return err;
    if (err instanceof ColdReadLimitError) return new QueryEndpointError(err.reason, err.message);
    this.deps.log.error({ err, subject }, 'query endpoint failed');
    return new QueryEndpointError('internal', 'internal error');
  }
}

function decodeBody(msg: ServiceMsg): unknown {
  if (msg.data.length === 0) return {};
  try {
    return msg.json();
  } catch {
    throw new QueryEndpointError('invalid_request', 'request is not JSON');
  }
}
