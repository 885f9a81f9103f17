// The commands of this project, from their cached bundle (scripts/ov.js): `synth` is also the cdk8s app
// (cdk8s.yaml runs scripts/synth.js). The registry is checked as it loads, so even a broken registry gets
// one line and exit 2, not a stack trace.
import { EXIT } from './lib/synth/exit';

const [command, ...args] = process.argv.slice(2);
try {
  const commands = {
    synth: () => require('./lib/synth/cli').main,
    release: () => require('./lib/synth/state').release,
    preview: () => require('./lib/synth/state').preview,
    diff: () => require('./lib/synth/diff').diff,
  } as const;
  const run = commands[command as keyof typeof commands];
  if (!run) throw new Error(`unknown command ${JSON.stringify(command)}: one of ${Object.keys(commands).join(', ')}`);
  process.exitCode = run()(args, process.env, process);
} catch (error) {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = (error as Error)?.name === 'ConfigError' ? EXIT.usage : EXIT.internal;
}
