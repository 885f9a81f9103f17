/**
 * A CRD version's `openAPIV3Schema` as the API server applies it, rewritten in terms ajv checks: the structural-schema
 * rules (unknown fields are errors; `x-kubernetes-int-or-string`, `x-kubernetes-preserve-unknown-fields`, ...), with
 * repeated subschemas shared so that ajv generates their code once.
 */

export type Schema = { [k: string]: unknown };

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

export const FORMAT_OF_PATTERN: ReadonlyMap<string, string> = new Map(Object.entries(FORMAT_PATTERNS).map(([f, p]) => [p, f]));

export function isSchema(v: unknown): v is Schema {
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
export function structuralRoot(s: Schema): Schema {
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
export function shareRepeats(root: Schema): Schema {
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

/** The source of everything above that shapes what ajv is given: part of the validator cache's key. */
export function rewriteSources(): string {
  return [structural, structuralRoot, mapChildren, shareRepeats, isIntOrStringAnyOf, isJsRegExp, String(SHARED_MIN_SIZE),
    [...KEPT_KEYWORDS].join(), JSON.stringify(FORMAT_PATTERNS)].map(String).join('\0');
}
