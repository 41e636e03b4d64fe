#!/usr/bin/env node
"use strict";
const validators = require("./validators");
const config = require("..");
const flagged = Object.keys(config.rules).filter(r => validators[r] && !validators[r]());
if (flagged.length) { console.log("The following rules are unnecessary or might conflict with Prettier:\n\n- " + flagged.join("\n- ")); process.exit(2); }
console.log("No rules that are unnecessary or conflict with Prettier were found.");
