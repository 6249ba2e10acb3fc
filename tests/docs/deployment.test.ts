import { readFileSync } from 'node:fs';
import { DEPLOYMENT_SVG, deploymentSvg } from '../../docs/deployment';

test('the committed deployment picture is what docs/deployment.ts draws (npm run docs:deployment)', () => {
  expect(readFileSync(DEPLOYMENT_SVG, 'utf8')).toBe(deploymentSvg());
});
