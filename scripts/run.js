#!/usr/bin/env node
// Runs a TypeScript entry of this project: `node scripts/run.js main.ts [args]` (npm run synth, cdk8s.yaml),
// `node scripts/run.js lib/synth/commands.ts release|preview|diff [args]`. esbuild compiles the entry and the
// project's modules it imports into one CommonJS module in memory (packages stay in node_modules; no type check:
// npm test does that), and node runs it: nothing is written, so concurrent commands never share a half-written
// file. A source that does not build is one line and exit 70, as lib/synth/exit.ts has it.
'use strict';
const Module = require('node:module');
const path = require('node:path');

// Compiled code is cached by node itself (22.1 and newer) or by v8-compile-cache (older).
if (Module.enableCompileCache) Module.enableCompileCache();
else require('v8-compile-cache');

const root = path.join(__dirname, '..');
const entry = path.resolve(root, process.argv[2] ?? 'main.ts');
let code;
try {
  const { outputFiles } = require('esbuild').buildSync({
    entryPoints: [entry], bundle: true, packages: 'external', platform: 'node', target: 'node20', format: 'cjs',
    write: false, outdir: path.dirname(entry), logLevel: 'silent',
  });
  code = outputFiles[0].text;
} catch (error) {
  const first = error && Array.isArray(error.errors) ? error.errors[0] : undefined;
  const where = first && first.location ? `${first.location.file}:${first.location.line}:${first.location.column}: ` : '';
  process.stderr.write(`error: cannot build ${path.relative(root, entry)}: ${where}${first ? first.text : String(error && error.message).split('\n')[0]}\n`);
  process.exit(70);
}
process.argv.splice(1, 2, entry); // as `node <entry> [args]` would have it
const mod = new Module(entry, module);
mod.filename = entry;
mod.paths = Module._nodeModulePaths(path.dirname(entry));
mod._compile(code, entry);
