#!/usr/bin/env node
// The entry point of `npm run synth` and `cdk8s synth` (cdk8s.yaml): the synth command of main.ts.
'use strict';
process.argv.splice(2, 0, 'synth');
require('./bundle').load('main.ts');
