/** Reads synthesized objects for validation and the topology page: narrowing helpers for untyped Kubernetes JSON, and the field-path notation of messages. */

export type JsonObject = Readonly<Record<string, unknown>>;

const EMPTY: JsonObject = Object.freeze({});

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `v` if it is a JSON object, else an empty object: lets absent sections read as "nothing set". */
export function obj(v: unknown): JsonObject {
  return isObject(v) ? v : EMPTY;
}

export function list(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? v : [];
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** The string entries of an array field such as a list of hosts; other entries are skipped. */
export function strings(v: unknown): string[] {
  return list(v).filter((x): x is string => typeof x === 'string');
}

/** The object entries of an array field, each with its path (`base[i]`); non-objects are skipped. */
export function items(v: unknown, base: string): Array<{ readonly item: JsonObject; readonly path: string }> {
  const out: Array<{ item: JsonObject; path: string }> = [];
  list(v).forEach((item, i) => {
    if (isObject(item)) out.push({ item, path: at(base, i) });
  });
  return out;
}

/** The string-valued entries of a map field such as labels or a Service selector. */
export function stringMap(v: unknown): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(obj(v))) if (typeof val === 'string') out[k] = val;
  return out;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Extends a field path: `a.b`, `a[0]`, or `a["app.kubernetes.io/name"]` for keys that are not plain words. */
export function at(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  if (!PLAIN_KEY.test(key)) return `${base}[${JSON.stringify(key)}]`;
  return base ? `${base}.${key}` : key;
}

/** A found value as messages show it: `unset`, or its JSON. */
export function describe(v: unknown): string {
  if (v === undefined) return 'unset';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The field path of a JSON pointer into `root` (in the notation of messages), and the value there. */
export function resolvePointer(root: unknown, pointer: string): { field: string; value: unknown } {
  let field = '';
  let value = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(value)) {
      field = at(field, Number(key));
      value = value[Number(key)];
    } else {
      field = at(field, key);
      value = isObject(value) ? value[key] : undefined;
    }
  }
  return { field, value };
}
