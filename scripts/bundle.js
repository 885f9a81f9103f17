// Loads a TypeScript entry of this project fast: the sources are bundled once with esbuild (no
// type-check; `npm test` does that) into a cache keyed by their content, and the cached bundle
// is used while they are unchanged. `npm run synth`, `cdk8s synth` and the benchmark go through here.
// `load` also keeps V8's code cache of the bundle beside it, so a warm start skips compiling it.
'use strict';
const { isAscii } = require('node:buffer');
const crypto = require('node:crypto');
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const vm = require('node:vm');

const root = path.join(__dirname, '..');
const cacheDir = path.join(root, 'node_modules', '.cache', 'open-vault');

/**
 * The files a bundle is built from, relative to the project: what its cache key covers. The state files
 * (lib/config/*.json) are read at run time, not bundled, so a release or a preview rebuilds nothing;
 * `bundled` refuses a bundle that takes in a file of the project (outside node_modules) not listed here.
 */
function sources() {
  // A walk of its own: readdirSync's `recursive` option is several times slower.
  const walk = (dir, out) => {
    for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const file = path.join(dir, e.name);
      if (e.isDirectory()) walk(file, out);
      else if (file.endsWith('.ts')) out.push(file);
    }
    return out;
  };
  const ts = (dir) => walk(dir, []).sort();
  // This file too: how the bundle is built (its esbuild options) is part of what it is.
  // The configuration esbuild reads (tsconfig.json, package.json) is as much an input as the code.
  const settings = ['package.json', 'package-lock.json', 'tsconfig.json'].filter((f) => fs.existsSync(path.join(root, f)));
  return ['main.ts', ...settings, 'scripts/bundle.js', ...ts('lib'), ...ts('imports')];
}

const sha256 = (data) => crypto.createHash('sha256').update(data).digest('hex');

/**
 * A file changed less than this long ago is not stamped: the file system's clock is coarse, so a file written
 * again within the same tick, to the same size, would keep its times.
 */
const SETTLED_MS = 2000;

/**
 * The sha256 of each file (relative to the project). A file's is kept in `stampsFile` with its size, times and
 * inode, as git's index does, and taken from there while they are the same, so a warm start reads no source.
 */
function contentHashes(files, stampsFile) {
  let stamps = {};
  try {
    stamps = JSON.parse(fs.readFileSync(stampsFile, 'utf8'));
  } catch {
    stamps = {};
  }
  const next = {};
  const settled = Date.now() - SETTLED_MS;
  const hashes = files.map((file) => {
    const st = fs.statSync(path.join(root, file));
    const s = stamps[file];
    const same = s && s.size === st.size && s.mtimeMs === st.mtimeMs && s.ctimeMs === st.ctimeMs && s.ino === st.ino && typeof s.sha256 === 'string';
    const hash = same ? s.sha256 : sha256(fs.readFileSync(path.join(root, file)));
    if (st.mtimeMs < settled && st.ctimeMs < settled) next[file] = { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, sha256: hash };
    return hash;
  });
  if (JSON.stringify(next) !== JSON.stringify(stamps)) {
    fs.mkdirSync(cacheDir, { recursive: true });
    writeQuietly(stampsFile, JSON.stringify(next));
  }
  return hashes;
}

/**
 * `code` with every non-ASCII character written as a `\u` escape, which means the same in strings, regular
 * expressions, identifiers and comments (esbuild escapes strings but leaves regular expression literals as they are).
 * An all-ASCII bundle is read as a one-byte string, several times faster than decoding UTF-8 into a two-byte one.
 */
function asciiOnly(code) {
  return code.replace(/(\\*)([^\x00-\x7f])/gu, (_, slashes, c) => {
    let escaped = '';
    for (let i = 0; i < c.length; i++) escaped += `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`; // UTF-16 units: a surrogate pair for an astral character
    // An odd run of backslashes escapes the character itself (`\µ` is `µ`): the last one becomes the escape's.
    return `${slashes.length % 2 ? slashes.slice(1) : slashes}${escaped}`;
  });
}

/** The cached bundle of `entry` (a path relative to the project), built first if the sources changed. */
function bundled(entry) {
  const name = path.basename(entry, '.ts');
  const files = [...new Set([entry, ...sources()])];
  const hashes = contentHashes(files, path.join(cacheDir, `${name}.sources.json`));
  const hash = crypto.createHash('sha256');
  files.forEach((file, i) => hash.update(file).update('\0').update(hashes[i]).update('\0'));
  const outfile = path.join(cacheDir, `${name}-${hash.digest('hex').slice(0, 16)}.js`);
  if (fs.existsSync(outfile)) return outfile;

  fs.mkdirSync(cacheDir, { recursive: true });
  for (const old of fs.readdirSync(cacheDir)) if (old.startsWith(`${name}-`)) fs.rmSync(path.join(cacheDir, old), { force: true });
  const tmp = `${outfile}.${process.pid}`;
  const { outputFiles, metafile } = require('esbuild').buildSync({
    entryPoints: [path.join(root, entry)],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile,
    absWorkingDir: root,
    write: false,
    metafile: true,
    // Its errors are thrown, and `load` reports them in one line.
    logLevel: 'silent',
    // Less to read and compile at every start; names are kept for stack traces.
    minifyWhitespace: true,
    minifySyntax: true,
  });
  // Inputs are relative to `root`; installed packages may lie outside it (a linked node_modules).
  const uncovered = Object.keys(metafile.inputs).map((f) => path.relative(root, path.resolve(root, f)))
    .filter((f) => !f.startsWith(`..${path.sep}`) && !f.startsWith(`node_modules${path.sep}`) && !files.includes(f.split(path.sep).join('/')));
  if (uncovered.length > 0) throw new Error(`scripts/bundle.js: ${uncovered.join(', ')} would be bundled but not be in the cache key`);
  fs.writeFileSync(tmp, asciiOnly(outputFiles[0].text));
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

/** The text of a bundle: ASCII (as `bundled` writes it) is read as Latin-1, the same characters, decoded faster. */
function readSource(file) {
  const bytes = fs.readFileSync(file);
  return bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
}

/**
 * Runs the cached bundle of `entry` as a CommonJS module and returns its exports. The compiled code is
 * taken from V8's code cache when there is one for this bundle; after the first run the cache is written,
 * holding every function that run compiled.
 */
function load(entry) {
  let file;
  try {
    file = bundled(entry);
  } catch (error) {
    // A bundle that cannot be built is a fault of the code: one line and exit 70, as lib/synth/exit.ts has it.
    const first = error && Array.isArray(error.errors) ? error.errors[0] : undefined;
    const where = first && first.location ? `${first.location.file}:${first.location.line}:${first.location.column}: ` : '';
    process.stderr.write(`error: cannot build ${entry}: ${where}${first ? first.text : String(error && error.message).split('\n')[0]}\n`);
    process.exitCode = 70;
    return undefined;
  }
  const cacheFile = `${file}.v8-${process.version}`;
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(readSource(file)), { filename: file, cachedData });
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
  if (cachedData === undefined || script.cachedDataRejected) writeQuietly(cacheFile, script.createCachedData());
  return mod.exports;
}

module.exports = { bundled, load, root };
