import { killMidTierMove } from '../../../faults/scenarios/tier-move';
import { expectScenarioPasses } from './expect-pass';

it('kill-tier-move: ' + killMidTierMove.summary, () => expectScenarioPasses(killMidTierMove));
