// The cdk8s app: `npm run synth` and `cdk8s synth` run this (through scripts/synth.js). See lib/cli.ts.
import { main } from './lib/synth/cli';

process.exitCode = main(process.argv.slice(2), process.env, process);
