import { RecordingQdrant } from '../helpers/qdrant/server';
import { runQdrantPipelineSuite } from './qdrant-suite';

// Through the recording server: Qdrant's REST contract and recorded answers (no server here).
runQdrantPipelineSuite('REST contract, recording server', () => RecordingQdrant.start());

// Against a real server when one is given: the same requests, checked, then forwarded to it.
const QDRANT_URL = process.env.QDRANT_URL;
if (QDRANT_URL) {
  const apiKey = process.env.QDRANT_API_KEY;
  runQdrantPipelineSuite(`real Qdrant at ${QDRANT_URL}`, () =>
    RecordingQdrant.start({ upstream: QDRANT_URL, ...(apiKey && { apiKey }) }),
  );
} else {
  console.log('pipeline with Qdrant: the real-server run is skipped (set QDRANT_URL to run it)');
  describe.skip('pipeline with its hot vectors in a real Qdrant (set QDRANT_URL to run)', () => {
    it('stores, searches, moves and re-syncs against the server at QDRANT_URL', () => undefined);
  });
}
