import type { PullTarget } from '../consumers';
import type { Readiness } from '../api';

/** What a stage adds to the process's readiness. */
export interface StageReadiness {
  /** false: the process is not ready because of this stage (a stalled sink, a lost lease) */
  ready: boolean;
  /** fields of the readiness report this stage fills in */
  report?: Partial<Readiness>;
}

/**
 * One part of a process: a consumer stage (embed, shard writer, graph writer, cloud
 * watcher) or a service beside them (HTTP, scheduler bridge, advisories). Its factory
 * only builds it; the pipeline starts the stages its roles pick in list order and stops
 * them in reverse.
 */
export interface Stage {
  readonly name: string;
  start(): Promise<void>;
  /**
   * Drains: takes no new work, finishes and settles what it holds. Idempotent; also called
   * after a start() that failed part-way, and then stops what did start.
   */
  stop(): Promise<void>;
  /** its part of readiness; a stage without it never holds readiness back */
  ready?(): StageReadiness;
  /** the durable consumers it pulls (their lag is exported) */
  readonly watched?: PullTarget[];
  /** settles when the process must not go on because of this stage (a lost writer lease) */
  readonly failure?: Promise<Error>;
}

/**
 * Stages that start one after another and drain together: a consumer stage's drain waits
 * for its open pull requests to expire, and none of them waits for another's.
 */
export function drainTogether(name: string, stages: Stage[]): Stage {
  const started: Stage[] = [];
  const failures = stages.flatMap((s) => (s.failure ? [s.failure] : []));
  return {
    name,
    watched: stages.flatMap((s) => s.watched ?? []),
    ...(failures.length > 0 && { failure: Promise.race(failures) }),
    async start() {
      for (const stage of stages) {
        started.push(stage); // before start(): a start that fails part-way is stopped too
        await stage.start();
      }
    },
    async stop() {
      await Promise.all(started.map((s) => s.stop()));
    },
    ready: () => mergeReadiness(stages),
  };
}

/** The stages' readiness together: ready while none holds it back, their reports merged. */
export function mergeReadiness(stages: readonly Stage[]): StageReadiness {
  const parts = stages.flatMap((s) => (s.ready ? [s.ready()] : []));
  return {
    ready: parts.every((p) => p.ready),
    report: Object.assign({}, ...parts.map((p) => p.report ?? {})) as Partial<Readiness>,
  };
}
