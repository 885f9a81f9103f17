/**
 * Registry values as their consumers take them: image tags whose facts are declared (releases, and the tags
 * that move with every build), and each value rule at both sides of its boundary, with the consumer's rule
 * named beside it.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadRegistry, REGISTRY } from '../../lib/config/environments';
import { BACKEND_RELEASES, FRONTEND_RELEASES, MOVING_TAGS, pageIndex, tagFacts } from '../../lib/config/images';
import { ES_INDEX_MAX_BYTES, hostName, imageProblem, isDnsSubdomain, isLabelKey, isLabelValue, normalizedUrl } from '../../lib/config/rules';
import { TIME_ZONES } from '../../lib/config/time-zones';
import { EnvironmentInput, environmentProblems } from '../../lib/config/types';
import { tlsSecretName } from '../../lib/chart/ingress';
import { migrationJobName } from '../../lib/chart/jobs';
import { withValue } from '../helpers';
import { tool } from '../go-tools';

const [PROD, DEMO] = REGISTRY;
const withTag = (env: EnvironmentInput, tier: 'frontend' | 'backend', tag: string): EnvironmentInput => ({ ...env, [tier]: { ...env[tier], tag } });

/** The verdicts of the consumers' own code (test/values), one per query. */
const judge = (queries: ReadonlyArray<readonly [string, string]>): boolean[] => {
  const input = queries.map(([kind, value]) => JSON.stringify({ kind, value })).join('\n');
  const out = execFileSync(tool('values'), [], { input, encoding: 'utf8' });
  return out.trim().split('\n').map((l) => l === 'true');
};

describe('image tags', () => {
  test.each([
    ['backend', 'v1.1.4'], ['backend', 'v1.2.0'], ['frontend', 'v1.3.0'], ['frontend', 'develop'], ['backend', 'pr-0'], ['backend', 'pr-12a'], ['backend', 'PR-12'],
  ] as const)('%s tag %s, undeclared, is refused in one line saying how to declare it', (tier, tag) => {
    const problems = environmentProblems(withTag(DEMO, tier, tag));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^ov-demo: ${tier}\\.tag "${tag}" is not a tag of ov-(frontend|wag) that lib/config/images\\.ts declares \\(.*\\): add its facts to ${tier.toUpperCase()}_RELEASES there, or declare it in MOVING_TAGS\\.${tier} with the release it follows$`));
  });

  test.each(['main', 'pr-1', 'pr-258'])('the moving tag %s follows its declared release in both tiers', (tag) => {
    for (const tier of ['frontend', 'backend'] as const) {
      expect(tagFacts(tier, tag)).toEqual({ release: MOVING_TAGS[tier][tag === 'main' ? 'main' : 'pr-<n>'], moving: true });
      expect(environmentProblems(withTag(DEMO, tier, tag))).toEqual([]);
    }
  });

  test('every declared release stays deployable: a rollback is one tag', () => {
    for (const tag of Object.keys(BACKEND_RELEASES)) {
      expect(tagFacts('backend', tag)).toEqual({ release: tag, moving: false });
      // v1.1.0 has the index name built in: an environment on the index "wagtail" can run it.
      const env = tag === 'v1.1.0' ? { ...PROD, site: { ...PROD.site, esIndex: 'wagtail' } } : PROD;
      expect(environmentProblems(withTag(env, 'backend', tag))).toEqual([]);
    }
    for (const tag of Object.keys(FRONTEND_RELEASES)) {
      expect(tagFacts('frontend', tag)).toEqual({ release: tag, moving: false });
    }
  });
});

describe('values as their consumers check them, at both sides of each boundary', () => {
  const ok = (path: string, value: unknown, env: EnvironmentInput = PROD) => expect([path, value, environmentProblems(withValue(env, path, value))]).toEqual([path, value, []]);
  const refused = (path: string, value: unknown, env: EnvironmentInput = PROD) => {
    const problems = environmentProblems(withValue(env, path, value));
    expect([path, value, problems.length]).toEqual([path, value, 1]);
    expect(problems[0]).toMatch(new RegExp(`^${env.namespace}: ${path.replace(/[.[\]]/g, '\\$&')}`));
    expect(problems[0]).not.toContain('\n');
  };

  test('label keys and values, as the API server parses labels and selectors (apimachinery IsLabelKey, IsLabelValue)', () => {
    const labels = 'ingress.controller.podLabels';
    for (const good of [{ 'app.kubernetes.io/name': 'traefik' }, { a: '' }, { ['k'.repeat(63)]: 'v'.repeat(63) }, { [`${'p'.repeat(63)}.example.org/k`]: 'A_b.c-9' }]) ok(labels, good);
    for (const bad of [{}, { '-a': 'x' }, { 'a/b/c': 'x' }, { 'Example.com/a': 'x' }, { '/a': 'x' }, { ['k'.repeat(64)]: 'v' }, { a: 'v'.repeat(64) }, { a: '-x' }, { a: 'x y' }]) refused(labels, bad);
    refused('database.peer.podLabels', { 'cnpg.io/cluster': 'ov db' }, withValue(PROD, 'database', { mode: 'external', host: 'db', port: 5432, name: 'ov', user: 'ov', peer: { podLabels: { a: 'b' } } }));
  });

  test('hosts as an Ingress rule, a certificate and DNS take them', () => {
    for (const good of ['openvault.wgbh.org', 'a.b1', `${'a'.repeat(63)}.org`, `${'a.'.repeat(125)}org`]) ok('host', good);
    for (const bad of ['1.2.3.4', 'openvault.123', `${'a'.repeat(64)}.org`, `${'a.'.repeat(125)}orgs`, 'localhost', 'OpenVault.org', '*.wgbh.org']) refused('host', bad);
  });

  test('S3 bucket names by AWS\'s general purpose bucket naming rules', () => {
    for (const good of ['abc', 'b'.repeat(63), 'a.-b', 'xn-abc', 'media.openvault.wgbh.org', 'sthree', 'abc-s3alia']) ok('site.s3Bucket', good);
    for (const bad of ['ab', 'b'.repeat(64), 'a..b', '192.168.5.4', 'Abc', '-abc', 'abc.', 'xn--abc', 'sthree-abc', 'amzn-s3-demo-abc', 'abc-s3alias', 'abc--ol-s3', 'abc.mrap', 'abc--x-s3', 'abc--table-s3']) refused('site.s3Bucket', bad);
  });

  test('Elasticsearch index names by its rules, with room for the page index the frontend searches', () => {
    const room = ES_INDEX_MAX_BYTES - Buffer.byteLength(pageIndex(''));
    for (const good of ['ov', 'ov-demo', 'a'.repeat(room), 'é'.repeat(room / 2), 'a.b']) ok('site.esIndex', good);
    for (const bad of ['OV', 'Ov', 'a:b', 'a#b', 'a b', 'a,b', 'a*b', '-a', '_a', '+a', '.a', '.', '..', '', 'a'.repeat(room + 1), 'é'.repeat(room / 2 + 1)]) refused('site.esIndex', bad);
    ok('site.gbhIndex', 'g'.repeat(ES_INDEX_MAX_BYTES));
    refused('site.gbhIndex', 'g'.repeat(ES_INDEX_MAX_BYTES + 1));
  });

  test('image references by the distribution grammar, pinned', () => {
    const image = 'jobs.restartBackend.kubectlImage';
    for (const good of ['registry.k8s.io/kubectl:v1.31.2', 'localhost:5000/kubectl:v1', `registry.k8s.io/kubectl@sha256:${'a'.repeat(64)}`, 'a__b/c-d--e:1', `r.io/${'a'.repeat(255)}:1`]) ok(image, good);
    for (const bad of ['registry.k8s.io/kubectl', 'registry.k8s.io//kubectl:v1', 'a..b/c:1', 'registry.k8s.io/Kubectl:v1', 'a___b:1', 'kubectl:latest', `registry.k8s.io/kubectl@sha256:${'A'.repeat(64)}`, `r.io/${'a'.repeat(256)}:1`]) refused(image, bad);
  });

  test('no credentials in a URL that lands in a ConfigMap', () => {
    for (const field of ['site.esUrl', 'site.aapbHost', 'site.organUrl', 'site.auth0Url']) {
      ok(field, 'https://example.org/x');
      refused(field, 'https://user:secret@example.org');
      refused(field, 'https://user@example.org');
    }
  });

  test('time zones from the tz database, as Go\'s time.LoadLocation takes them: every name we accept, none ICU alone knows', () => {
    const icuOnly = ['PST', 'IST', 'US/Pacific-New', 'SystemV/AST4', 'Canada/East-Saskatchewan'];
    for (const name of icuOnly) expect([name, new Intl.DateTimeFormat('en', { timeZone: name }).resolvedOptions().timeZone !== undefined]).toEqual([name, true]);
    const names = [...TIME_ZONES, ...icuOnly, 'america/new_york'];
    const loaded = judge(names.map((n) => ['timeZone', n] as const));
    expect(names.filter((_, i) => !loaded[i])).toEqual([...icuOnly, 'america/new_york']);
    // "Local" loads, but the API server refuses it by name (validateTimeZone): it is not in the list either.
    expect(TIME_ZONES.has('Local')).toBe(false);
    for (const good of ['America/New_York', 'UTC', 'EST5EDT', 'Asia/Calcutta', 'Europe/Kyiv', 'Etc/GMT+3']) ok('jobs.updateIndex.timeZone', good);
    for (const bad of [...icuOnly, 'Local', 'america/new_york']) refused('jobs.updateIndex.timeZone', bad);
  });

  test('the list of time zones is the one Go ships (regenerate with go run scripts/time-zones.go)', () => {
    const root = path.join(__dirname, '..', '..');
    const generated = execFileSync('go', ['run', path.join(root, 'scripts', 'time-zones.go')], { encoding: 'utf8' });
    expect(generated).toBe(fs.readFileSync(path.join(root, 'lib', 'config', 'time-zones.ts'), 'utf8'));
  });
});

describe('names derived from values are valid and unique for every valid value', () => {
  test('TLS Secret names: one per host, each a valid Secret name; today\'s unambiguous names are kept', () => {
    const certs = { mode: 'cert-manager', clusterIssuer: 'letsencrypt-production' } as const;
    const hosts = [
      'openvault.wgbh.org', 'demo.openvault.wgbh.org', 'a-b.c.org', 'a.b-c.org', 'a.b.c.org', 'a-b-c.org', 'ov-wag-pr-1.demo.openvault.wgbh.org',
      `${'a'.repeat(63)}.org`, `${'a'.repeat(55)}.bc.org`, `x.${'t'.repeat(60)}`, `x.${'t'.repeat(63)}`, `${'a.'.repeat(125)}org`, `${'a.'.repeat(124)}a-b`,
    ];
    for (const h of hosts) expect(hostName.safeParse(h).success).toBe(true);
    const names = hosts.map((h) => tlsSecretName(certs, h)!);
    for (const n of names) expect([n, isDnsSubdomain(n)]).toEqual([n, true]);
    expect(new Set(names).size).toBe(hosts.length);
    expect(tlsSecretName(certs, 'openvault.wgbh.org')).toBe('openvault-wgbh-org-tls');
  });

  test('migration Job names: valid label values and names, one per tag and preview', () => {
    const tags = ['v1.1.3', 'v1-1-3', 'V1.1.3', 'v1_1_3', 'main', 'pr-195', 'pr-1', `v${'1'.repeat(126)}a`, `v${'1'.repeat(126)}b`, '_', 'a--b', 'a-b'];
    const template = { metadata: { labels: { a: 'b' } }, spec: { containers: [] } };
    const placements = [undefined, { namespace: 'ov-demo', instance: 'ov-frontend-pr-999999' }, { namespace: 'ov-demo', instance: 'ov-wag-pr-1' }];
    const names = placements.flatMap((p) => tags.map((t) => migrationJobName(t, template, p)));
    for (const n of names) expect([n, /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(n)]).toEqual([n, true]);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('"shared" is decided on normalised URLs', () => {
  const [prod, demo] = REGISTRY;
  test.each(['https://ELASTIC.wgbh-mla.org', 'https://elastic.wgbh-mla.org/', 'https://elastic.wgbh-mla.org:443'])('%s is production\'s Elasticsearch', (esUrl) => {
    const twin = { ...demo, site: { ...demo.site, esIndex: prod.site.esIndex, esUrl } };
    expect(() => loadRegistry([prod, twin])).toThrow(`ov-demo (entry 2): shares the search index "${prod.site.esIndex} on ${normalizedUrl(prod.site.esUrl)}" with ov (entry 1)`);
  });

  test.each(['https://elastic.wgbh-mla.org:9200', 'http://elastic.wgbh-mla.org', 'https://elastic.wgbh-mla.org/other'])('%s is another', (esUrl) => {
    expect(loadRegistry([prod, { ...demo, site: { ...demo.site, esIndex: prod.site.esIndex, esUrl } }]).environments).toHaveLength(2);
  });
});

describe('held to the consumers\' own code (test/values: apimachinery, distribution/reference)', () => {
  const keys = ['a', 'app.kubernetes.io/name', 'k'.repeat(63), 'k'.repeat(64), '-a', 'a-', 'a/b/c', '/a', 'Example.com/a', 'example.com/', `${'p'.repeat(254)}/a`, 'a_b.C-9', 'a b'];
  const values = ['', 'v', 'v'.repeat(63), 'v'.repeat(64), '-x', 'x-', 'x y', 'A_b.c-9', 'a/b'];
  const hosts = ['openvault.wgbh.org', 'a.b1', '1.2.3.4', `${'a'.repeat(63)}.org`, `${'a'.repeat(64)}.org`, `${'a.'.repeat(125)}org`, `${'a.'.repeat(125)}orgs`, 'OpenVault.org', 'a..b', '-a.org', 'a.123'];
  const images = ['registry.k8s.io/kubectl:v1.31.2', 'registry.k8s.io/kubectl', 'kubectl:latest', 'localhost:5000/a/b:1', '[::1]:5000/a:1', 'a..b/c:1', 'registry.k8s.io/Kubectl:v1', 'Registry.k8s.io/kubectl:v1', 'a___b:1', 'a__b:1', 'a--b:1', `r.io/${'a'.repeat(255)}:1`, `r.io/${'a'.repeat(256)}:1`, `${'a'.repeat(247)}:1`, `${'a'.repeat(248)}:1`, `a@sha256:${'a'.repeat(64)}`, 'a:-x', `a:${'t'.repeat(129)}`];
  const verdicts = judge([...keys.map((v) => ['labelKey', v] as const), ...values.map((v) => ['labelValue', v] as const), ...hosts.map((v) => ['ingressHost', v] as const), ...images.map((v) => ['image', v] as const)]);
  const [forKeys, forValues, forHosts, forImages] = [keys, values, hosts, images].reduce<boolean[][]>((acc, list) => {
    const start = acc.flat().length;
    return [...acc, verdicts.slice(start, start + list.length)];
  }, []);

  test('label keys and values: the same verdict as the API server\'s IsLabelKey and IsLabelValue', () => {
    expect(keys.map((k) => [k, isLabelKey(k)])).toEqual(keys.map((k, i) => [k, forKeys[i]]));
    expect(values.map((v) => [v, isLabelValue(v)])).toEqual(values.map((v, i) => [v, forValues[i]]));
  });

  test('hosts: never one the API server refuses; stricter only where DNS is (a label over 63, a top-level label of digits)', () => {
    const ours = hosts.map((h) => hostName.safeParse(h).success);
    const dnsOnly = ['a.123', `${'a'.repeat(64)}.org`];
    expect(hosts.map((h, i) => [h, ours[i]])).toEqual(hosts.map((h, i) => [h, forHosts[i] && !dnsOnly.includes(h)]));
  });

  test('image references: the same grammar as distribution/reference, and pinned on top', () => {
    const grammar = images.map((ref) => {
      const problem = imageProblem(ref);
      return problem === undefined || /pinned/.test(problem);
    });
    expect(images.map((r, i) => [r, grammar[i]])).toEqual(images.map((r, i) => [r, forImages[i]]));
  });
});
