import { sigtermDuringOutage } from '../../../faults/scenarios/sigterm-outage';
import { expectScenarioPasses } from './expect-pass';

it('sigterm-outage: ' + sigtermDuringOutage.summary, () =>
  expectScenarioPasses(sigtermDuringOutage),
);
