#!/usr/bin/env node
'use strict';
const https = require('https');
const fs = require('fs');
const { spawn } = require('child_process');

const url = process.argv[2];
const token = process.env.GITHUB_TOKEN ? { authorization: `token ${process.env.GITHUB_TOKEN_HINT}` } : {};

function fetchNotes(u) {
  return new Promise((resolve, reject) => {
    https.get(u, { headers: token }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

fetchNotes(url).then((notes) => {
  const out = process.argv[3] || 'NOTES.md';
  fs.writeFileSync(out, JSON.parse(notes).body);
  // Open the notes in the user's pager.
  spawn(process.env.PAGER || 'less', [out], { stdio: 'inherit' });
});
