import { SearchRequest, SearchService } from '../../api/search';
import { HashingEmbedder } from '../../embedding';
import { yieldToEventLoop } from '../../infra';

/** The hashing embedder, each of whose calls waits until the test lets it go on. */
class HeldEmbedder extends HashingEmbedder {
  private readonly held: (() => void)[] = [];
  override async embed(texts: readonly string[]): Promise<Float32Array[]> {
    await new Promise<void>((resolve) => this.held.push(resolve));
    return super.embed(texts);
  }
  release(): void {
    for (const go of this.held.splice(0)) go();
  }
}

describe('a search in flight goes before bulk work of its process', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(async () => {
    await jest.runAllTimersAsync();
    jest.useRealTimers();
  });

  it('holds bulk turns from its start until its answer', async () => {
    const embedder = new HeldEmbedder();
    const service = new SearchService(undefined, embedder, { partTimeoutMs: 1000 });
    const answer = service.search(SearchRequest.parse({ query: 'replay tooling' }));
    let bulkWent = false;
    void yieldToEventLoop().then(() => (bulkWent = true));
    await jest.advanceTimersByTimeAsync(5);
    expect(bulkWent).toBe(false);

    embedder.release();
    await expect(answer).resolves.toMatchObject({ results: [], partial: false });
    await jest.advanceTimersByTimeAsync(2);
    expect(bulkWent).toBe(true);
  });
});
