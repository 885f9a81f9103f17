/**
 * Synth refuses a broken chart: each rule, broken once in a real OpenVault chart through the
 * escape hatches a user could reach for, and the exact message synth prints.
 */
import { ApiObject, App, JsonPatch } from 'cdk8s';
import { migrationJobName } from '../../lib/chart/jobs';
import { OpenVault } from '../../lib/chart/open-vault';
import { KubeObject } from '../../lib/objects/kube-object';
import { assertValid, ValidationError } from '../../lib/synth/validate';
import { DEMO } from '../helpers';

type Break = (find: (kind: string, name: string) => ApiObject, chart: OpenVault) => void;

/** The demo chart's objects after `breakIt`, as synth would validate them. */
function synthesizedWith(breakIt: Break): KubeObject[] {
  const chart = new OpenVault(new App(), 'demo', { env: DEMO });
  const find = (kind: string, name: string) => {
    const found = chart.node.findAll().filter(ApiObject.isApiObject).find((o) => o.kind === kind && o.name === name);
    if (!found) throw new Error(`no ${kind}/${name}`);
    return found;
  };
  breakIt(find, chart);
  return chart.toJson();
}

const POD = '/spec/template/spec';
const cases: [string, Break, string][] = [
  ['schema: a wrong type', (f) => f('Deployment', 'ov-wag').addJsonPatch(JsonPatch.replace('/spec/replicas', 'two')),
    'Deployment/ov-demo/ov-wag: spec.replicas: must be integer (found "two") [schema]'],
  ['pod-security: root', (f) => f('StatefulSet', 'db').addJsonPatch(JsonPatch.replace(`${POD}/securityContext/runAsUser`, 0)),
    'StatefulSet/ov-demo/db: spec.template.spec.securityContext.runAsUser:'],
  ['pod-security: capabilities kept', (f) => f('Deployment', 'ov-wag').addJsonPatch(JsonPatch.remove(`${POD}/initContainers/0/securityContext/capabilities`)),
    'Deployment/ov-demo/ov-wag: spec.template.spec.initContainers[0].securityContext.capabilities.drop:'],
  ['pod-security: privilege escalation', (f) => f('CronJob', 'ov-wag-update-index').addJsonPatch(JsonPatch.replace(`/spec/jobTemplate${POD}/containers/0/securityContext/allowPrivilegeEscalation`, true)),
    'CronJob/ov-demo/ov-wag-update-index: spec.jobTemplate.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation:'],
  ['pod-security: no seccomp profile', (f) => f('Job', migrationJobName(DEMO.backend.tag)).addJsonPatch(JsonPatch.remove(`${POD}/securityContext/seccompProfile`)),
    `Job/ov-demo/${migrationJobName(DEMO.backend.tag)}: spec.template.spec.containers[0].securityContext.seccompProfile.type: seccompProfile.type is unset`],
  ['pod-security: a hostPath volume', (f) => f('Deployment', 'ov-frontend').addJsonPatch(JsonPatch.add(`${POD}/volumes/-`, { name: 'host', hostPath: { path: '/' } })),
    'Deployment/ov-demo/ov-frontend: spec.template.spec.volumes[2]'],
  ['read-only-root: a writable root file system', (f) => f('Deployment', 'ov-frontend').addJsonPatch(JsonPatch.replace(`${POD}/containers/0/securityContext/readOnlyRootFilesystem`, false)),
    'Deployment/ov-demo/ov-frontend: spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem:'],
  ['service-selector: a Service that selects nothing', (f) => f('Service', 'ov-wag').addJsonPatch(JsonPatch.replace('/spec/selector/app.kubernetes.io~1name', 'ov-wagtail')),
    'Service/ov-demo/ov-wag: spec.selector:'],
  ['target-port: a port no container has', (f) => f('Service', 'ov-frontend').addJsonPatch(JsonPatch.replace('/spec/ports/0/targetPort', 'web')),
    'Service/ov-demo/ov-frontend: spec.ports[0].targetPort:'],
  ['ingress-backend: a missing Service', (f) => f('Ingress', 'open-vault').addJsonPatch(JsonPatch.replace('/spec/rules/0/http/paths/0/backend/service/name', 'frontend')),
    'Ingress/ov-demo/open-vault: spec.rules[0].http.paths[0].backend.service.name:'],
  ['ingress-backend: a missing Service port', (f) => f('Ingress', 'open-vault').addJsonPatch(JsonPatch.replace('/spec/rules/0/http/paths/1/backend/service/port/number', 8000)),
    'Ingress/ov-demo/open-vault: spec.rules[0].http.paths[1].backend.service.port.number:'],
  ['headless-service: a StatefulSet behind a ClusterIP Service', (f) => f('Service', 'db').addJsonPatch(JsonPatch.remove('/spec/clusterIp')),
    'StatefulSet/ov-demo/db: spec.serviceName:'],
  ['configmap-ref: a ConfigMap that is not in the output', (f) => f('Deployment', 'ov-frontend').addJsonPatch(JsonPatch.replace(`${POD}/containers/0/envFrom/0/configMapRef/name`, 'frontend-settings')),
    'Deployment/ov-demo/ov-frontend: spec.template.spec.containers[0].envFrom[0].configMapRef.name:'],
  ['network-policy-selector: a policy for pods that do not exist', (f) => f('NetworkPolicy', 'ov-wag').addJsonPatch(JsonPatch.replace('/spec/podSelector/matchLabels/app.kubernetes.io~1name', 'ov-wagg')),
    'NetworkPolicy/ov-demo/ov-wag: spec.podSelector:'],
  ['namespace: an object outside the namespace', (f) => f('ConfigMap', 'ov-wag').addJsonPatch(JsonPatch.remove('/metadata/namespace')),
    'ConfigMap/ov-wag: metadata.namespace:'],
  ['duplicate: two objects with one name', (f) => f('ServiceAccount', 'ov-wag-migrate').addJsonPatch(JsonPatch.replace('/metadata/name', 'ov-wag')),
    'ServiceAccount/ov-demo/ov-wag: metadata.name:'],
];

test.each(cases)('%s', (name, breakIt, message) => {
  const rule = name.split(':')[0];
  const objects = synthesizedWith(breakIt);
  expect(() => assertValid(objects)).toThrow(ValidationError);
  try {
    assertValid(objects);
  } catch (error) {
    const lines = (error as ValidationError).message.split('\n');
    expect(lines.find((l) => l.startsWith(message) && l.endsWith(`[${rule}]`))).toBeDefined();
  }
});

test('the unbroken chart passes', () => {
  expect(() => assertValid(synthesizedWith(() => undefined))).not.toThrow();
});
