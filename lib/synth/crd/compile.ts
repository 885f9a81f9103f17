/**
 * Validators: ajv standalone code compiled from a CRD version's schema, and the validate function evaluated from it.
 * In node's main context (the synth), the code is compiled through `vm.Script` with V8's code cache kept beside the
 * cache entry, so a warm run neither parses nor compiles it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import type { Options as AjvOptions, ValidateFunction } from 'ajv';
import { codeCacheFile, removeCompanions, sha256, writeAtomically } from './cache';
import { crdsIn } from './load';
import { installedVersion, requirePackage } from './project';
import { rewriteSources, shareRepeats, structuralRoot, type Schema } from './structural';

const AJV_OPTIONS: AjvOptions = {
  strict: false,
  allErrors: true,
  // CRD patterns are Go regular expressions, which e.g. escape `-` freely; unicode mode would refuse those.
  unicodeRegExp: false,
  validateFormats: false,
  inlineRefs: false,
  code: { source: true },
};

/** What the cache is keyed on besides the CRD file and the ajv version: the code that rewrites the schemas. */
let generatorKey: string | undefined;
export function generator(): string {
  generatorKey ??= sha256([rewriteSources(), String(crdsIn), JSON.stringify(AJV_OPTIONS)].join('\0')).slice(0, 12);
  return generatorKey;
}

let ajvVersionCache: string | undefined;
export function ajvVersion(): string {
  ajvVersionCache ??= installedVersion('ajv') ?? requirePackage<{ version: string }>('ajv/package.json').version;
  return ajvVersionCache;
}

/** ajv standalone code for one CRD version's schema. */
export function compileStandalone(schema: Schema): string {
  const { default: Ajv } = requirePackage<typeof import('ajv')>('ajv');
  const { default: standaloneCode } = requirePackage<typeof import('ajv/dist/standalone')>('ajv/dist/standalone');
  const ajv = new Ajv(AJV_OPTIONS);
  return standaloneCode(ajv, ajv.compile(shareRepeats(structuralRoot(schema))));
}

/**
 * The ajv runtime helpers the standalone code of CRD schemas requires (string length in code points; deep equality
 * for uniqueItems and enums of objects), resolved here, so they are bundled with this module and found wherever the
 * cache is. Nothing else may be required.
 */
const RUNTIME: Readonly<Record<string, () => unknown>> = {
  'ajv/dist/runtime/ucs2length': () => require('ajv/dist/runtime/ucs2length'),
  'ajv/dist/runtime/equal': () => require('ajv/dist/runtime/equal'),
};

function runtimeRequire(id: string): unknown {
  const helper = Object.prototype.hasOwnProperty.call(RUNTIME, id) ? RUNTIME[id] : undefined;
  if (helper === undefined) throw new Error(`a CRD validator requires ${id}, which is not an ajv runtime helper`);
  return helper();
}

export interface Evaluated {
  readonly validate: ValidateFunction;
  /**
   * To call once the validator has run (then again: it writes once): writes V8's code cache of the code, which then
   * holds the functions that run compiled; undefined when there is nothing to write (a cache was used, or no vm).
   */
  readonly saveCodeCache?: () => void;
}

let mainRealm: boolean | undefined;
/**
 * Whether this module runs in node's main context. In another (e.g. a jest sandbox) the code must be evaluated in the
 * caller's realm, not with `vm`, or enums of objects compare constructors of two realms and never match.
 */
function inMainRealm(): boolean {
  mainRealm ??= vm.runInThisContext('globalThis') === globalThis;
  return mainRealm;
}

function validatorOf(module: { exports: unknown }): ValidateFunction | undefined {
  return typeof module.exports === 'function' ? (module.exports as ValidateFunction) : undefined;
}

/**
 * Evaluates standalone code (CommonJS) into its validate function; undefined if it is not one. `cached`: the code is
 * the cache entry `filename`, whose V8 code cache is used (and written once the validator ran) in the main context.
 */
export function evaluate(code: string, filename: string, cached = false): Evaluated | undefined {
  const module: { exports: unknown } = { exports: {} };
  if (!cached || !inMainRealm()) {
    const run = new Function('module', 'exports', 'require', `${code}\n//# sourceURL=${filename.replace(/\s/g, '_')}`) as (m: unknown, e: unknown, r: unknown) => void;
    run(module, module.exports, runtimeRequire);
    const validate = validatorOf(module);
    return validate && { validate };
  }
  const codeCache = codeCacheFile(filename);
  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(codeCache);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(`(function (module, exports, require) {${code}\n})`, { filename, cachedData });
  (script.runInThisContext() as (m: unknown, e: unknown, r: unknown) => void)(module, module.exports, runtimeRequire);
  const validate = validatorOf(module);
  if (validate === undefined) return undefined;
  if (cachedData !== undefined && !script.cachedDataRejected) return { validate };
  let saved = false;
  const saveCodeCache = (): void => {
    if (saved) return;
    saved = true;
    if (writeAtomically(codeCache, script.createCachedData())) {
      try {
        removeCompanions(path.dirname(codeCache), path.basename(filename), path.basename(codeCache));
      } catch {
        // another node's code cache left behind is only larger
      }
    }
  };
  return { validate, saveCodeCache };
}
