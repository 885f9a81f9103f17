/**
 * The cdk8s app (cdk8s.yaml) and `npm run synth`: one App with one OpenVault chart per environment
 * (lib/synth/cli.ts). Under `cdk8s synth` cdk8s writes its own output folder; run directly, the charts go to
 * dist/. Loaded lazily, so that even a registry that fails to load is one line and exit 2, not a stack trace.
 */
import { EXIT } from './lib/synth/exit';

try {
  const { main } = require('./lib/synth/cli') as typeof import('./lib/synth/cli');
  process.exitCode = main(process.argv.slice(2), process.env, process);
} catch (error) {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = (error as Error)?.name === 'ConfigError' ? EXIT.usage : EXIT.internal;
}
