/**
 * The YAML the manifests are written in: js-yaml's block style (keys in order, sequences indented,
 * no line folding, no anchors).
 *
 * Rendering many environments in one run is dominated by serialization, so the block layout of plain
 * JSON data is laid out here and every scalar and key is still formatted by js-yaml itself, once per
 * distinct value: quoting rules stay the library's. Anything else (a multi-line string, a value that
 * is not plain JSON) goes to js-yaml whole. `test/yaml.test.ts` holds the two to the same bytes.
 */
import { dump } from 'js-yaml';

export const DUMP_OPTIONS = {
  lineWidth: -1,
  noRefs: true,
  quotingType: '"',
} as const;

/** Beyond this many distinct scalars the cache starts over, to bound memory in long runs. */
const CACHE_LIMIT = 100_000;
const scalars = new Map<unknown, string>();

/** Thrown inside the fast path for data it does not lay out itself. */
const NOT_PLAIN = Symbol('not plain');

function scalar(value: unknown): string {
  let text = scalars.get(value);
  if (text === undefined) {
    if (typeof value === 'string' ? value.includes('\n') : !['number', 'boolean'].includes(typeof value)) throw NOT_PLAIN;
    if (scalars.size >= CACHE_LIMIT) scalars.clear();
    text = dump(value, DUMP_OPTIONS).slice(0, -1);
    scalars.set(value, text);
  }
  return text;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
const isCollection = (v: unknown): v is unknown[] | Record<string, unknown> =>
  Array.isArray(v) ? v.length > 0 : isPlainObject(v) && Object.keys(v).length > 0;

function inline(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return '[]';
  if (isPlainObject(value)) return '{}';
  return scalar(value);
}

/** A non-empty mapping or sequence, each line indented by `indent` spaces. */
function block(value: unknown[] | Record<string, unknown>, indent: number): string {
  const pad = ' '.repeat(indent);
  let out = '';
  if (Array.isArray(value)) {
    for (const item of value) {
      // A nested collection starts on the dash line: `- name: x` then its other keys under `name`.
      out += isCollection(item) ? `${pad}- ${block(item, indent + 2).slice(indent + 2)}` : `${pad}- ${inline(item)}\n`;
    }
    return out;
  }
  for (const [key, item] of Object.entries(value)) {
    // js-yaml writes very long keys in the explicit `? key` form.
    if (item === undefined || key.length > 1024) throw NOT_PLAIN;
    const name = `${pad}${scalar(key)}:`;
    out += isCollection(item) ? `${name}\n${block(item, indent + 2)}` : `${name} ${inline(item)}\n`;
  }
  return out;
}

function document(value: object): string {
  try {
    return isCollection(value) ? block(value, 0) : `${inline(value)}\n`;
  } catch (error) {
    if (error !== NOT_PLAIN) throw error;
    return dump(value, DUMP_OPTIONS);
  }
}

/** One multi-document YAML stream: each object a document, separated by `---`. */
export function toYaml(...documents: readonly object[]): string {
  return documents.map(document).join('---\n');
}
