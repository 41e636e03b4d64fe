#!/usr/bin/env node
'use strict';
const { runCommand } = require('../src/command-line');
process.exitCode = 0;
runCommand(process.argv.slice(2));
