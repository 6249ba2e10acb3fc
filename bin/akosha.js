#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's require hook, so no build step is needed.
require('tsx/cjs');
require('../cli/akosha.ts');
