import { killWriter } from '../../../faults/scenarios/kill-process';
import { expectScenarioPasses } from './expect-pass';

it('kill-writer: ' + killWriter.summary, () => expectScenarioPasses(killWriter));
