/**
 * `npm run release|preview|diff`: the commands beside synth (main.ts). Loaded lazily, as main.ts is, so that a
 * registry that fails to load is one line and exit 2.
 */
import { EXIT } from './exit';

const [command, ...args] = process.argv.slice(2);
try {
  const commands = {
    release: () => (require('./state') as typeof import('./state')).release,
    preview: () => (require('./state') as typeof import('./state')).preview,
    diff: () => (require('./diff') as typeof import('./diff')).diff,
  } as const;
  const run = commands[command as keyof typeof commands];
  if (!run) throw new Error(`unknown command ${JSON.stringify(command)}: one of ${Object.keys(commands).join(', ')}`);
  process.exitCode = run()(args, process.env, process);
} catch (error) {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = (error as Error)?.name === 'ConfigError' ? EXIT.usage : EXIT.internal;
}
