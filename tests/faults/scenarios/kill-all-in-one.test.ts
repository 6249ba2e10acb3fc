import { killAllInOne } from '../../../faults/scenarios/kill-process';
import { expectScenarioPasses } from './expect-pass';

it('kill-all-in-one: ' + killAllInOne.summary, () => expectScenarioPasses(killAllInOne));
