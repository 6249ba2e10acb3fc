/**
 * The fault matrix (tests/faults/scenarios): real nats-server and akosha processes,
 * killed and restarted. One scenario at a time, so that each has both cores.
 * @type {import('jest').Config}
 */
const base = require('./jest.config.js');

module.exports = {
  ...base,
  roots: ['<rootDir>/tests/faults/scenarios'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 420_000,
  maxWorkers: 1,
};
