#!/usr/bin/env node
// Runs the compiled CLI (dist/). Building is the installer's step: `npm run build`.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const cli = join(__dirname, '..', 'dist', 'cli', 'akosha.js');
if (!existsSync(cli)) {
  console.error(
    `akosha: ${cli} is missing. Build it first with \`npm run build\` (in ${join(__dirname, '..')}).`,
  );
  process.exit(1);
}
process.setSourceMapsEnabled(true); // stack traces name the .ts lines
require(cli);
