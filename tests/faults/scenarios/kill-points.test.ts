import { killAtWritePoints } from '../../../faults/scenarios/kill-points';
import { expectScenarioPasses } from './expect-pass';

it('kill-points: ' + killAtWritePoints.summary, () => expectScenarioPasses(killAtWritePoints));
