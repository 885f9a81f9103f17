/** The table printed after synthesis: one row per written manifest file. */
import type { KubeObject } from '../objects/kube-object';

export interface SummaryRow {
  readonly namespace: string;
  readonly file: string;
  readonly objects: readonly KubeObject[];
  readonly bytes: number;
}

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB'] as const;

/** `512 B`, `12.3 KiB`, `4.0 MiB`: binary units, one decimal above bytes. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`not a byte count: ${n}`);
  const bytes = Math.round(n);
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes / 1024;
  let unit = 0;
  // Move up while the value would print as 1024.0 or more (1048575 B is 1.0 MiB, not 1024.0 KiB).
  while (Math.round(value * 10) / 10 >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** `Deployment 2`, `Service 3`: objects counted by kind, kinds sorted by name. */
function countByKind(objects: readonly KubeObject[]): string[] {
  const counts = new Map<string, number>();
  for (const o of objects) counts.set(o.kind, (counts.get(o.kind) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([kind, count]) => `${kind} ${count}`);
}

/** Joins `parts` with ", " into lines of at most `width` characters (a longer part gets a line of its own). */
function wrap(parts: readonly string[], width: number): string[] {
  const lines: string[] = [];
  for (const part of parts) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last].length + 2 + part.length + 1 <= width) lines[last] += `, ${part}`;
    else {
      if (last >= 0) lines[last] += ',';
      lines.push(part);
    }
  }
  return lines.length > 0 ? lines : ['(none)'];
}

const BOLD = '\x1b[1m';
const GREEN = '\x1b[32m';
const RESET = '\x1b[0m';
/** Width of the kinds column, so the table stays readable in an 80-column terminal. */
const KINDS_WIDTH = 44;

interface Cell {
  readonly text: string;
  readonly style?: string;
  readonly right?: boolean;
}

/**
 * An aligned plain-text table: namespace, file, object count, size, and the objects by kind (wrapped),
 * with a total line when there is more than one file. `color` adds ANSI bold to the header and green
 * to namespaces; without it there are no escape codes. No trailing spaces; ends with a newline.
 */
export function formatSummary(rows: readonly SummaryRow[], options: { readonly color: boolean }): string {
  const paint = (cell: Cell): string => (options.color && cell.style ? `${cell.style}${cell.text}${RESET}` : cell.text);
  const table: Cell[][] = [['namespace', 'file', 'objects', 'size', 'kinds'].map((text, i) => ({ text, style: BOLD, right: i === 2 || i === 3 }))];
  for (const r of rows) {
    const [first, ...more] = wrap(countByKind(r.objects), KINDS_WIDTH);
    table.push([
      { text: r.namespace, style: GREEN },
      { text: r.file },
      { text: String(r.objects.length), right: true },
      { text: formatBytes(r.bytes), right: true },
      { text: first },
    ]);
    for (const line of more) table.push([{ text: '' }, { text: '' }, { text: '' }, { text: '' }, { text: line }]);
  }
  if (rows.length > 1) {
    const count = rows.reduce((sum, r) => sum + r.objects.length, 0);
    const bytes = rows.reduce((sum, r) => sum + r.bytes, 0);
    table.push([{ text: 'total' }, { text: `${rows.length} files` }, { text: String(count), right: true }, { text: formatBytes(bytes), right: true }, { text: '' }]);
  }
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].text.length)));
  const lines = table.map((row) =>
    row
      .map((cell, i) => {
        // Padding stays outside the escape codes so colored and plain output line up the same way.
        const pad = ' '.repeat(i === row.length - 1 ? 0 : widths[i] - cell.text.length);
        return cell.right ? pad + paint(cell) : paint(cell) + pad;
      })
      .join('  ')
      .trimEnd(),
  );
  return `${lines.join('\n')}\n`;
}
