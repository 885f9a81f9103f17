/** Where the project is on disk, for what it reads at run time (the state files, the default folders), from its sources or its compiled entry. */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The nearest folder from `start` up with crds/ and package.json. */
function rootAbove(start: string): string | undefined {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'crds'))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** The root above this module (or its compiled entry), looked up once: the state files and the defaults both ask. */
let moduleRoot: string | null | undefined;

/** The project root: the nearest folder above this module (or its compiled entry, or the working folder) with crds/ and package.json. */
export function projectRoot(): string {
  if (moduleRoot === undefined) moduleRoot = rootAbove(__dirname) ?? null;
  return moduleRoot ?? rootAbove(process.cwd()) ?? process.cwd();
}

/**
 * A path in the project, the way a command takes and names it: relative to the working folder when that holds
 * the project (`npm run` and `cdk8s synth` start in its root), else absolute. So the defaults of the commands are
 * the project's own folders wherever they are started from, and messages name them as before.
 */
export function projectPath(...segments: string[]): string {
  const full = path.join(projectRoot(), ...segments);
  const relative = path.relative(process.cwd(), full);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : full;
}
