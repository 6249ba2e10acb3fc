/**
 * The fault matrix (tests/faults/scenarios): real nats-server and akosha processes,
 * killed and restarted. One scenario at a time, so that each has both cores.
 * @type {import('jest').Config}
 */
const base = require('./jest.config.js');

/**
 * Scenarios that still fail for known reasons, kept out of CI until fixed (README, "Fault
 * tests"). `npm run faults -- --only <name>` runs any of them.
 */
const KNOWN_FAILING = [
  'kill-all-in-one', // uploads announced twice after a restart past the duplicate window
  'kill-writer', // the same
  'kill-points', // the same, after a kill between COMMIT and the event
  'poison', // innocent chunks of other groups dead-lettered POISON with the poison
  'sigterm-outage', // the stranded-message sweep dead-letters acked chunks a killed nats-server kept
];

module.exports = {
  ...base,
  roots: ['<rootDir>/tests/faults/scenarios'],
  testPathIgnorePatterns: [
    '/node_modules/',
    ...KNOWN_FAILING.map((name) => `/${name}\\.test\\.ts$`),
  ],
  testTimeout: 420_000,
  maxWorkers: 1,
};
