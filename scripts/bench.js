#!/usr/bin/env node
// `npm run bench`: how long a warm synth takes next to the bare cost of node loading cdk8s-plus-28,
// how long `npm test` takes warm, how rendering scales to 100 preview environments, and whether the
// cdk8s CLI writes the same files as dist/. Prints a Markdown table with the targets; exits 0
// whatever the figures (1 only when a measured command itself fails, or the synth changed dist/).
//
//   npm run bench -- [--pairs N]
//
// --pairs N  A/B pairs of floor and synth, run alternately (default 15); the median of the
//            pairs' ratios synth/floor is the main figure, as both share whatever load the machine has.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');

const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');
const TARGETS = { ratio: 1.0, testSeconds: 3 };
const SCALE_N = 100;
const TEST_RUNS = 3;
const TIMEOUT_MS = 300_000;
const FLOOR = [process.execPath, ['-e', "require('cdk8s-plus-28')"]];
const SYNTH = [process.execPath, [path.join('scripts', 'synth.js'), '--quiet']];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const ms = (x) => (x >= 100 ? `${Math.round(x)} ms` : `${x.toFixed(x >= 10 ? 1 : 2)} ms`);
const progress = (s) => process.stderr.write(`${s}\n`);
/** The telling line of a command's output: the first error message (`TypeError: …`, `error TS…`, `✘ [ERROR] …`), else the last line. */
const gist = (s) => {
  const lines = String(s).split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const error = lines.find((l) => /^(\w*Error\b|error\b|✘ \[ERROR\])|\berror TS\d+/.test(l)) || lines.find((l) => /error/i.test(l));
  return (error || lines[lines.length - 1] || '').slice(0, 160);
};

/** Runs a command to completion: { ok, ms, why, output }; never throws. */
function run(command, args) {
  const start = process.hrtime.bigint();
  const r = spawnSync(command, args, {
    cwd: root, encoding: 'utf8', timeout: TIMEOUT_MS, maxBuffer: 64 * 2 ** 20, shell: process.platform === 'win32',
  });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  const ok = !r.error && r.status === 0;
  const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit code ${r.status}`;
  return { ok, ms: wallMs, why: ok ? '' : why, output: `${r.stdout || ''}${r.stderr || ''}` };
}
const describe = (command, args) => [path.basename(command) === path.basename(process.execPath) ? 'node' : command, ...args]
  .map((a) => (/[^\w@%+=:,./-]/.test(a) ? JSON.stringify(a) : a)).join(' ');

/** Every file below `dir` (relative path → bytes); empty when `dir` does not exist. */
function snapshot(dir) {
  const files = new Map();
  if (!fs.existsSync(dir)) return files;
  for (const f of fs.readdirSync(dir, { recursive: true }).map(String).sort()) {
    const full = path.join(dir, f);
    if (fs.statSync(full).isFile()) files.set(f, fs.readFileSync(full));
  }
  return files;
}
/** The paths that differ between two snapshots: added, removed or changed. */
function differences(a, b) {
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  return paths.filter((p) => !a.has(p) || !b.has(p) || !a.get(p).equals(b.get(p)));
}

function main() {
  const { values } = parseArgs({ options: { pairs: { type: 'string', default: '15' } } });
  const pairs = Number(values.pairs);
  if (!Number.isInteger(pairs) || pairs < 1) throw new Error(`--pairs ${values.pairs}: expected a positive integer`);
  const began = process.hrtime.bigint();
  const loadBefore = os.loadavg()[0];
  const failures = [];
  const fail = (what, r) => {
    failures.push(`${what}: ${r.why}${r.output.trim() ? ` (${gist(r.output)})` : ''}`);
    progress(`  FAILED ${what}: ${r.why}\n${r.output.trim().split('\n').slice(-15).join('\n')}`);
  };
  const distChanged = (stage, before) => {
    const changed = differences(before, snapshot(dist));
    if (changed.length === 0) return;
    throw new Error(`dist/ changed (${stage}): ${changed.join(', ')}. The synth was not a no-op (dist/ was stale, or ` +
      'another synth ran meanwhile), so its times mean nothing. Re-synth, or wait for the work in progress, and run again.');
  };

  // 1. The main figure: floor and warm synth, alternately, after one warm-up synth that builds the bundle and its V8 code cache.
  const distBefore = snapshot(dist);
  progress(`warm-up: ${describe(...SYNTH)}`);
  const warm = run(...SYNTH);
  const [ratios, floorMs, synthMs] = [[], [], []];
  if (!warm.ok) fail('warm-up synth', warm);
  else {
    distChanged('warm-up', distBefore);
    for (let i = 0; i < pairs; i++) {
      const f = run(...FLOOR);
      if (!f.ok) { fail('floor', f); break; }
      const s = run(...SYNTH);
      if (!s.ok) { fail('synth', s); break; }
      floorMs.push(f.ms);
      synthMs.push(s.ms);
      ratios.push(s.ms / f.ms);
      progress(`  pair ${i + 1}/${pairs}: floor ${ms(f.ms)}, synth ${ms(s.ms)}, ratio ${(s.ms / f.ms).toFixed(3)}`);
    }
    distChanged(`after ${ratios.length} pairs`, distBefore);
  }

  // 2. npm test, warm: one warm-up, then the median of TEST_RUNS.
  progress(`npm test (one warm-up, then the median of ${TEST_RUNS})`);
  const tests = [];
  for (const r of [run('npm', ['test', '--silent'])]) if (!r.ok) fail('npm test (warm-up)', r);
  for (let i = 0; i < TEST_RUNS; i++) {
    const t = run('npm', ['test', '--silent']);
    if (!t.ok) fail(`npm test (run ${i + 1})`, t);
    tests.push(t.ms);
    progress(`  npm test ${i + 1}/${TEST_RUNS}: ${ms(t.ms)}${t.ok ? '' : ' (failed)'}`);
  }

  // 3. Scale, for information: SCALE_N preview environments rendered one after another in this process.
  progress(`render ${SCALE_N} preview environments in process`);
  const scale = (() => {
    try {
      const { renderEnvironment, previewEnvironment } = require('./bundle').load('scripts/bench-entry.ts');
      const envs = Array.from({ length: SCALE_N }, (_, i) => previewEnvironment(i + 1));
      const start = process.hrtime.bigint();
      let objects = 0;
      for (const env of envs) objects += renderEnvironment(env).objects.length;
      return { ms: Number(process.hrtime.bigint() - start) / 1e6, objects };
    } catch (error) {
      return { unavailable: gist(error && error.message ? error.message : error) };
    }
  })();

  // 4. The cdk8s CLI runs the same app: it leaves dist/ as it is (the app writes it, and it is fresh), and its own
  // folder, which it empties first, gets the one stream of every namespace (lib/synth/cli.ts CDK8S_STREAM).
  progress('npx cdk8s synth --no-check-upgrade');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ov-bench-'));
  let cli;
  try {
    const before = snapshot(dist);
    const r = run('npx', ['cdk8s', 'synth', '--no-check-upgrade', '--output', tmp]);
    const changed = r.ok ? differences(before, snapshot(dist)) : [];
    const streamed = r.ok && fs.existsSync(path.join(tmp, 'open-vault.k8s.yaml'));
    cli = !r.ok ? { same: false, text: `no: the command failed (${r.why}: ${gist(r.output)})` }
      : changed.length > 0 ? { same: false, text: `no: ${changed.length} file(s) of dist/ changed (${changed.slice(0, 5).join(', ')})` }
        : !streamed ? { same: false, text: 'no: no open-vault.k8s.yaml in its folder' } : { same: true, text: 'yes' };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  // The report.
  const met = (ok) => (ok ? 'met' : '**not met**');
  const na = (why) => `unavailable (${why})`;
  const ratio = ratios.length ? median(ratios) : undefined;
  const testMs = tests.length ? median(tests) : undefined;
  const sorted = [...ratios].sort((a, b) => a - b);
  const rows = [
    ['figure', 'value', 'target', 'met?'],
    [`warm synth / floor, median of ${ratios.length} A/B pair ratios`, ratio === undefined ? na('the synth failed') : ratio.toFixed(3),
      `≤ ${TARGETS.ratio.toFixed(1)}`, ratio === undefined ? '—' : met(ratio <= TARGETS.ratio)],
    [`floor \`${describe(...FLOOR)}\`, median`, floorMs.length ? ms(median(floorMs)) : '—', '—', ''],
    [`synth \`${describe(...SYNTH)}\`, warm, median`, synthMs.length ? ms(median(synthMs)) : '—', '—', ''],
    ['dist/ byte-identical before and after the synths', warm.ok ? 'yes' : '—', 'yes', warm.ok ? 'met' : '—'],
    [`\`npm test\`, warm, median of ${TEST_RUNS}`, testMs === undefined ? '—' : `${(testMs / 1000).toFixed(2)} s${tests.length && failures.some((f) => f.startsWith('npm test (run')) ? ' (tests failed)' : ''}`,
      `≤ ${TARGETS.testSeconds} s`, testMs === undefined ? '—' : met(testMs <= TARGETS.testSeconds * 1000)],
    [`render ${SCALE_N} preview environments, one process`, scale.unavailable ? na(scale.unavailable.replace(/\|/g, '\\|'))
      : `${ms(scale.ms)} in all, ${ms(scale.ms / SCALE_N)} per environment (${scale.objects} objects)`, '— (scale only)', ''],
    ['`npx cdk8s synth --no-check-upgrade` leaves dist/ as `npm run synth` does, and streams every object', cli.text.replace(/\|/g, '\\|'), 'yes', met(cli.same)],
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r) => `| ${r.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`;
  const cpus = os.cpus();
  const npm = process.env.npm_lifecycle_event === 'bench';
  const out = [
    line(rows[0]),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.slice(1).map(line),
    '',
    ratios.length ? `Pairs (floor, then synth, alternately, after one warm-up synth): ratio ${sorted[0].toFixed(3)}–${sorted[sorted.length - 1].toFixed(3)} ` +
      `(middle half ${sorted[Math.floor((sorted.length - 1) / 4)].toFixed(3)}–${sorted[Math.ceil((3 * (sorted.length - 1)) / 4)].toFixed(3)}); ` +
      `floor ${ms(Math.min(...floorMs))}–${ms(Math.max(...floorMs))}, synth ${ms(Math.min(...synthMs))}–${ms(Math.max(...synthMs))}. Wall time of whole processes.` : 'No pair completed.',
    `npm test runs: ${tests.map((t) => `${(t / 1000).toFixed(2)} s`).join(', ') || 'none'}. The render figure times the renders only, not loading the bundle.`,
    ...failures.map((f) => `Failed: ${f}.`),
    '',
    `Machine: ${cpus.length ? cpus[0].model.trim() : 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB ` +
      `(${(os.freemem() / 2 ** 30).toFixed(1)} GiB free), node ${process.version} (${os.platform()} ${os.arch()}); ` +
      `load average (1 min) ${loadBefore.toFixed(2)} before, ${os.loadavg()[0].toFixed(2)} after.`,
    `Command: ${[...(npm ? ['npm run bench', '--'] : ['node scripts/bench.js']), ...process.argv.slice(2)].join(' ').replace(/ --$/, '')}, ` +
      `${(Number(process.hrtime.bigint() - began) / 1e9).toFixed(1)} s in all.`,
  ];
  process.stdout.write(`\n${out.join('\n')}\n`);
  if (failures.length > 0) process.exitCode = 1;
}

try {
  main();
} catch (error) {
  process.stderr.write(`\nbench: FAILED: ${error.message}\n`);
  process.exitCode = 1;
}
