import { killIngest } from '../../../faults/scenarios/kill-process';
import { expectScenarioPasses } from './expect-pass';

it('kill-ingest: ' + killIngest.summary, () => expectScenarioPasses(killIngest));
