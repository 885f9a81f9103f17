#!/usr/bin/env node
// The synth entry point of `npm run synth` and `cdk8s synth` (cdk8s.yaml): runs main.ts from its cached bundle.
'use strict';
require('./bundle').load('main.ts');
