/** The messages of custom-resource issues: ajv's errors as the API server would word them, on dotted field paths. */
import type { ErrorObject } from 'ajv';
import { at, describe } from '../../objects/json';
import { FORMAT_OF_PATTERN, isSchema, type Schema } from './structural';

/** One problem found in a custom resource. `field`: a dotted path such as `spec.data[0].remoteRef.key`. */
export interface CrdIssue {
  readonly field: string;
  readonly message: string;
}

/**
 * A copy of `o` without null or undefined fields: the API server prunes nulls of fields that are not nullable
 * before validating (and an absent value is what cdk8s means by undefined). Nulls in arrays are kept.
 */
export function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (!isSchema(v)) return v;
  const out: Schema = {};
  for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = withoutNulls(x);
  return out;
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

export function issueOf(data: unknown, e: ErrorObject): CrdIssue {
  const { field, value } = resolvePointer(data, e.instancePath);
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
export function sortedIssues(issues: readonly CrdIssue[]): CrdIssue[] {
  const seen = new Map<string, CrdIssue>();
  for (const i of issues) seen.set(`${i.field}\0${i.message}`, i);
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return [...seen.values()].sort((a, b) => cmp(a.field, b.field) || cmp(a.message, b.message));
}
