#!/usr/bin/env node
'use strict';
console.log('nx-cloud: see https://nx.example/ci for connecting your workspace.');
