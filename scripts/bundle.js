// Loads a TypeScript entry of this project fast: the sources are bundled once with esbuild (no
// type-check; `npm test` does that) into a cache keyed by their content, and the cached bundle
// is used while they are unchanged. `npm run synth`, `cdk8s synth` and the benchmark go through here.
// `load` also keeps V8's code cache of the bundle beside it, so a warm start skips compiling it.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const vm = require('node:vm');

const root = path.join(__dirname, '..');
const cacheDir = path.join(root, 'node_modules', '.cache', 'open-vault');

function sources() {
  const ts = (dir) =>
    fs
      .readdirSync(path.join(root, dir), { recursive: true })
      .filter((f) => f.endsWith('.ts') || f.endsWith('.json'))
      .map((f) => path.join(dir, f))
      .sort();
  return ['main.ts', 'package-lock.json', ...ts('lib'), ...ts('imports')];
}

/** The cached bundle of `entry` (a path relative to the project), built first if the sources changed. */
function bundled(entry) {
  const hash = crypto.createHash('sha256');
  for (const file of new Set([entry, ...sources()])) hash.update(file).update('\0').update(fs.readFileSync(path.join(root, file))).update('\0');
  const name = path.basename(entry, '.ts');
  const outfile = path.join(cacheDir, `${name}-${hash.digest('hex').slice(0, 16)}.js`);
  if (fs.existsSync(outfile)) return outfile;

  fs.mkdirSync(cacheDir, { recursive: true });
  for (const old of fs.readdirSync(cacheDir)) if (old.startsWith(`${name}-`)) fs.rmSync(path.join(cacheDir, old), { force: true });
  const tmp = `${outfile}.${process.pid}`;
  require('esbuild').buildSync({
    entryPoints: [path.join(root, entry)],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: tmp,
    logLevel: 'error',
    // Less to read and compile at every start; names are kept for stack traces.
    minifyWhitespace: true,
    minifySyntax: true,
  });
  fs.renameSync(tmp, outfile);
  return outfile;
}

/** Writes `data` to `file` by rename, so a reader never sees half of it; a cache that cannot be written is skipped. */
function writeQuietly(file, data) {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch {
    fs.rmSync(tmp, { force: true });
  }
}

/**
 * Runs the cached bundle of `entry` as a CommonJS module and returns its exports. The compiled code is
 * taken from V8's code cache when there is one for this bundle; after the first run the cache is written,
 * holding every function that run compiled.
 */
function load(entry) {
  const file = bundled(entry);
  const cacheFile = `${file}.v8-${process.version}`;
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData });
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
  if (cachedData === undefined || script.cachedDataRejected) writeQuietly(cacheFile, script.createCachedData());
  return mod.exports;
}

module.exports = { bundled, load, root };
