#!/usr/bin/env node
// `npm run bench`: two paired ratios, measured in one run, each the median of A/B pairs run alternately so
// that both sides share whatever load the machine has:
//   1. `npm run synth` against `npm run bench:floor` (npm's start plus require('cdk8s-plus-28')): target ≤ 2.
//   2. `cdk8s synth` of this app against the cdk8s typescript-app default, `app: npx ts-node main.ts`
//      (type-checking; TypeScript 5, as ts-node needs its compiler API), on the same app: target ≤ 0.6.
// Also whether dist/ stayed byte for byte as it was (a synth that changed it was not a no-op: its time means
// nothing). Prints a Markdown table; exits 0 whatever the figures, 1 when a command fails or dist/ changed.
//
//   npm run bench -- [--pairs N] [--cdk8s-pairs M]     (defaults 15 and 3)
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');

const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');
const TARGETS = { synth: 2, cdk8s: 0.6 };
const npx = (...args) => ['npx', ['--no-install', ...args]];
const cdk8s = (...args) => npx('cdk8s', 'synth', '--no-check-upgrade', ...args);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const ms = (x) => `${Math.round(x)} ms`;
const progress = (s) => process.stderr.write(`${s}\n`);
const shown = (command, args) => [command, ...args].map((a) => (/[^\w@%+=:,./-]/.test(a) ? JSON.stringify(a) : a)).join(' ');

/** Runs a command to completion: its wall time; throws, with its output's end, if it fails. */
function run(command, args) {
  const start = process.hrtime.bigint();
  const r = spawnSync(command, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' } });
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.error || r.status !== 0) throw new Error(`${shown(command, args)} failed (${r.error ? r.error.message : `exit ${r.status}`}):\n${`${r.stdout}${r.stderr}`.trim().split('\n').slice(-8).join('\n')}`);
  return wall;
}

/** Every file below `dir` (relative path → bytes). */
function snapshot(dir) {
  return new Map(fs.readdirSync(dir, { recursive: true }).map(String).sort()
    .filter((f) => fs.statSync(path.join(dir, f)).isFile()).map((f) => [f, fs.readFileSync(path.join(dir, f))]));
}

/** `n` alternate runs of `a` then `b`, after one warm-up of each: the pairs' times and ratios b/a. */
function pairs(name, n, a, b) {
  run(...a);
  run(...b);
  const out = [];
  for (let i = 0; i < n; i++) {
    const [ta, tb] = [run(...a), run(...b)];
    out.push({ a: ta, b: tb, ratio: tb / ta });
    progress(`  ${name} ${i + 1}/${n}: ${ms(ta)}, ${ms(tb)}, ratio ${(tb / ta).toFixed(3)}`);
  }
  return out;
}

function main() {
  const { values } = parseArgs({ options: { pairs: { type: 'string', default: '15' }, 'cdk8s-pairs': { type: 'string', default: '3' } } });
  const [n, m] = [Number(values.pairs), Number(values['cdk8s-pairs'])];
  if (![n, m].every((x) => Number.isInteger(x) && x > 0)) throw new Error('--pairs and --cdk8s-pairs take positive integers');
  const began = process.hrtime.bigint();
  const load = os.loadavg()[0];
  const before = snapshot(dist);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ov-bench-'));
  try {
    const floor = ['npm', ['run', '--silent', 'bench:floor']];
    const synth = ['npm', ['run', '--silent', 'synth', '--', '--quiet']];
    progress(`${shown(...floor)} / ${shown(...synth)}`);
    const s = pairs('floor, synth', n, floor, synth);
    const tsNode = cdk8s('--app', 'npx ts-node --compiler typescript5 main.ts', '--output', path.join(scratch, 'ts-node'));
    const ours = cdk8s('--output', path.join(scratch, 'app'));
    progress(`${shown(...tsNode)} / ${shown(...ours)}`);
    const c = pairs('ts-node, cdk8s synth', m, tsNode, ours);
    const same = ['app', 'ts-node'].map((d) => snapshot(path.join(scratch, d)));
    const changed = [...new Set([...before.keys(), ...snapshot(dist).keys()])].filter((f) => !before.get(f)?.equals(snapshot(dist).get(f) ?? Buffer.alloc(0)));
    const range = (xs, key) => `${ms(Math.min(...xs.map((x) => x[key])))}–${ms(Math.max(...xs.map((x) => x[key])))}`;
    const rows = [
      ['figure', 'measured', 'target'],
      [`\`npm run synth\` / \`npm run bench:floor\`, median of ${n} pairs`, `${median(s.map((x) => x.ratio)).toFixed(2)} × (floor ${ms(median(s.map((x) => x.a)))}, synth ${ms(median(s.map((x) => x.b)))})`, `≤ ${TARGETS.synth} ×`],
      [`\`cdk8s synth\` / the same with \`app: npx ts-node main.ts\`, median of ${m} pairs`, `${median(c.map((x) => x.ratio)).toFixed(2)} × (ts-node ${ms(median(c.map((x) => x.a)))}, ours ${ms(median(c.map((x) => x.b)))})`, `≤ ${TARGETS.cdk8s} ×`],
      ['both apps write the same files; dist/ unchanged by every run', JSON.stringify([...same[0]].map(([f, b]) => [f, b.toString()])) === JSON.stringify([...same[1]].map(([f, b]) => [f, b.toString()])) && changed.length === 0 ? 'yes' : `no (dist/ changed: ${changed.join(', ') || 'none'})`, 'yes'],
    ];
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    const line = (r) => `| ${r.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
    const cpu = os.cpus()[0];
    process.stdout.write(`\n${[
      line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line), '',
      `Ranges: floor ${range(s, 'a')}, synth ${range(s, 'b')}; ts-node ${range(c, 'a')}, cdk8s synth ${range(c, 'b')}. Wall time of whole processes.`,
      `Machine: ${cpu ? cpu.model.trim() : 'unknown CPU'}, ${os.cpus().length} cores, node ${process.version}; load average (1 min) ${load.toFixed(2)} before, ${os.loadavg()[0].toFixed(2)} after; ${(Number(process.hrtime.bigint() - began) / 1e9).toFixed(0)} s in all.`,
    ].join('\n')}\n`);
    if (changed.length > 0) process.exitCode = 1;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

try {
  main();
} catch (error) {
  process.stderr.write(`\nbench: FAILED: ${error.message}\n`);
  process.exitCode = 1;
}
