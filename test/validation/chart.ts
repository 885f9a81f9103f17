/**
 * Synth refuses a broken chart: each rule, broken once in a real OpenVault chart through the
 * escape hatches a user could reach for, and the exact message synth prints.
 */
import { ApiObject, App, JsonPatch } from 'cdk8s';
import { BACKEND, DATABASE, FRONTEND, JOBS, SERVICE_PORT } from '../../lib/config/images';
import { INGRESS_NAME } from '../../lib/chart/ingress';
import { OpenVault } from '../../lib/chart/open-vault';
import { KubeObject } from '../../lib/objects/kube-object';
import { assertValid, ValidationError } from '../../lib/synth/validate';
import { DEMO, objectsOf, ofKind } from '../helpers';

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

const NS = DEMO.namespace;
const POD = '/spec/template/spec';
const MIGRATE = ofKind(objectsOf(DEMO), 'Job')[0].metadata.name;
const cases: [string, Break, string][] = [
  ['schema: a wrong type', (f) => f('Deployment', BACKEND.name).addJsonPatch(JsonPatch.replace('/spec/revisionHistoryLimit', 'two')),
    `Deployment/${NS}/${BACKEND.name}: spec.revisionHistoryLimit: must be integer (found "two") [schema]`],
  ['pod-security: root', (f) => f('StatefulSet', DATABASE.name).addJsonPatch(JsonPatch.replace(`${POD}/securityContext/runAsUser`, 0)),
    `StatefulSet/${NS}/${DATABASE.name}: spec.template.spec.securityContext.runAsUser:`],
  ['pod-security: capabilities kept', (f) => f('Deployment', BACKEND.name).addJsonPatch(JsonPatch.remove(`${POD}/initContainers/0/securityContext/capabilities`)),
    `Deployment/${NS}/${BACKEND.name}: spec.template.spec.initContainers[0].securityContext.capabilities.drop:`],
  ['pod-security: privilege escalation', (f) => f('CronJob', JOBS.updateIndex).addJsonPatch(JsonPatch.replace(`/spec/jobTemplate${POD}/containers/0/securityContext/allowPrivilegeEscalation`, true)),
    `CronJob/${NS}/${JOBS.updateIndex}: spec.jobTemplate.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation:`],
  ['pod-security: no seccomp profile', (f) => f('Job', MIGRATE).addJsonPatch(JsonPatch.remove(`${POD}/securityContext/seccompProfile`)),
    `Job/${NS}/${MIGRATE}: spec.template.spec.containers[0].securityContext.seccompProfile.type: seccompProfile.type is unset`],
  ['pod-security: a hostPath volume', (f) => f('Deployment', FRONTEND.name).addJsonPatch(JsonPatch.add(`${POD}/volumes/0`, { name: 'host', hostPath: { path: '/' } })),
    `Deployment/${NS}/${FRONTEND.name}: spec.template.spec.volumes[0]`],
  ['read-only-root: a writable root file system', (f) => f('Deployment', FRONTEND.name).addJsonPatch(JsonPatch.replace(`${POD}/containers/0/securityContext/readOnlyRootFilesystem`, false)),
    `Deployment/${NS}/${FRONTEND.name}: spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem:`],
  ['service-selector: a Service that selects nothing', (f) => f('Service', BACKEND.name).addJsonPatch(JsonPatch.replace('/spec/selector/app.kubernetes.io~1name', `${BACKEND.name}-typo`)),
    `Service/${NS}/${BACKEND.name}: spec.selector:`],
  ['target-port: a port no container has', (f) => f('Service', FRONTEND.name).addJsonPatch(JsonPatch.replace('/spec/ports/0/targetPort', 'web')),
    `Service/${NS}/${FRONTEND.name}: spec.ports[0].targetPort:`],
  ['ingress-backend: a missing Service', (f) => f('Ingress', INGRESS_NAME).addJsonPatch(JsonPatch.replace('/spec/rules/0/http/paths/0/backend/service/name', 'frontend')),
    `Ingress/${NS}/${INGRESS_NAME}: spec.rules[0].http.paths[0].backend.service.name:`],
  ['ingress-backend: a missing Service port', (f) => f('Ingress', INGRESS_NAME).addJsonPatch(JsonPatch.replace('/spec/rules/0/http/paths/1/backend/service/port/number', SERVICE_PORT + 1)),
    `Ingress/${NS}/${INGRESS_NAME}: spec.rules[0].http.paths[1].backend.service.port.number:`],
  ['headless-service: a StatefulSet behind a ClusterIP Service', (f) => f('Service', DATABASE.name).addJsonPatch(JsonPatch.remove('/spec/clusterIp')),
    `StatefulSet/${NS}/${DATABASE.name}: spec.serviceName:`],
  ['configmap-ref: a ConfigMap that is not in the output', (f) => f('Deployment', FRONTEND.name).addJsonPatch(JsonPatch.replace(`${POD}/containers/0/envFrom/0/configMapRef/name`, 'frontend-settings')),
    `Deployment/${NS}/${FRONTEND.name}: spec.template.spec.containers[0].envFrom[0].configMapRef.name:`],
  ['network-policy-selector: a policy for pods that do not exist', (f) => f('NetworkPolicy', BACKEND.name).addJsonPatch(JsonPatch.replace('/spec/podSelector/matchLabels/app.kubernetes.io~1name', `${BACKEND.name}-typo`)),
    `NetworkPolicy/${NS}/${BACKEND.name}: spec.podSelector:`],
  ['namespace: an object outside the namespace', (f) => f('ConfigMap', BACKEND.name).addJsonPatch(JsonPatch.remove('/metadata/namespace')),
    `ConfigMap/${BACKEND.name}: metadata.namespace:`],
  ['duplicate: two objects with one name', (f) => f('ServiceAccount', JOBS.migrate).addJsonPatch(JsonPatch.replace('/metadata/name', BACKEND.name)),
    `ServiceAccount/${NS}/${BACKEND.name}: metadata.name:`],
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
