import {
  buildDeadLetter,
  type DeadLetterContext,
  type DeadLetterSink,
} from '../../consumers/dead-letters';
import type { PulledMsg } from '../../consumers/pulled-message';
import type { AkoshaError } from '../../infra/errors';
import type { DeadLetter, DeadLetterStage } from '../../schemas/dead-letter';

/**
 * Dead letters in memory, built as DeadLetterPublisher builds them and deduplicated by
 * the same message id (a redelivered failure makes one letter). `failNext()` makes the
 * next publishes reject, as an unreachable broker would.
 */
export class FakeDeadLetters implements DeadLetterSink {
  readonly letters: DeadLetter[] = [];
  private readonly ids = new Set<string>();
  private failures = 0;

  failNext(count = 1): void {
    this.failures += count;
  }

  async publish(
    stage: DeadLetterStage,
    msg: PulledMsg,
    err: AkoshaError,
    ctx: DeadLetterContext = {},
  ): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('dead letter publish failed: no responders');
    }
    const letter = buildDeadLetter(stage, msg, err, ctx);
    const id = `dlq:${letter.stream}:${letter.stream_seq}:${ctx.recordId ?? '*'}`;
    if (this.ids.has(id)) return;
    this.ids.add(id);
    this.letters.push(letter);
  }

  codes(): string[] {
    return this.letters.map((l) => l.code);
  }
}
