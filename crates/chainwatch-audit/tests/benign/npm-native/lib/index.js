'use strict';
const path = require('path');
const { execSync } = require('child_process');
const binding = require('node-gyp-build')(path.join(__dirname, '..'));

// The compiler version, for the bug report template.
function compilerVersion() {
  try {
    return execSync('cc --version', { encoding: 'utf8' }).split('\n')[0];
  } catch (e) {
    return 'unknown';
  }
}

function hash(data) {
  if (typeof data === 'string') data = Buffer.from(data, 'utf8');
  return binding.hash(data);
}

module.exports = { hash, compilerVersion, env: { ...process.env } };
