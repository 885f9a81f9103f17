/** The table printed after synthesis: one row per written manifest file. */
import type { KubeObject } from './objects';

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

/** `Deployment 2, Service 3`: objects counted by kind, kinds sorted by name. */
function countByKind(objects: readonly KubeObject[]): string {
  if (objects.length === 0) return '(none)';
  const counts = new Map<string, number>();
  for (const o of objects) counts.set(o.kind, (counts.get(o.kind) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ');
}

const BOLD = '\x1b[1m';
const GREEN = '\x1b[32m';
const RESET = '\x1b[0m';

interface Cell {
  readonly text: string;
  readonly style?: string;
}

/**
 * An aligned plain-text table: namespace, file, objects by kind, size (right-aligned), with a total line when there
 * is more than one file. `color` adds ANSI bold to the header and green to namespaces; without it there are no escape
 * codes. Always ends with a newline.
 */
export function formatSummary(rows: readonly SummaryRow[], options: { readonly color: boolean }): string {
  const paint = (cell: Cell): string => (options.color && cell.style ? `${cell.style}${cell.text}${RESET}` : cell.text);
  const table: Cell[][] = [['namespace', 'file', 'objects', 'size'].map((text) => ({ text, style: BOLD }))];
  for (const r of rows) {
    table.push([{ text: r.namespace, style: GREEN }, { text: r.file }, { text: countByKind(r.objects) }, { text: formatBytes(r.bytes) }]);
  }
  if (rows.length > 1) {
    const count = rows.reduce((sum, r) => sum + r.objects.length, 0);
    const bytes = rows.reduce((sum, r) => sum + r.bytes, 0);
    table.push([{ text: 'total' }, { text: `${rows.length} files` }, { text: `${count} objects` }, { text: formatBytes(bytes) }]);
  }
  const widths = [0, 1, 2, 3].map((i) => Math.max(...table.map((row) => row[i]?.text.length ?? 0)));
  const lines = table.map((row) =>
    row
      .map((cell, i) => {
        const pad = ' '.repeat((widths[i] ?? 0) - cell.text.length);
        // Padding stays outside the escape codes so colored and plain output line up the same way.
        return i === row.length - 1 ? pad + paint(cell) : paint(cell) + pad;
      })
      .join('  '),
  );
  return `${lines.join('\n')}\n`;
}
