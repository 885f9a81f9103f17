#!/usr/bin/env node
// Builds the Go programs the tests run (the test control plane, the reviewers' linter, Argo CD's sync engine)
// from their modules in test/<name>/, each pinned by its go.mod and go.sum. A build is kept in the user's
// cache, keyed by everything that goes into it (sources, go.mod, go.sum, the Go version), so a second run on
// any clone of the same sources builds nothing. Usage: node scripts/go-tools.js [name...]; prints each path.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const root = path.join(__dirname, '..');
/**
 * Each tool: its module folder under test/, what a first build costs on a 2-core machine, and the package
 * to build when it is not the folder's own main (a `tool` of its go.mod, whose main cannot be imported).
 */
const TOOLS = {
  // Stamped with the release it is built from, as Kubernetes' own build does, so that it reports its version.
  cluster: { first: 'about 10 minutes', stamp: 'k8s.io/kubernetes' },
  'kube-score': { first: 'about 2.5 minutes', pkg: 'github.com/zegl/kube-score/cmd/kube-score' },
  // The registry's value rules judged by their consumers' own libraries (test/config/values.ts).
  values: { first: 'about a minute' },
  // Each measured while other builds shared the machine.
  argocd: { first: 'about 7 minutes' },
  kwok: { first: 'about 7 minutes' },
};

function cacheRoot() {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'open-vault', 'go');
}

function sources(dir) {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.go$|^go\.(mod|sum)$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/** `-X` flags naming the version of the module `stamp` that go.mod requires (v1.X.Y), in Kubernetes' version variables. */
function ldflags(dir, stamp) {
  if (!stamp) return '';
  const required = new RegExp(`^\\s*${stamp.replace(/\./g, '\\.')} (v(\\d+)\\.(\\d+)\\.\\d+)\\s*$`, 'm').exec(fs.readFileSync(path.join(dir, 'go.mod'), 'utf8'));
  if (!required) throw new Error(`test/${path.basename(dir)}/go.mod requires no ${stamp} vX.Y.Z`);
  const [, version, major, minor] = required;
  return ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']
    .flatMap((pkg) => [`-X ${pkg}.gitVersion=${version}`, `-X ${pkg}.gitMajor=${major}`, `-X ${pkg}.gitMinor=${minor}`, `-X ${pkg}.gitTreeState=clean`])
    .join(' ');
}

function key(dir, goVersion, flags) {
  const hash = crypto.createHash('sha256').update(`${goVersion}\0${process.platform}/${process.arch}\0${flags}\0`);
  for (const file of sources(dir)) hash.update(`${path.relative(dir, file)}\0`).update(fs.readFileSync(file)).update('\0');
  return hash.digest('hex').slice(0, 16);
}

/** The path of the named tool's binary, built first if this exact source has not been built here before. */
/** Binaries already found or built by this process: their sources do not change while it runs. */
const found = new Map();
let goVersion;

function tool(name, log = (line) => process.stderr.write(`${line}\n`)) {
  if (!TOOLS[name]) throw new Error(`unknown Go tool ${JSON.stringify(name)}: one of ${Object.keys(TOOLS).join(', ')}`);
  if (!found.has(name)) found.set(name, build(name, log));
  return found.get(name);
}

function build(name, log) {
  const dir = path.join(root, 'test', name);
  goVersion ??= execFileSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' }).trim();
  const flags = ldflags(dir, TOOLS[name].stamp);
  const out = path.join(cacheRoot(), `${name}-${key(dir, goVersion, flags)}`);
  const binary = path.join(out, name);
  if (fs.existsSync(binary)) return binary;
  log(`go build test/${name} (${goVersion}; a first build on an empty Go cache takes ${TOOLS[name].first})`);
  fs.mkdirSync(out, { recursive: true });
  const partial = `${binary}.partial-${process.pid}`;
  execFileSync('go', ['build', '-trimpath', '-pgo=off', `-ldflags=${flags}`, '-o', partial, TOOLS[name].pkg ?? '.'], {
    cwd: dir,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=readonly' },
  });
  fs.renameSync(partial, binary);
  return binary;
}

module.exports = { tool, TOOLS };

if (require.main === module) {
  const names = process.argv.slice(2);
  for (const name of names.length ? names : Object.keys(TOOLS)) process.stdout.write(`${tool(name)}\n`);
}
