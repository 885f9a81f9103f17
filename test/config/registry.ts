/**
 * Wrong-but-valid registry values never reach dist/: each field is checked by the rule the API server or
 * the consuming controller applies, and the message names the environment, the field, the value and what
 * is allowed. Valid values of the same fields pass.
 */
import { REGISTRY, loadRegistry } from '../../lib/config/environments';
import { EnvironmentInput, environmentProblems } from '../../lib/config/types';
import { cronSchedule, quantityValue, timeZone } from '../../lib/config/rules';
import { MAX_REPLICAS } from '../../lib/config/schema';
import { MAX_PREVIEWS } from '../../lib/config/preview';

import { withValue } from '../helpers';

const [PROD, DEMO] = REGISTRY;

const WRONG: ReadonlyArray<readonly [EnvironmentInput, string, unknown]> = [
  [PROD, 'frontend.resources.limits.cpu', '10m'], // below its request
  [PROD, 'backend.resources.limits.memory', '10Mi'],
  [PROD, 'database.storage', '0Gi'],
  [PROD, 'database.storage', '20 Gi'],
  [PROD, 'frontend.resources.requests.memory', '100m'], // a tenth of a byte
  [PROD, 'frontend.resources.requests.cpu', 'fast'],
  [PROD, 'jobs.updateIndex.schedule', '61 * * * *'],
  [PROD, 'jobs.updateIndex.schedule', '0 25 * * *'],
  [PROD, 'jobs.updateIndex.schedule', '*/0 * * * *'],
  [PROD, 'jobs.updateIndex.schedule', '0 8 * *'],
  [PROD, 'jobs.updateIndex.schedule', '0 8 * * * *'],
  [PROD, 'jobs.updateIndex.schedule', '0 8 31 13 *'],
  [PROD, 'jobs.updateIndex.schedule', '@fortnightly'],
  [PROD, 'jobs.updateIndex.timeZone', 'America/New_Yrok'],
  [PROD, 'jobs.updateIndex.timeZone', 'america/new_york'],
  [PROD, 'ingress.tls.clusterIssuer', ''],
  [PROD, 'network.egressCidrs[0].cidr', '10.0.0.0/8'], // its holes are then outside it
  [PROD, 'network.egressCidrs[0].cidr', '0.0.0.0/33'],
  [PROD, 'jobs.restartBackend.apiServer.port', 70000],
  [PROD, 'jobs.restartBackend.kubectlImage', 'registry.k8s.io/kubectl'],
  [PROD, 'jobs.restartBackend.kubectlImage', 'registry.k8s.io/kubectl:latest'],
  [PROD, 'ingress.controller.className', 'Nginx Ingress'],
  [PROD, 'ingress.controller.namespace', 'Ingress_Nginx'],
  [PROD, 'externalSecrets.refreshInterval', 'hourly'],
  [PROD, 'externalSecrets.storeName', 'AWS_Secrets'],
  [PROD, 'gitops.repoURL', ''],
  [PROD, 'gitops.namespace', 'Argo CD'],
  [PROD, 'site.esUrl', 'https://elastic .wgbh-mla.org'],
  [PROD, 'site.esUrl', 'elastic.wgbh-mla.org'],
  [PROD, 'site.esIndex', 'OV'],
  [PROD, 'site.s3Bucket', 'Media_Bucket'],
  [PROD, 'site.s3Region', 'us-east'],
  [PROD, 'host', `https://${PROD.host}`],
  [PROD, 'namespace', 'OV'],
  [PROD, 'frontend.tag', 'latest'],
  [PROD, 'backend.tag', `${PROD.backend.tag} `],
  [PROD, 'backend.workers', 0],
  [PROD, 'frontend.autoscale.min', 0],
  [PROD, 'frontend.autoscale.max', 1], // below min
  [PROD, 'frontend.replicas', 2], // beside autoscale
  [DEMO, 'frontend.replicas', 0],
  [DEMO, 'frontend.replicas', 51],
  [DEMO, 'frontend.replicas', 1.5],
  [DEMO, 'frontend.replicas', undefined], // neither replicas nor autoscale
  [DEMO, 'database.name', 'open vault'],
  [DEMO, 'database.backup.keepDays', 0],
  [DEMO, 'ingress.maxBodySize', '100MB'],
  [DEMO, 'ingress.adminHost', DEMO.host], // the public host
  [DEMO, 'ingress.unknownOption', true],
];

describe('a wrong registry value is refused, naming the environment, the field, the value and what is allowed', () => {
  test.each(WRONG.map(([env, path, value]) => [env.namespace, path, value, env] as const))('%s: %s = %j', (_ns, path, value, env) => {
    const problems = environmentProblems(withValue(env, path, value));
    expect(problems.length).toBeGreaterThan(0);
    const field = path.replace(/\[\d+\]$/, '');
    const label = path === 'namespace' ? value : env.namespace;
    const named = problems.find((p) => p.startsWith(`${label}: `) && (p.includes(field) || p.includes(path.split('.')[0])));
    expect({ problems, named: named !== undefined }).toMatchObject({ named: true });
    if (value !== undefined && typeof value !== 'boolean') expect(problems.join('\n')).toContain(JSON.stringify(value));
  });

  test('a hole outside its CIDR is refused', () => {
    const env = withValue(PROD, 'network.egressCidrs[0]', { cidr: '10.0.0.0/16', except: ['10.1.0.0/24'] });
    expect(environmentProblems(env)).toEqual(['ov: network.egressCidrs[0].except[0] "10.1.0.0/24": must lie strictly inside 10.0.0.0/16']);
  });

  test('an external database without peer gets a message, not a stack trace', () => {
    const env = withValue(PROD, 'database', { mode: 'external', host: 'ov-db-cluster-rw', port: 5432, name: 'ov', user: 'ov' });
    expect(environmentProblems(env)).toEqual([expect.stringMatching(/^ov: database\.peer \(unset\): /)]);
  });
});

describe('valid Kubernetes values pass', () => {
  test.each([
    ['frontend.resources.limits.memory', '1G'],
    ['frontend.resources.limits.memory', '1073741824'],
    ['frontend.resources.limits.cpu', '1.5'],
    ['frontend.resources.limits.cpu', '1500m'],
    ['database.storage', '20G'],
    ['jobs.updateIndex.schedule', '@daily'],
    ['jobs.updateIndex.schedule', '@every 12h'],
    ['jobs.updateIndex.schedule', '0 8 * * MON-FRI'],
    ['jobs.updateIndex.schedule', '*/15 0-6,22-23 1,15 JAN-DEC ?'],
    ['jobs.updateIndex.timeZone', 'UTC'],
    ['jobs.updateIndex.timeZone', 'Europe/London'],
    ['externalSecrets.refreshInterval', '1h30m'],
    ['gitops.repoURL', 'git@github.com:WGBH-MLA/ov-deploy.git'],
    ['jobs.restartBackend.kubectlImage', `registry.k8s.io/kubectl@sha256:${'a'.repeat(64)}`],
  ])('%s = %j', (path, value) => {
    expect(environmentProblems(withValue(PROD, path, value))).toEqual([]);
  });
});

test('the rules agree with Kubernetes on what a quantity is worth', () => {
  // k8s.io/apimachinery resource.Quantity: binary and decimal suffixes, exponents.
  expect([quantityValue('1Gi'), quantityValue('1G'), quantityValue('500m'), quantityValue('1e3'), quantityValue('1.5Ki')]).toEqual([2 ** 30, 1e9, 0.5, 1000, 1536]);
  expect(quantityValue('1 Gi')).toBeUndefined();
  expect(cronSchedule.safeParse('0 8 * * 7').success).toBe(false); // robfig/cron: day of week 0-6
  expect(timeZone.safeParse('America/New_York').success).toBe(true);
});

test('every problem of every entry is reported at once', () => {
  const bad = [withValue(PROD, 'frontend.tag', 'latest'), withValue(DEMO, 'site.esUrl', 'nope')];
  expect(() => loadRegistry(bad)).toThrow(/ov: frontend\.tag "latest"[\s\S]*ov-demo: site\.esUrl "nope"/);
});

test('the limits the README documents are the ones the registry applies', () => {
  const readme = require('node:fs').readFileSync(require('node:path').join(__dirname, '..', '..', 'README.md'), 'utf8') as string;
  // The README is the contract operators read: a changed bound must be a documented change.
  expect(readme).toContain('replicas (1 to 50)');
  expect(MAX_REPLICAS).toBe(50);
  expect(readme).toContain('At most 10 previews at once');
  expect(MAX_PREVIEWS).toBe(10);
  expect(environmentProblems(withValue(DEMO, 'frontend.replicas', MAX_REPLICAS))).toEqual([]);
  expect(environmentProblems(withValue(DEMO, 'frontend.replicas', MAX_REPLICAS + 1))).toHaveLength(1);
});
