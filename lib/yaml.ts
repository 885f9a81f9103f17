/**
 * The YAML the manifests are written in: js-yaml's block style (keys in order, sequences indented,
 * no line folding, no anchors).
 *
 * Rendering many environments in one run is dominated by serialization, so the block layout of plain
 * JSON data is laid out here and every scalar and key is still formatted by js-yaml itself, once per
 * distinct value: quoting rules stay the library's. Anything else (a multi-line string, a value that
 * is not plain JSON) goes to js-yaml whole. `test/stack/yaml.ts` holds the two to the same bytes.
 */
import { dump } from 'js-yaml';

export const DUMP_OPTIONS = {
  lineWidth: -1,
  noRefs: true,
  quotingType: '"',
} as const;

/** Beyond this many distinct scalars or keys a cache starts over, to bound memory in long runs. */
const CACHE_LIMIT = 100_000;
/** A scalar → its text, as js-yaml writes it. */
const scalars = new Map<unknown, string>();
/** A mapping key → `key:`, as js-yaml writes it. */
const keys = new Map<string, string>();

/** Thrown inside the fast path for data it does not lay out itself. */
const NOT_PLAIN = Symbol('not plain');

function format(value: unknown): string {
  if (typeof value === 'string' ? value.includes('\n') : typeof value !== 'number' && typeof value !== 'boolean') throw NOT_PLAIN;
  return dump(value, DUMP_OPTIONS).slice(0, -1);
}

function scalar(value: unknown): string {
  let text = scalars.get(value);
  if (text === undefined) {
    text = format(value);
    if (scalars.size >= CACHE_LIMIT) scalars.clear();
    scalars.set(value, text);
  }
  return text;
}

function key(name: string): string {
  let text = keys.get(name);
  if (text === undefined) {
    // js-yaml writes very long keys in the explicit `? key` form.
    if (name.length > 1024) throw NOT_PLAIN;
    text = `${format(name)}:`;
    if (keys.size >= CACHE_LIMIT) keys.clear();
    keys.set(name, text);
  }
  return text;
}

const pads: string[] = [];
const pad = (indent: number): string => (pads[indent] ??= ' '.repeat(indent));

/** What a value is to the layout; anything but plain JSON data leaves the fast path. */
const enum Shape { Scalar, Sequence, Mapping, EmptySequence, EmptyMapping }

function shapeOf(value: unknown): Shape {
  if (typeof value !== 'object' || value === null) return Shape.Scalar;
  if (Array.isArray(value)) return value.length > 0 ? Shape.Sequence : Shape.EmptySequence;
  if (Object.getPrototypeOf(value) !== Object.prototype) throw NOT_PLAIN;
  for (const _ in value) return Shape.Mapping;
  return Shape.EmptyMapping;
}

/**
 * The layout writes into one string: appending is cheap in V8, and a nested collection that starts on
 * its parent's line (`- name: x`) is written with that line's prefix, not cut out of a copy.
 */
let out = '';

/** The rest of a line that holds a value of the given shape: ` value` for inline ones, nothing for blocks. */
function inline(value: unknown, shape: Shape): string {
  switch (shape) {
    case Shape.Scalar: return value === null ? ' null' : ` ${scalar(value)}`;
    case Shape.EmptySequence: return ' []';
    case Shape.EmptyMapping: return ' {}';
    default: return '';
  }
}

/** A non-empty sequence or mapping at `indent`; its first line starts with `lead` instead of the indent. */
function block(value: object, shape: Shape.Sequence | Shape.Mapping, indent: number, lead: string): void {
  const spaces = pad(indent);
  let prefix = lead;
  if (shape === Shape.Sequence) {
    for (const item of value as unknown[]) {
      const itemShape = shapeOf(item);
      if (itemShape === Shape.Sequence || itemShape === Shape.Mapping) {
        // A nested collection starts on the dash line: `- name: x`, then its other keys under `name`.
        block(item as object, itemShape, indent + 2, `${prefix}- `);
      } else {
        out += `${prefix}-${inline(item, itemShape)}\n`;
      }
      prefix = spaces;
    }
    return;
  }
  const fields = value as Readonly<Record<string, unknown>>;
  for (const name in fields) {
    const item = fields[name];
    if (item === undefined) throw NOT_PLAIN;
    const itemShape = shapeOf(item);
    out += prefix + key(name);
    if (itemShape === Shape.Sequence || itemShape === Shape.Mapping) {
      out += '\n';
      block(item as object, itemShape, indent + 2, pad(indent + 2));
    } else {
      out += `${inline(item, itemShape)}\n`;
    }
    prefix = spaces;
  }
}

function document(value: object): string {
  out = '';
  try {
    const shape = shapeOf(value);
    if (shape === Shape.Sequence || shape === Shape.Mapping) block(value, shape, 0, '');
    else out = `${inline(value, shape).slice(1)}\n`;
    return out;
  } catch (error) {
    if (error !== NOT_PLAIN) throw error;
    return dump(value, DUMP_OPTIONS);
  } finally {
    out = '';
  }
}

/** One multi-document YAML stream: each object a document, separated by `---`. */
export function toYaml(...documents: readonly object[]): string {
  return documents.map(document).join('---\n');
}
