#!/usr/bin/env node
// Runs a command of main.ts (synth, release, preview, diff) from its cached bundle: `node scripts/ov.js synth`.
'use strict';
require('./bundle').load('main.ts');
