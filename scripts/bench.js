#!/usr/bin/env node
// `npm run bench`: how long a synth takes next to the bare cost of starting npm and loading
// cdk8s-plus-28, and how rendering scales with the number of environments (generated preview
// environments, each batch in a fresh process). Prints a Markdown table and the targets with
// PASS/FAIL; exits 0 whatever the numbers, as it measures and does not test (1 only when a
// measured command itself fails).
//
//   npm run bench -- [--runs N] [--budget SECONDS]
//
// --runs N         runs of each case, the median is reported (default 5)
// --budget SECONDS past this much wall time, a case stops after 3 runs (default 90)
//
// Internal: `node scripts/bench.js --child N BUNDLE` renders N preview environments with the
// bundle BUNDLE and prints one JSON line.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');

const root = path.join(__dirname, '..');
const ENTRY = 'scripts/bench-entry.ts';
const SIZES = [10, 100, 1000];
const TARGETS = { synthToFloor: 1.3, linear: 11, msPerEnv: 5, peakMiB: 300, testSeconds: 3 };
/** A case keeps at least this many runs whatever the budget, so that its median means something. */
const MIN_RUNS = 3;
/** No single process may take longer than this. */
const PROCESS_TIMEOUT_MS = 60_000;

// ---------------------------------------------------------------------------------------------
// Child: render N environments one after another; time the renders only, not the module load.

function child(n, bundle) {
  // The three steps of renderEnvironment (lib/render.ts), timed one by one.
  const { buildObjects, assertValid, toYaml, previewEnvironment } = require(bundle);
  const envs = Array.from({ length: n }, (_, i) => previewEnvironment(i + 1));
  const phases = { build: 0n, validate: 0n, yaml: 0n };
  let objects = 0;
  let bytes = 0;
  for (const env of envs) {
    const t0 = process.hrtime.bigint();
    const built = buildObjects(env);
    const t1 = process.hrtime.bigint();
    assertValid(built);
    const t2 = process.hrtime.bigint();
    const yaml = toYaml(...built);
    const t3 = process.hrtime.bigint();
    phases.build += t1 - t0;
    phases.validate += t2 - t1;
    phases.yaml += t3 - t2;
    objects += built.length;
    bytes += yaml.length;
  }
  const phaseMs = Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, Number(v) / 1e6]));
  const totalMs = phaseMs.build + phaseMs.validate + phaseMs.yaml;
  const peakMiB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ n, totalMs, phaseMs, peakMiB, objects, bytes })}\n`);
}

// ---------------------------------------------------------------------------------------------
// Parent.

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const ms = (x) => (x >= 100 ? `${Math.round(x)} ms` : `${x.toFixed(x >= 10 ? 1 : 2)} ms`);
const mib = (x) => `${Math.round(x)} MiB`;
const num = (x, digits = 2) => x.toFixed(digits);
const status = (ok) => (ok ? 'PASS' : '**FAIL**');

/** Runs a command to completion; its wall time in ms, or throws with its output when it fails. */
function timed(command, args, options = {}) {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, {
    cwd: root,
    encoding: 'utf8',
    timeout: PROCESS_TIMEOUT_MS,
    shell: process.platform === 'win32',
    ...options,
    env: { ...process.env, ...options.env },
  });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.error || result.status !== 0) {
    const why = result.error
      ? result.error.message
      : result.signal
        ? `killed by ${result.signal}`
        : `exit code ${result.status}`;
    throw new Error(`${[command, ...args].join(' ')}: ${why}\n${result.stdout || ''}${result.stderr || ''}`.trim());
  }
  return { wallMs, stdout: result.stdout };
}

function main() {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '5' },
      budget: { type: 'string', default: '90' },
    },
  });
  const runs = Number(values.runs);
  const budgetMs = Number(values.budget) * 1000;
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs ${values.runs}: expected a positive integer`);
  if (!(budgetMs > 0)) throw new Error(`--budget ${values.budget}: expected a positive number of seconds`);

  const scripts = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).scripts || {};
  for (const name of ['bench:floor', 'synth']) {
    if (!scripts[name]) throw new Error(`package.json has no "${name}" script`);
  }

  const loadBefore = os.loadavg();
  const load = (l) => l[0].toFixed(2);
  const began = process.hrtime.bigint();
  const elapsedMs = () => Number(process.hrtime.bigint() - began) / 1e6;
  const notes = [];
  const progress = (s) => process.stderr.write(`${s}\n`);

  /** `count` runs of `once` (which returns { ms, ... }), fewer past the budget but never under MIN_RUNS. */
  function repeat(label, count, once) {
    const results = [];
    for (let i = 0; i < count; i++) {
      const last = results.length ? results[results.length - 1].wallMs : 0;
      if (i >= MIN_RUNS && elapsedMs() + last > budgetMs) {
        notes.push(`${label}: ${i} runs instead of ${count}, to stay within the ${budgetMs / 1000} s budget`);
        break;
      }
      const r = once();
      results.push(r);
      progress(`  ${label} ${i + 1}/${count}: ${ms(r.ms)}`);
    }
    return results;
  }

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ov-bench-'));
  try {
    // 1 and 2. The floor (npm starting, then node loading cdk8s-plus-28) and npm run synth into a temp
    // folder, one run of each in turn so that a change in the machine's load weighs on both alike. The
    // warm-up builds the bundle cache.
    const synthDir = path.join(tmp, 'synth');
    const synthEnv = { CDK8S_OUTDIR: synthDir };
    const synthArgs = ['run', '-s', 'synth', '--', '--quiet'];
    progress('floor: npm run -s bench:floor; synth: npm run -s synth -- --quiet (after a warm-up)');
    timed('npm', synthArgs, { env: synthEnv });
    const floor = [];
    const synth = [];
    for (let i = 0; i < runs; i++) {
      floor.push({ ms: timed('npm', ['run', '-s', 'bench:floor']).wallMs });
      synth.push({ ms: timed('npm', synthArgs, { env: synthEnv }).wallMs });
      progress(`  floor ${i + 1}/${runs}: ${ms(floor[i].ms)}, synth ${i + 1}/${runs}: ${ms(synth[i].ms)}`);
    }
    const manifests = fs.readdirSync(synthDir).filter((f) => f.endsWith('.k8s.yaml')).sort();
    if (manifests.length === 0) throw new Error(`npm run synth wrote no manifest into ${synthDir}`);

    // For information: the cdk8s CLI, which runs the same app (cdk8s.yaml) with its output in CDK8S_OUTPUT.
    const cliDir = path.join(tmp, 'cdk8s');
    const cliRuns = Math.min(runs, 3);
    progress('npx cdk8s synth --no-check-upgrade');
    const cli = repeat('cdk8s synth', cliRuns, () => {
      const { wallMs } = timed('npx', ['cdk8s', 'synth', '--no-check-upgrade'], { env: { CDK8S_OUTPUT: cliDir } });
      return { ms: wallMs, wallMs };
    });

    // The CLI must end with the same files as npm run synth.
    const files = (dir) => Object.fromEntries(
      fs.readdirSync(dir, { recursive: true }).map(String).sort()
        .filter((f) => fs.statSync(path.join(dir, f)).isFile())
        .map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]),
    );
    const sameFiles = JSON.stringify(files(cliDir)) === JSON.stringify(files(synthDir));

    // npm test on a warm cache (the type check and every suite), a few runs.
    progress('npm test (warm)');
    timed('npm', ['test', '--silent']);
    const tests = repeat('npm test', Math.min(runs, 3), () => ({ ms: timed('npm', ['test', '--silent']).wallMs }));

    // 3. N generated environments, each N in a fresh process, all on the same bundle.
    const bundle = require('./bundle').bundled(ENTRY);
    const sizes = SIZES.map((n) => {
      progress(`N=${n}: node scripts/bench.js --child ${n}`);
      const results = repeat(`N=${n}`, runs, () => {
        const { wallMs, stdout } = timed(process.execPath, [__filename, '--child', String(n), bundle]);
        const report = JSON.parse(stdout.trim().split('\n').pop());
        return { ms: report.totalMs, wallMs, ...report };
      });
      return {
        n,
        runs: results.length,
        totalMs: median(results.map((r) => r.totalMs)),
        peakMiB: Math.max(...results.map((r) => r.peakMiB)),
        objects: results[0].objects,
        bytes: results[0].bytes,
        all: results.map((r) => r.totalMs),
        phaseMs: Object.fromEntries(['build', 'validate', 'yaml'].map((k) => [k, median(results.map((r) => r.phaseMs[k]))])),
      };
    });

    // The report.
    const floorMs = median(floor.map((r) => r.ms));
    const synthMs = median(synth.map((r) => r.ms));
    const cliMs = median(cli.map((r) => r.ms));
    const testMs = median(tests.map((r) => r.ms));
    const at = (n) => sizes.find((s) => s.n === n);
    const t100 = at(100).totalMs;
    const big = at(1000);
    const synthRatio = synthMs / floorMs;
    const linear = big.totalMs / t100;
    const bigPerEnv = big.totalMs / big.n;
    const peakMiB = Math.max(...sizes.map((s) => s.peakMiB));

    const rows = [
      ['case', 'median total', 'per environment', 'peak memory', 'ratio'],
      ['floor: `npm run -s bench:floor` (npm + `require(\'cdk8s-plus-28\')`)', ms(floorMs), '—', '—', '1.00 × floor'],
      [
        `npm run synth (${manifests.length} namespaces)`,
        ms(synthMs),
        ms(synthMs / manifests.length),
        '—',
        `${num(synthRatio)} × floor`,
      ],
      ...sizes.map((s) => [
        `N=${s.n} (render only, in process)`,
        ms(s.totalMs),
        ms(s.totalMs / s.n),
        mib(s.peakMiB),
        `${num(s.totalMs / t100)} × t(100)`,
      ]),
    ];
    const spread = (label, xs) => `${label} ${ms(Math.min(...xs)).replace(' ms', '')}–${ms(Math.max(...xs))}`;
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    const line = (r) => `| ${r.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`;
    const out = [
      line(rows[0]),
      `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
      ...rows.slice(1).map(line),
      '',
      `Medians of ${runs} run${runs === 1 ? '' : 's'} (N rows: ${sizes.map((s) => `${s.n}: ${s.runs}`).join(', ')}). Floor and synth: wall time of the`,
      'whole process. N rows: the steps of `renderEnvironment` (build, validate, YAML) of `previewEnvironment(1..N)` one',
      'after another in a fresh node process, timed inside it without the module load; peak memory is',
      `its maxRSS (the highest of the runs). N=1000 renders ${big.objects} objects, ${(big.bytes / 2 ** 20).toFixed(1)} MiB of YAML.`,
      `Spread (fastest–slowest run): ${[
        spread('floor', floor.map((r) => r.ms)),
        spread('synth', synth.map((r) => r.ms)),
        ...sizes.map((s) => spread(`N=${s.n}`, s.all)),
      ].join(', ')}.`,
      `N=1000, per environment by step (medians): build ${ms(big.phaseMs.build / big.n)} (cdk8s constructs and toJson),` +
        ` validate ${ms(big.phaseMs.validate / big.n)}, YAML ${ms(big.phaseMs.yaml / big.n)}.`,
      '',
      'Targets:',
      `- npm run synth ≤ ${TARGETS.synthToFloor} × floor: ${num(synthRatio)} ${status(synthRatio <= TARGETS.synthToFloor)}`,
      `- linear, t(1000) / t(100) ≤ ${TARGETS.linear}: ${num(linear)} ${status(linear <= TARGETS.linear)}`,
      `- per environment at N=1000 ≤ ${TARGETS.msPerEnv} ms: ${num(bigPerEnv)} ms ${status(bigPerEnv <= TARGETS.msPerEnv)}`,
      `- peak memory ≤ ${TARGETS.peakMiB} MiB: ${Math.round(peakMiB)} MiB ${status(peakMiB <= TARGETS.peakMiB)}`,
      `- npm test ≤ ${TARGETS.testSeconds} s (warm, median of ${tests.length}): ${num(testMs / 1000)} s ${status(testMs <= TARGETS.testSeconds * 1000)}`,
      `- npx cdk8s synth writes the same files as npm run synth: ${sameFiles ? 'yes' : 'no'} ${status(sameFiles)}`,
      '',
      `For information: \`npx cdk8s synth --no-check-upgrade\` (CDK8S_OUTPUT in a temp folder): ${ms(cliMs)}, median of ${cli.length}, ${num(cliMs / floorMs)} × floor.`,
      ...notes.map((n) => `Note: ${n}.`),
      '',
      `Machine: ${os.cpus()[0].model}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version} (${os.platform()} ${os.arch()}); load average ${load(loadBefore)} before, ${load(os.loadavg())} after.`,
      `Command: ${command()}, ${(elapsedMs() / 1000).toFixed(1)} s in all.`,
    ];
    process.stdout.write(`\n${out.join('\n')}\n`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** How this run was started, to repeat it. */
function command() {
  const args = process.argv.slice(2);
  if (process.env.npm_lifecycle_event === 'bench') return `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`;
  return `node ${path.relative(process.cwd(), __filename) || __filename}${args.length ? ` ${args.join(' ')}` : ''}`;
}

if (process.argv[2] === '--child') {
  const n = Number(process.argv[3]);
  const bundle = process.argv[4] || require('./bundle').bundled(ENTRY);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--child ${process.argv[3]}: expected a positive integer`);
  child(n, bundle);
} else {
  try {
    main();
  } catch (error) {
    process.stderr.write(`bench: ${error.message}\n`);
    process.exitCode = 1;
  }
}
