/** Where the CRDs and the packages are: the project root, and its node_modules for what is loaded on demand. */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { projectRoot } from '../../config/project';

/**
 * Loads a package from the project's node_modules when it is needed, not through the bundler: ajv and js-yaml are
 * only used when a validator or an index is not cached, so they stay out of the synth bundle and its startup.
 */
let packageRequire: NodeJS.Require | undefined;
export function requirePackage<T>(id: string): T {
  if (packageRequire === undefined) {
    const fromRoot = createRequire(path.join(projectRoot(), 'package.json'));
    try {
      fromRoot.resolve(id);
      packageRequire = fromRoot;
    } catch {
      packageRequire = createRequire(__filename);
    }
  }
  return packageRequire(id) as T;
}

/**
 * The version of a package installed in the project's node_modules, read from its package.json there: the first
 * place `requirePackage` looks, without the cost of setting up a require. Undefined if it is not there.
 */
export function installedVersion(id: string): string | undefined {
  try {
    const version = (JSON.parse(fs.readFileSync(path.join(projectRoot(), 'node_modules', id, 'package.json'), 'utf8')) as { version?: unknown }).version;
    return typeof version === 'string' ? version : undefined;
  } catch {
    return undefined;
  }
}
