/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  // the fault matrix runs on its own: npm run test:faults (jest.faults.config.js)
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/tests/faults/scenarios/'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }],
    // jose ships ES modules only, which jest's CommonJS runtime cannot require on node 20
    '/node_modules/jose/.+\\.js$': [
      '@swc/jest',
      { jsc: { target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  testTimeout: 60000,
  maxWorkers: 2,
};
