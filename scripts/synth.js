#!/usr/bin/env node
// Runs main.ts fast: the TypeScript sources are bundled once with esbuild (no type-check; `npm test`
// does that) into a cache keyed by their content, and the cached bundle runs while they are unchanged.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const cacheDir = path.join(root, 'node_modules', '.cache', 'open-vault');
const inputs = ['main.ts', 'package-lock.json', ...['lib', 'imports'].flatMap((dir) => sources(dir))];

function sources(dir) {
  return fs
    .readdirSync(path.join(root, dir), { recursive: true })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f))
    .sort();
}

function bundlePath() {
  const hash = crypto.createHash('sha256');
  for (const file of inputs) hash.update(file).update('\0').update(fs.readFileSync(path.join(root, file))).update('\0');
  return path.join(cacheDir, `synth-${hash.digest('hex').slice(0, 16)}.js`);
}

function build(outfile) {
  fs.mkdirSync(cacheDir, { recursive: true });
  for (const old of fs.readdirSync(cacheDir)) fs.rmSync(path.join(cacheDir, old), { force: true });
  const tmp = `${outfile}.${process.pid}`;
  require('esbuild').buildSync({
    entryPoints: [path.join(root, 'main.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: tmp,
    logLevel: 'error',
  });
  fs.renameSync(tmp, outfile);
}

const bundle = bundlePath();
if (!fs.existsSync(bundle)) build(bundle);
require(bundle);
