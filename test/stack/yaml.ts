/** The fast YAML layout writes exactly what js-yaml writes, for our output and for awkward data. */
import { dump, load } from 'js-yaml';
import { previewEnvironment } from '../../lib/environments';
import { DUMP_OPTIONS, toYaml } from '../../lib/yaml';
import { DEMO, objectsOf, PRODUCTION } from '../helpers';

const reference = (...docs: object[]) => docs.map((d) => dump(d, DUMP_OPTIONS)).join('---\n');

test.each([['ov', PRODUCTION], ['ov-demo', DEMO], ['ov-pr-12', previewEnvironment(12)]] as const)(
  'the manifests of %s are byte-identical to js-yaml',
  (_name, env) => {
    const objects = objectsOf(env);
    expect(toYaml(...objects)).toBe(reference(...objects));
  },
);

const AWKWARD = {
  strings: ['', ' ', '-', '-c', '--noinput', 'true', 'false', 'null', '~', 'yes', 'no', 'on', '1', '1.0', '0x1F', '1e3', '.5', '2026-11-29',
    'a: b', 'a #b', '#x', '&a', '*a', '!x', '%x', '@x', '`x', '"q"', "'q'", '[x]', '{x}', 'x,y', '?', ':', 'é ü', '\t', 'trailing ', ' leading', '0777', '+1'],
  numbers: [0, -1, 1.5, 1e21, 123456789],
  booleans: [true, false],
  empty: { list: [], map: {} },
  nulls: [null, { x: null }],
  nested: [[1, [2, []]], [{ a: 1, b: [{ c: {} }] }], []],
  'key: with colon': 1,
  '': 'empty key',
  'true': 'bool-like key',
  '123': 'number-like key',
  'a/b.c_d-e': { 'app.kubernetes.io/name': 'x' },
};

test('an object used twice is written twice, never as an anchor and alias', () => {
  const shared = { cpu: '1', memory: '1Gi' };
  const doc = { requests: shared, limits: shared, list: [shared, shared] };
  expect(toYaml(doc)).toBe(reference(doc));
  expect(toYaml(doc)).not.toMatch(/[&*]ref/);
});

test('awkward scalars, keys and nesting are laid out as js-yaml lays them out', () => {
  expect(toYaml(AWKWARD)).toBe(reference(AWKWARD));
  expect(load(toYaml(AWKWARD))).toEqual(AWKWARD);
});

test('what is not plain data is left to js-yaml whole', () => {
  const multiline = { script: 'line one\nline two\n', list: ['a\nb'] };
  expect(toYaml(multiline)).toBe(reference(multiline));
  const longKey = { ['k'.repeat(1100)]: 1 };
  expect(toYaml(longKey)).toBe(reference(longKey));
  const undef = { missing: undefined, kept: 1 };
  expect(toYaml(undef)).toBe(reference(undef));
});

test('several documents are separated by ---', () => {
  expect(toYaml({ a: 1 }, { b: [1] })).toBe('a: 1\n---\nb:\n  - 1\n');
});
