import { poison } from '../../../faults/scenarios/poison';
import { expectScenarioPasses } from './expect-pass';

it('poison: ' + poison.summary, () => expectScenarioPasses(poison));
