#!/usr/bin/env node
// Runs the CLI from its TypeScript source through tsx's require hook, with no build step:
// tests, benchmarks and development use it. Production runs the compiled CLI (bin/akosha.js).
require('tsx/cjs');
require('../cli/akosha.ts');
