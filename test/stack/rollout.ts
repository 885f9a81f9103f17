/**
 * Settings roll out: each Deployment's pod template carries a digest of the ConfigMap it reads, so a changed
 * setting rolls exactly the workloads that read it, and an unchanged registry renders the same bytes.
 */
import { ENVIRONMENTS } from '../../lib/config/environments';
import { BACKEND, FRONTEND } from '../../lib/config/images';
import { Environment, EnvironmentInput, parseEnvironment } from '../../lib/config/types';
import { SETTINGS_CHECKSUM, settingsChecksum } from '../../lib/chart/web-tier';
import { renderEnvironment } from '../../lib/synth/render';
import { find, objectsOf, ofKind } from '../helpers';

const template = (env: Environment, name: string) => find(objectsOf(env), 'Deployment', name).spec.template;
const changed = (env: Environment, patch: (e: EnvironmentInput) => EnvironmentInput) => parseEnvironment(patch(structuredClone(env) as EnvironmentInput));
const rolled = (before: Environment, after: Environment) =>
  [BACKEND.name, FRONTEND.name].filter((name) => JSON.stringify(template(before, name)) !== JSON.stringify(template(after, name)));

describe.each(ENVIRONMENTS.map((e) => [e.namespace, e] as const))('%s', (_ns, env) => {
  test('a new host (OV_ALLOWED_HOSTS and the URLs) rolls the backend only', () => {
    expect(rolled(env, changed(env, (e) => ({ ...e, host: `new.${e.host}` })))).toEqual([BACKEND.name]);
  });

  test('a new GBH index rolls the frontend only; a new search index both', () => {
    expect(rolled(env, changed(env, (e) => ({ ...e, site: { ...e.site, gbhIndex: 'gbh-series-2' } })))).toEqual([FRONTEND.name]);
    expect(rolled(env, changed(env, (e) => ({ ...e, site: { ...e.site, esIndex: `${e.site.esIndex}-2` } })))).toEqual([BACKEND.name, FRONTEND.name]);
  });

  test('a change that no pod reads rolls nothing, and the ConfigMaps keep their names', () => {
    const after = changed(env, (e) => ({ ...e, jobs: { ...e.jobs, updateIndex: { ...e.jobs.updateIndex, schedule: '0 9 * * *' } } }));
    expect(rolled(env, after)).toEqual([]);
    const names = (e: Environment) => ofKind(objectsOf(e), 'ConfigMap').map((c) => c.metadata.name);
    expect(names(changed(env, (e) => ({ ...e, host: `new.${e.host}` })))).toEqual(names(env));
  });

  test('the same registry renders the same bytes', () => {
    expect(renderEnvironment(changed(env, (e) => e)).yaml).toBe(renderEnvironment(env).yaml);
  });

  test('each Deployment carries the digest of exactly the ConfigMap data it reads', () => {
    const objects = objectsOf(env);
    for (const d of ofKind(objects, 'Deployment')) {
      const [ref] = d.spec.template.spec.containers.flatMap((c: any) => c.envFrom ?? []).map((f: any) => f.configMapRef.name);
      expect(d.spec.template.metadata.annotations[SETTINGS_CHECKSUM]).toBe(settingsChecksum(find(objects, 'ConfigMap', ref).data));
    }
  });
});

test('the digest does not depend on the order of the settings', () => {
  expect(settingsChecksum({ A: '1', B: '2' })).toBe(settingsChecksum({ B: '2', A: '1' }));
  expect(settingsChecksum({ A: '1', B: '2' })).not.toBe(settingsChecksum({ A: '1', B: '3' }));
  // A value that moves to another key is another setting.
  expect(settingsChecksum({ A: '1,2' })).not.toBe(settingsChecksum({ A: '1', '2': '' }));
});
