import { noFault } from '../../../faults/scenarios/kill-process';
import { expectScenarioPasses } from './expect-pass';

it('no-fault: ' + noFault.summary, () => expectScenarioPasses(noFault));
