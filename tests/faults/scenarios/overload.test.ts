import { overload } from '../../../faults/scenarios/overload';
import { expectScenarioPasses } from './expect-pass';

it('overload: ' + overload.summary, () => expectScenarioPasses(overload));
