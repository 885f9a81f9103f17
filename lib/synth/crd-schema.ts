/**
 * Custom resources checked against the vendored CRDs in `crds/`, as the API server checks them: against the
 * `openAPIV3Schema` of the served version, with the structural-schema rules (unknown fields are errors, as with
 * `kubectl apply`'s default strict field validation; `x-kubernetes-int-or-string`, `x-kubernetes-preserve-unknown-fields`).
 * CEL rules (`x-kubernetes-validations`) are not checked, and `metadata` is only required to be an object (the API
 * server validates ObjectMeta separately).
 *
 * Self-contained on purpose (node built-ins, js-yaml and ajv only), and cheap to load: nothing is parsed or compiled
 * until a kind is looked up, and then only the CRD file that can define it and only the version validated. Compiled
 * validators are cached as ajv standalone code in `node_modules/.cache/open-vault/crd-validators/`, keyed by the
 * sha256 of the CRD file, the ajv version and this module's schema rewriting (so editing the rules below invalidates
 * the cache); a warm run loads neither js-yaml nor ajv's compiler, only two small ajv runtime helpers.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { ErrorObject, Options as AjvOptions, ValidateFunction } from 'ajv';

/** One problem found in a custom resource. `field`: a dotted path such as `spec.data[0].remoteRef.key`. */
export interface CrdIssue {
  readonly field: string;
  readonly message: string;
}

export interface CrdOptions {
  /** The folder of CRD YAML files; default `crds/` of the project root. */
  readonly dir?: string;
  /** Where compiled validators are cached; default `node_modules/.cache/open-vault/crd-validators/`; `null`: no cache. */
  readonly cacheDir?: string | null;
}

export interface CustomResource {
  readonly apiVersion: string;
  readonly kind: string;
  readonly [k: string]: unknown;
}

type Schema = { [k: string]: unknown };

interface CrdVersion {
  readonly name: string;
  readonly served: boolean;
  readonly storage: boolean;
}

/** What the index knows of one CRD, without its schemas. */
interface CrdInfo {
  readonly name: string;
  readonly group: string;
  readonly kind: string;
  readonly versions: readonly CrdVersion[];
}

interface CrdEntry extends CrdInfo {
  readonly file: string;
  readonly sha256: string;
}

// ---- Schema rewriting: a CRD schema as the API server applies it, in terms ajv checks. ----

/** The keywords ajv is given; everything else (descriptions, defaults, x-kubernetes-*) is dropped. */
const KEPT_KEYWORDS: ReadonlySet<string> = new Set([
  'type', 'required', 'enum', 'pattern', 'nullable', 'multipleOf',
  'maxLength', 'minLength', 'maximum', 'minimum', 'exclusiveMaximum', 'exclusiveMinimum',
  'maxItems', 'minItems', 'uniqueItems', 'maxProperties', 'minProperties',
]);

/**
 * The string formats checked, as patterns (lenient, like the API server's parsers); other formats (int32, int64,
 * byte, ...) are not checked.
 */
const FORMAT_PATTERNS: Readonly<Record<string, string>> = {
  'date-time': '^\\d{4}-\\d{2}-\\d{2}[Tt ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?([Zz]|[+-]\\d{2}:?\\d{2})?$',
  date: '^\\d{4}-\\d{2}-\\d{2}$',
};

const FORMAT_OF_PATTERN: ReadonlyMap<string, string> = new Map(Object.entries(FORMAT_PATTERNS).map(([f, p]) => [p, f]));

function isSchema(v: unknown): v is Schema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isJsRegExp(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

/** `anyOf: [{type: integer}, {type: string}]`, the form controller-gen writes for int-or-string. */
function isIntOrStringAnyOf(v: unknown): boolean {
  if (!Array.isArray(v) || v.length !== 2) return false;
  const types = v.map((b) => (isSchema(b) && Object.keys(b).length === 1 ? b.type : undefined)).sort();
  return types[0] === 'integer' && types[1] === 'string';
}

/**
 * One schema node rewritten. `inJunctor`: under anyOf/allOf/oneOf/not, whose branches only constrain what the
 * enclosing schema declares (structural schemas), so no unknown-field rule is added there.
 */
function structural(s: Schema, inJunctor: boolean): Schema {
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'properties' && isSchema(v)) {
      const props: Schema = {};
      for (const [name, child] of Object.entries(v)) props[name] = isSchema(child) ? structural(child, inJunctor) : {};
      out.properties = props;
    } else if (k === 'items' && isSchema(v)) {
      out.items = structural(v, inJunctor);
    } else if (k === 'additionalProperties') {
      out.additionalProperties = isSchema(v) ? structural(v, inJunctor) : v;
    } else if ((k === 'anyOf' || k === 'allOf' || k === 'oneOf') && Array.isArray(v)) {
      out[k] = v.filter(isSchema).map((b) => structural(b, true));
    } else if (k === 'not' && isSchema(v)) {
      out.not = structural(v, true);
    } else if (k === 'pattern') {
      // Go (RE2) syntax that JavaScript cannot compile is left unchecked rather than breaking the validator.
      if (typeof v === 'string' && isJsRegExp(v)) out.pattern = v;
    } else if (KEPT_KEYWORDS.has(k)) {
      out[k] = v;
    }
  }
  // OpenAPI v3.0 exclusive bounds are booleans beside minimum/maximum; ajv wants the bound itself.
  for (const [exclusive, bound] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const) {
    if (out[exclusive] === true && typeof out[bound] === 'number') {
      out[exclusive] = out[bound];
      delete out[bound];
    } else if (typeof out[exclusive] === 'boolean') {
      delete out[exclusive];
    }
  }
  const formatPattern = typeof s.format === 'string' ? FORMAT_PATTERNS[s.format] : undefined;
  if (formatPattern !== undefined) out.allOf = [...(Array.isArray(out.allOf) ? out.allOf : []), { pattern: formatPattern }];
  if (s['x-kubernetes-int-or-string'] === true) {
    if (isIntOrStringAnyOf(out.anyOf)) delete out.anyOf;
    out.type = ['integer', 'string'];
  }
  // A set may not hold the same item twice (a list-type map's key uniqueness is not checked).
  if (s['x-kubernetes-list-type'] === 'set') out.uniqueItems = true;
  if (s['x-kubernetes-embedded-resource'] === true) {
    out.properties = { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, ...(isSchema(out.properties) ? out.properties : {}) };
  }
  // Unknown fields: the API server prunes (and strict field validation rejects) every field an object schema does
  // not declare, unless it preserves unknown fields or types its values with additionalProperties.
  const isObjectSchema = out.properties !== undefined || out.type === 'object';
  if (isObjectSchema && !inJunctor && out.additionalProperties === undefined && s['x-kubernetes-preserve-unknown-fields'] !== true) {
    out.additionalProperties = false;
  }
  return out;
}

/** The top-level schema: apiVersion and kind are strings, metadata any object (ObjectMeta is validated apart). */
function structuralRoot(s: Schema): Schema {
  const out = structural(s, false);
  out.properties = { ...(isSchema(out.properties) ? out.properties : {}), apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' } };
  return out;
}

/** Applies `f` to each child schema of `s`, in a copy of `s`. */
function mapChildren(s: Schema, f: (child: Schema) => Schema): Schema {
  const out: Schema = { ...s };
  if (isSchema(s.properties)) out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, f(v as Schema)]));
  if (isSchema(s.items)) out.items = f(s.items);
  if (isSchema(s.additionalProperties)) out.additionalProperties = f(s.additionalProperties);
  if (isSchema(s.not)) out.not = f(s.not);
  for (const k of ['anyOf', 'allOf', 'oneOf']) if (Array.isArray(s[k])) out[k] = (s[k] as Schema[]).map(f);
  return out;
}

/** Subschemas at least this large (JSON characters) that occur more than once are compiled once, as a $ref. */
const SHARED_MIN_SIZE = 500;

/**
 * Identical subschemas shared through `$defs`. CRDs repeat whole subtrees (the ApplicationSet CRD repeats the
 * Application template for every generator: 1.4 MB of YAML, about 22 kB once shared), and ajv would otherwise
 * generate code for every copy.
 */
function shareRepeats(root: Schema): Schema {
  const idByShape = new Map<string, number>();
  const nodes: Array<{ size: number; count: number }> = [];
  const idOf = new Map<Schema, number>();
  const visit = (s: Schema): number => {
    let size = 0;
    const shape = JSON.stringify(mapChildren(s, (c) => {
      const id = visit(c);
      size += nodes[id].size;
      return { '#': id };
    }));
    size += shape.length;
    let id = idByShape.get(shape);
    if (id === undefined) {
      id = nodes.length;
      idByShape.set(shape, id);
      nodes.push({ size, count: 0 });
    }
    nodes[id].count++;
    idOf.set(s, id);
    return id;
  };
  visit(root);
  const defs: Schema = {};
  const build = (s: Schema, top: boolean): Schema => {
    const id = idOf.get(s) ?? -1;
    const node = nodes[id];
    if (top || node === undefined || node.count < 2 || node.size < SHARED_MIN_SIZE) return mapChildren(s, (c) => build(c, false));
    const name = `s${id}`;
    if (!(name in defs)) {
      defs[name] = true; // claimed before recursing
      defs[name] = mapChildren(s, (c) => build(c, false));
    }
    return { $ref: `#/$defs/${name}` };
  };
  const out = build(root, true);
  if (Object.keys(defs).length) out.$defs = defs;
  return out;
}

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
function generator(): string {
  generatorKey ??= sha256(
    [structural, structuralRoot, mapChildren, shareRepeats, isIntOrStringAnyOf, crdsIn, String(SHARED_MIN_SIZE),
      [...KEPT_KEYWORDS].join(), JSON.stringify(FORMAT_PATTERNS), JSON.stringify(AJV_OPTIONS)].map(String).join('\0'),
  ).slice(0, 12);
  return generatorKey;
}

/**
 * Loads a package from the project's node_modules when it is needed, not through the bundler: ajv and js-yaml are
 * only used when a validator or an index is not cached, so they stay out of the synth bundle and its startup.
 */
let packageRequire: NodeJS.Require | undefined;
function load<T>(id: string): T {
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

let ajvVersionCache: string | undefined;
function ajvVersion(): string {
  ajvVersionCache ??= load<{ version: string }>('ajv/package.json').version;
  return ajvVersionCache;
}

/** ajv standalone code for one CRD version's schema. */
function compileStandalone(schema: Schema): string {
  const { default: Ajv } = load<typeof import('ajv')>('ajv');
  const { default: standaloneCode } = load<typeof import('ajv/dist/standalone')>('ajv/dist/standalone');
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

/**
 * Evaluates standalone code (CommonJS) into its validate function; undefined if it is not one. With `Function`, not
 * `vm`: the code must run in the caller's realm (e.g. a jest sandbox), or enums of objects compare constructors of
 * two realms and never match.
 */
function evaluate(code: string, filename: string): ValidateFunction | undefined {
  const module: { exports: unknown } = { exports: {} };
  const run = new Function('module', 'exports', 'require', `${code}\n//# sourceURL=${filename.replace(/\s/g, '_')}`) as (m: unknown, e: unknown, r: unknown) => void;
  run(module, module.exports, runtimeRequire);
  return typeof module.exports === 'function' ? (module.exports as ValidateFunction) : undefined;
}

// ---- CRD files ----

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

interface CrdFile {
  readonly file: string;
  readonly content: Buffer;
  readonly sha256: string;
  /** Its CRDs, once known (from the index cache, or parsed); undefined: not parsed yet. */
  infos: readonly CrdInfo[] | undefined;
}

interface CrdDocument {
  readonly info: CrdInfo;
  readonly schemas: ReadonlyMap<string, Schema>;
}

/** The apiextensions.k8s.io/v1 CRDs among a file's YAML documents. */
function crdsIn(docs: readonly unknown[]): CrdDocument[] {
  const out: CrdDocument[] = [];
  for (const doc of docs) {
    if (!isSchema(doc) || doc.kind !== 'CustomResourceDefinition' || doc.apiVersion !== 'apiextensions.k8s.io/v1') continue;
    const spec = isSchema(doc.spec) ? doc.spec : {};
    const names = isSchema(spec.names) ? spec.names : {};
    const metadata = isSchema(doc.metadata) ? doc.metadata : {};
    if (typeof spec.group !== 'string' || typeof names.kind !== 'string' || !Array.isArray(spec.versions)) continue;
    const versions: CrdVersion[] = [];
    const schemas = new Map<string, Schema>();
    for (const v of spec.versions) {
      if (!isSchema(v) || typeof v.name !== 'string') continue;
      versions.push({ name: v.name, served: v.served === true, storage: v.storage === true });
      const schema = isSchema(v.schema) && isSchema(v.schema.openAPIV3Schema) ? v.schema.openAPIV3Schema : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
      schemas.set(v.name, schema);
    }
    const name = typeof metadata.name === 'string' ? metadata.name : `${String(names.plural)}.${spec.group}`;
    out.push({ info: { name, group: spec.group, kind: names.kind, versions }, schemas });
  }
  return out;
}

/** Reads a cache file; undefined if absent or unreadable. */
function readCache(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The cache entries of one CRD file (and kind and version): `<prefix><sha256 of the file, 16>.<...><suffix>`, where
 * `...` is the ajv version and the generator key.
 */
interface CacheFamily {
  readonly prefix: string;
  readonly suffix: string;
  readonly sha256: string;
}

/**
 * Entries kept per CRD file content, for different generator keys: the tests (transpiled by swc) and the synth
 * (bundled by esbuild) each have their own, and an edit of this module makes another.
 */
const CACHE_VARIANTS = 3;

/** Writes a cache file atomically (temp file + rename), then prunes its family; failures are ignored. */
function writeCache(dir: string, name: string, content: string, family: CacheFamily): void {
  const file = path.join(dir, name);
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(tmp, content);
    fs.renameSync(tmp, file);
    prune(dir, name, family);
  } catch {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // nothing more to do: the cache is optional
    }
  }
}

/** Removes the family's entries for another content of the CRD file, and all but the newest variants for this one. */
function prune(dir: string, name: string, family: CacheFamily): void {
  const variants: Array<{ readonly file: string; readonly mtime: number }> = [];
  for (const other of fs.readdirSync(dir)) {
    if (other === name || !other.startsWith(family.prefix) || !other.endsWith(family.suffix)) continue;
    const sha = other.slice(family.prefix.length, family.prefix.length + 17);
    if (!/^[0-9a-f]{16}\.$/.test(sha)) continue;
    const file = path.join(dir, other);
    if (sha !== `${family.sha256.slice(0, 16)}.`) fs.rmSync(file, { force: true });
    else variants.push({ file, mtime: fs.statSync(file).mtimeMs });
  }
  variants.sort((x, y) => y.mtime - x.mtime);
  for (const v of variants.slice(CACHE_VARIANTS - 1)) fs.rmSync(v.file, { force: true });
}

/** The project root: the nearest folder above this module (or its bundle, or the working folder) with crds/ and package.json. */
function projectRoot(): string {
  for (const start of [__dirname, process.cwd()]) {
    for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
      if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'crds'))) return dir;
      if (path.dirname(dir) === dir) break;
    }
  }
  return process.cwd();
}

/** The vendored CRDs of one folder, indexed by group/kind, with their validators compiled (or loaded) on first use. */
export class CrdSchemas {
  readonly dir: string;
  readonly cacheDir: string | null;
  private crdFiles: CrdFile[] | undefined;
  /** Each group/kind looked up: its CRD, or undefined if none defines it. */
  private readonly byKind = new Map<string, CrdEntry | undefined>();
  /** Parsed CRD documents by file sha256, kept from indexing for a compile in the same run. */
  private readonly parsed = new Map<string, CrdDocument[]>();
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(options: CrdOptions = {}) {
    const root = options.dir === undefined || options.cacheDir === undefined ? projectRoot() : '';
    this.dir = path.resolve(options.dir ?? path.join(root, 'crds'));
    this.cacheDir = options.cacheDir === null ? null : path.resolve(options.cacheDir ?? path.join(root, 'node_modules', '.cache', 'open-vault', 'crd-validators'));
  }

  /** Whether a vendored CRD defines this group and kind (in any version). */
  isKnown(apiVersion: string, kind: string): boolean {
    return this.entry(apiVersion, kind) !== undefined;
  }

  /** The issues of `o` against its CRD; undefined when no vendored CRD defines its group and kind. */
  issues(o: CustomResource): CrdIssue[] | undefined {
    const crd = this.entry(o.apiVersion, o.kind);
    if (crd === undefined) return undefined;
    const version = o.apiVersion.slice(o.apiVersion.indexOf('/') + 1);
    const v = crd.versions.find((x) => x.name === version);
    const served = crd.versions.filter((x) => x.served);
    const use = served.find((x) => x.storage) ?? served[0];
    const hint = use ? `; use ${crd.group}/${use.name}` : '';
    if (v === undefined) return [{ field: 'apiVersion', message: `version ${version} is not defined by the CRD ${crd.name}${hint}` }];
    if (!v.served) return [{ field: 'apiVersion', message: `version ${version} is not served by the CRD ${crd.name}${hint}` }];
    const validate = this.validator(crd, version);
    const data = withoutNulls(o);
    if (validate(data)) return [];
    return sortedIssues((validate.errors ?? []).map((e) => issueOf(data, e)));
  }

  private entry(apiVersion: string, kind: string): CrdEntry | undefined {
    const slash = apiVersion.indexOf('/');
    if (slash < 0) return undefined; // the core group: no CRD
    const group = apiVersion.slice(0, slash);
    const key = `${group}/${kind}`;
    if (this.byKind.has(key)) return this.byKind.get(key);
    let found: CrdEntry | undefined;
    for (const f of this.files()) {
      // A file is only parsed if it could define this kind: its text contains both names (and its index is not cached).
      f.infos ??= f.content.includes(kind) && f.content.includes(group) ? this.infos(f) : undefined;
      const info = f.infos?.find((i) => i.group === group && i.kind === kind);
      if (info) {
        found = { ...info, file: f.file, sha256: f.sha256 };
        break;
      }
    }
    this.byKind.set(key, found);
    return found;
  }

  /** The CRD files, in name order, each with its CRDs if its index is cached. */
  private files(): CrdFile[] {
    if (this.crdFiles) return this.crdFiles;
    let names: string[] = [];
    try {
      names = fs.readdirSync(this.dir).filter((f) => /\.ya?ml$/.test(f)).sort();
    } catch {
      // no CRD folder: nothing is known
    }
    this.crdFiles = names.map((file) => {
      const content = fs.readFileSync(path.join(this.dir, file));
      const f: CrdFile = { file, content, sha256: sha256(content), infos: undefined };
      f.infos = this.cachedInfos(f);
      return f;
    });
    return this.crdFiles;
  }

  private indexName(f: CrdFile): string {
    return `${f.file.replace(/\.ya?ml$/, '')}.${f.sha256.slice(0, 16)}.${generator()}.index.json`;
  }

  private cachedInfos(f: CrdFile): readonly CrdInfo[] | undefined {
    if (this.cacheDir === null) return undefined;
    const cached = readCache(path.join(this.cacheDir, this.indexName(f)));
    if (cached === undefined) return undefined;
    try {
      const infos = JSON.parse(cached) as unknown;
      return Array.isArray(infos) ? (infos as CrdInfo[]) : undefined;
    } catch {
      return undefined; // a broken entry: parse the file again
    }
  }

  /** The CRDs a file defines, parsed (and their index cached). */
  private infos(f: CrdFile): readonly CrdInfo[] {
    const infos = this.parse(f.content, f.sha256).map((d) => d.info);
    if (this.cacheDir !== null) {
      writeCache(this.cacheDir, this.indexName(f), JSON.stringify(infos), { prefix: `${f.file.replace(/\.ya?ml$/, '')}.`, suffix: '.index.json', sha256: f.sha256 });
    }
    return infos;
  }

  private parse(content: Buffer, hash: string): CrdDocument[] {
    let docs = this.parsed.get(hash);
    if (docs === undefined) {
      const yaml = load<typeof import('js-yaml')>('js-yaml');
      docs = crdsIn(yaml.loadAll(content.toString('utf8')));
      this.parsed.set(hash, docs);
    }
    return docs;
  }

  private validator(crd: CrdEntry, version: string): ValidateFunction {
    const key = `${crd.file}\0${crd.group}/${crd.kind}\0${version}`;
    const known = this.validators.get(key);
    if (known) return known;
    const stem = `${crd.file.replace(/\.ya?ml$/, '')}.${crd.kind}.${version}`;
    const name = `${stem}.${crd.sha256.slice(0, 16)}.ajv-${ajvVersion()}.${generator()}.js`;
    let validate: ValidateFunction | undefined;
    if (this.cacheDir !== null) {
      const code = readCache(path.join(this.cacheDir, name));
      if (code !== undefined) {
        try {
          validate = evaluate(code, path.join(this.cacheDir, name));
        } catch {
          validate = undefined; // a broken entry: compile again
        }
      }
    }
    if (validate === undefined) {
      const content = fs.readFileSync(path.join(this.dir, crd.file));
      const doc = this.parse(content, crd.sha256).find((d) => d.info.group === crd.group && d.info.kind === crd.kind);
      const schema = doc?.schemas.get(version) ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
      const code = compileStandalone(schema);
      validate = evaluate(code, `${stem}.js`);
      if (validate === undefined) throw new Error(`ajv standalone code for ${crd.file} ${version} is not a function`);
      if (this.cacheDir !== null) writeCache(this.cacheDir, name, code, { prefix: `${stem}.`, suffix: '.js', sha256: crd.sha256 });
    }
    this.validators.set(key, validate);
    return validate;
  }
}

// ---- Issues ----

/**
 * A copy of `o` without null or undefined fields: the API server prunes nulls of fields that are not nullable
 * before validating (and an absent value is what cdk8s means by undefined). Nulls in arrays are kept.
 */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (!isSchema(v)) return v;
  const out: Schema = {};
  for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = withoutNulls(x);
  return out;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Extends a field path: `a.b`, `a[0]`, or `a["app.kubernetes.io/name"]` for keys that are not plain words. */
function at(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  if (!PLAIN_KEY.test(key)) return `${base}[${JSON.stringify(key)}]`;
  return base ? `${base}.${key}` : key;
}

/** A value as messages show it: its JSON, shortened. */
function describe(v: unknown): string {
  if (v === undefined) return 'unset';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The field path of a JSON pointer into `root`, and the value there. */
function resolve(root: unknown, pointer: string): { field: string; value: unknown } {
  let field = '';
  let value = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(value)) {
      field = at(field, Number(key));
      value = value[Number(key)];
    } else {
      field = at(field, key);
      value = isSchema(value) ? value[key] : undefined;
    }
  }
  return { field, value };
}

function typeText(t: unknown): string {
  const article = (x: string): string => (/^[aeiou]/.test(x) ? `an ${x}` : `a ${x}`);
  const types = (Array.isArray(t) ? t : String(t).split(',')).map(String);
  return types.map(article).join(' or ');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function issueOf(data: unknown, e: ErrorObject): CrdIssue {
  const { field, value } = resolve(data, e.instancePath);
  const p = e.params as Record<string, unknown>;
  const is = `is ${describe(value)}`;
  const limit = Number(p.limit);
  let message: string;
  switch (e.keyword) {
    case 'required':
      return { field: at(field, String(p.missingProperty)), message: 'is required' };
    case 'additionalProperties':
      return { field: at(field, String(p.additionalProperty)), message: 'unknown field' };
    case 'type':
      message = `${is}; must be ${typeText(p.type)}`;
      break;
    case 'pattern': {
      const format = FORMAT_OF_PATTERN.get(String(p.pattern));
      message = format !== undefined ? `${is}; must be a ${format}` : `${is}; must match pattern ${String(p.pattern)}`;
      break;
    }
    case 'enum':
      message = `${is}; must be one of ${(Array.isArray(p.allowedValues) ? p.allowedValues : []).map(describe).join(', ')}`;
      break;
    case 'maxLength':
      message = `${is}; must be at most ${plural(limit, 'character')}`;
      break;
    case 'minLength':
      message = `${is}; must be at least ${plural(limit, 'character')}`;
      break;
    case 'maximum':
    case 'minimum':
    case 'exclusiveMaximum':
    case 'exclusiveMinimum':
      message = `${is}; must be ${String(p.comparison)} ${limit}`;
      break;
    case 'multipleOf':
      message = `${is}; must be a multiple of ${String(p.multipleOf)}`;
      break;
    case 'maxItems':
      message = `has ${plural(Array.isArray(value) ? value.length : 0, 'item')}; must have at most ${limit}`;
      break;
    case 'minItems':
      message = `has ${plural(Array.isArray(value) ? value.length : 0, 'item')}; must have at least ${limit}`;
      break;
    case 'maxProperties':
      message = `has ${plural(isSchema(value) ? Object.keys(value).length : 0, 'field')}; must have at most ${limit}`;
      break;
    case 'minProperties':
      message = `has ${plural(isSchema(value) ? Object.keys(value).length : 0, 'field')}; must have at least ${limit}`;
      break;
    case 'uniqueItems': {
      // ajv names the later item i and the earlier j; the API server reports the later one, as a duplicate.
      const later = Math.max(Number(p.i), Number(p.j));
      const item = Array.isArray(value) ? value[later] : undefined;
      return { field: at(field, later), message: `is ${describe(item)}; must be unique (the same as [${Math.min(Number(p.i), Number(p.j))}])` };
    }
    default:
      message = `${is}; ${e.message ?? `fails ${e.keyword}`}`;
  }
  return { field: field || '(object)', message };
}

/** Deduplicated, by field, then message. */
function sortedIssues(issues: readonly CrdIssue[]): CrdIssue[] {
  const seen = new Map<string, CrdIssue>();
  for (const i of issues) seen.set(`${i.field}\0${i.message}`, i);
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return [...seen.values()].sort((a, b) => cmp(a.field, b.field) || cmp(a.message, b.message));
}

// ---- The project's CRDs ----

const instances = new Map<string, CrdSchemas>();

function schemasFor(options: CrdOptions | undefined): CrdSchemas {
  const key = `${options?.dir ?? ''}\0${options?.cacheDir === null ? '\0null' : (options?.cacheDir ?? '')}`;
  let s = instances.get(key);
  if (s === undefined) instances.set(key, (s = new CrdSchemas(options)));
  return s;
}

/**
 * The issues of a custom resource against the vendored CRD of its group and kind (`crds/` of the project root, or
 * `options.dir`): [] if the API server would accept it; undefined when no vendored CRD defines this apiVersion/kind.
 * A version the CRD does not serve is one issue on `apiVersion`.
 */
export function customResourceIssues(o: CustomResource, options?: CrdOptions): CrdIssue[] | undefined {
  return schemasFor(options).issues(o);
}

/** Whether a vendored CRD defines the group of `apiVersion` and `kind` (served or not in that version). */
export function isCustomResourceKnown(apiVersion: string, kind: string, options?: CrdOptions): boolean {
  return schemasFor(options).isKnown(apiVersion, kind);
}
