import { killNatsServer } from '../../../faults/scenarios/kill-nats';
import { expectScenarioPasses } from './expect-pass';

it('kill-nats: ' + killNatsServer.summary, () => expectScenarioPasses(killNatsServer));
