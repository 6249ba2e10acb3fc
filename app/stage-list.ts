import type { GraphStore } from '../storage';
import { cloudWatcherStage } from './cloud-stage';
import { graphStage } from './graph-stage';
import { queryEndpointStage } from './query-endpoint-stage';
import { HttpStage, httpStage, probeStage } from './http-stage';
import type { Readiness } from '../api';
import type { Role } from './roles';
import { advisoriesStage, consumerLagStage, schedulerStage } from './service-stages';
import { drainTogether, type Stage } from './stage';
import { embedStage, type StageContext } from './stages';
import { shardWriterStage } from './writer-stage';
import type { WriterState } from './writer-state';

/** What a process has before its stages are built: its roles and the stores it opened. */
export interface ProcessParts {
  roles: Role[];
  /** the writer's lease and stores (role `writer`) */
  writer?: WriterState | undefined;
  /** the knowledge graph, when this process writes it */
  graph?: GraphStore | undefined;
  readiness: () => Readiness;
}

/**
 * The stages a process runs, in start order; the pipeline stops them in reverse. The
 * services come first (advisories, consumer lag, HTTP, scheduler) and the consumer stages
 * the roles pick last, draining together: so on SIGTERM the consumers drain first while
 * /ready answers 503, and the services stop after them. Every process listens: the API with
 * role `api`, else the probe listener (/health, /ready, /metrics).
 */
export function stagesFor(ctx: StageContext, parts: ProcessParts): Stage[] {
  const { roles, writer, graph } = parts;
  const consumers: Stage[] = [];
  if (roles.includes('ingest')) consumers.push(embedStage(ctx));
  if (writer) consumers.push(shardWriterStage(ctx, writer));
  if (graph) consumers.push(graphStage(ctx, graph, writer && (() => writer.lease.holds())));
  const cloud = ctx.config.cloud;
  if (roles.includes('cloud') && cloud) consumers.push(cloudWatcherStage(ctx, cloud));
  const work = drainTogether('consumers', consumers);
  const services: Stage[] = [advisoriesStage(ctx), consumerLagStage(ctx, () => work.watched ?? [])];
  if (writer) services.push(queryEndpointStage(ctx, writer, graph, parts.readiness));
  if (roles.includes('api')) {
    const sources = { store: writer?.store, mover: writer?.mover, graph };
    services.push(httpStage(ctx, { ...sources, readiness: parts.readiness }));
  } else services.push(probeStage(ctx, parts.readiness));
  if (roles.includes('scheduler')) services.push(schedulerStage(ctx));
  return [...services, work];
}

/** The HTTP stage of a list: the API, or the probe listener of a process without it. */
export const httpOf = (stages: Stage[]): HttpStage | undefined =>
  stages.find((s): s is HttpStage => s instanceof HttpStage);
