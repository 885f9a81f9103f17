/** Text helpers the topology files share: a stable string order, numbers-or-strings as text, and Markdown inline code. */
import { str } from '../../objects/json';

/** A field that may be a number as well as a string (ports, replicas, completions), as text. */
export function intOrString(v: unknown): string | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? String(v) : str(v);
}

/** Code-point order, the same on every machine and locale, so that the page depends only on its input. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `s` as Markdown inline code. */
export function code(s: string): string {
  return s.includes('`') ? `\`\` ${s} \`\`` : `\`${s}\``;
}
