import type { KubeObject } from '../lib/objects/kube-object';
import { formatBytes, formatSummary, type SummaryRow } from '../lib/report/summary';

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

  test('counts objects, and objects by kind with kinds sorted', () => {
    expect(lines[1]).toMatch(/^ov\s+dist\/ov\.k8s\.yaml\s+6\s+12\.3 KiB  Deployment 2, Ingress 1, Service 3$/);
    expect(lines[2]).toMatch(/^ov-demo\s+dist\/ov-demo\.k8s\.yaml\s+1\s+900 B  NetworkPolicy 1$/);
  });

  test('sizes and counts are right-aligned, and a total line follows', () => {
    const sizeEnd = lines[0].indexOf('size') + 'size'.length;
    for (const line of lines.slice(1, 4)) expect(line.slice(0, sizeEnd)).toMatch(/(KiB|B)$/);
    expect(lines[3]).toMatch(/^total\s+2 files\s+7\s+13\.2 KiB$/);
    expect(lines[0]).toMatch(/^namespace\s+file\s+objects\s+size  kinds$/);
  });

  test('long kind lists wrap under their column, with no trailing spaces', () => {
    const many = [{ ...rows[0], objects: ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J'].map((k) => obj(`Kind${k}xxxxxxx`, 'x')) }];
    const out = formatSummary(many, { color: false }).trimEnd().split('\n');
    expect(out.length).toBeGreaterThan(2);
    const column = out[0].indexOf('kinds');
    for (const line of out.slice(2)) expect(line.search(/\S/)).toBe(column);
    for (const line of out) expect(line).toBe(line.trimEnd());
    expect(out.slice(1).map((l) => l.slice(column)).join(' ')).toBe(
      many[0].objects.map((o) => `${o.kind} 1`).join(', '),
    );
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
