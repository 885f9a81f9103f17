import type { KubeObject } from '../lib/objects';
import { formatBytes, formatSummary, type SummaryRow } from '../lib/summary';

function obj(kind: string, name: string): KubeObject {
  return { apiVersion: 'v1', kind, metadata: { name } };
}

const rows: SummaryRow[] = [
  {
    namespace: 'ov',
    file: 'dist/ov.k8s.yaml',
    objects: [
      obj('Service', 'ov-frontend'),
      obj('Deployment', 'ov-frontend'),
      obj('Service', 'ov-wag'),
      obj('Deployment', 'ov-wag'),
      obj('Service', 'db'),
      obj('Ingress', 'ov'),
    ],
    bytes: 12_595,
  },
  { namespace: 'ov-demo', file: 'dist/ov-demo.k8s.yaml', objects: [obj('NetworkPolicy', 'default-deny')], bytes: 900 },
];

const ESC = '\x1b';
const stripAnsi = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');

describe('formatBytes', () => {
  test.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [12_595, '12.3 KiB'],
    [1_048_575, '1.0 MiB'],
    [5 * 1024 * 1024 * 1024, '5.0 GiB'],
  ])('%d bytes → %s', (n, expected) => {
    expect(formatBytes(n)).toBe(expected);
  });

  test('rejects what is not a byte count', () => {
    expect(() => formatBytes(-1)).toThrow(RangeError);
    expect(() => formatBytes(Number.NaN)).toThrow(RangeError);
  });
});

describe('formatSummary', () => {
  const plain = formatSummary(rows, { color: false });
  const colored = formatSummary(rows, { color: true });
  const lines = plain.split('\n');

  test('counts objects by kind, kinds sorted', () => {
    expect(lines[1]).toContain('Deployment 2, Ingress 1, Service 3');
    expect(lines[2]).toContain('NetworkPolicy 1');
  });

  test('sizes are human-readable and right-aligned', () => {
    expect(lines[1]?.endsWith('12.3 KiB')).toBe(true);
    expect(lines[2]?.endsWith('  900 B')).toBe(true);
    expect(lines[3]?.endsWith('13.2 KiB')).toBe(true);
  });

  test('columns line up and a total line follows', () => {
    expect(lines[0]).toMatch(/^namespace\s+file\s+objects\s+size$/);
    const fileColumn = lines[0]?.indexOf('file');
    expect(lines.slice(1, 4).map((l) => l.indexOf('dist/') === fileColumn || l.startsWith('total'))).toEqual([true, true, true]);
    expect(lines[3]).toMatch(/^total\s+2 files\s+7 objects\s+13\.2 KiB$/);
    expect(new Set(lines.slice(0, 4).map((l) => l.length)).size).toBe(1);
  });

  test('ends with a newline', () => {
    expect(plain.endsWith('KiB\n')).toBe(true);
    expect(colored.endsWith('\n')).toBe(true);
  });

  test('no escape codes without color', () => {
    expect(plain).not.toContain(ESC);
  });

  test('bold header and green namespaces with color, same layout once stripped', () => {
    expect(colored).toContain(`${ESC}[1mnamespace${ESC}[0m`);
    expect(colored).toContain(`${ESC}[32mov-demo${ESC}[0m`);
    expect(stripAnsi(colored)).toBe(plain);
  });

  test('a single file has no total line', () => {
    expect(formatSummary(rows.slice(0, 1), { color: false }).trimEnd().split('\n')).toHaveLength(2);
  });
});
