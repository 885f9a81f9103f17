/**
 * Broken objects derived from dist/: each case takes the first object of a kind (and name) that dist/ holds and
 * breaks one thing. `server`: the API server must refuse it (or warn, which `--warnings-as-errors` makes a
 * failure), so in dist/ it fails the apply tests. `synth`: a problem the server cannot know (it accepts the object),
 * which synth-time validation must refuse.
 */
import { BACKEND, DATABASE, FRONTEND, JOBS } from '../../lib/config/images';

export type Verdict = 'refuses' | 'warns' | 'accepts';

export interface Case {
  readonly name: string;
  readonly kind: string;
  /** The object's name, or its start (a migration Job's name follows its tag). @default the first of its kind */
  readonly object?: string;
  readonly expect: 'server' | 'synth';
  readonly mutate: (o: any) => unknown;
}

const pod = (o: any) => (o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template.spec : o.spec.template.spec);
const container = (o: any) => pod(o).containers[0];
const c = (name: string, kind: string, object: string | undefined, expect: Case['expect'], mutate: (o: any) => void): Case => ({
  name, kind, object, expect, mutate: (o) => (mutate(o), o),
});

export const CORPUS: readonly Case[] = [
  // Types and unknown fields.
  c('a wrong type: revisionHistoryLimit "two"', 'Deployment', BACKEND.name, 'server', (o) => (o.spec.revisionHistoryLimit = 'two')),
  c('an unknown field in a container', 'Deployment', FRONTEND.name, 'server', (o) => (container(o).imagePullPolicyy = 'Always')),
  c('an unknown top-level spec field', 'Service', BACKEND.name, 'server', (o) => (o.spec.selectr = {})),
  c('automountServiceAccountToken as a string', 'ServiceAccount', BACKEND.name, 'server', (o) => (o.automountServiceAccountToken = 'no')),
  c('an API version that does not exist', 'Deployment', BACKEND.name, 'server', (o) => (o.apiVersion = 'apps/v9')),
  // Names and labels as the API server parses them.
  c('a name with capitals', 'ConfigMap', BACKEND.name, 'server', (o) => (o.metadata.name = 'OV-Wag')),
  c('a label value of 64 characters', 'ConfigMap', FRONTEND.name, 'server', (o) => (o.metadata.labels = { ...o.metadata.labels, too: 'x'.repeat(64) })),
  c('a label key with two slashes', 'Service', FRONTEND.name, 'server', (o) => (o.metadata.labels = { ...o.metadata.labels, 'a/b/c': 'd' })),
  c('a ConfigMap key with a space', 'ConfigMap', BACKEND.name, 'server', (o) => (o.data = { ...o.data, 'BAD KEY': 'x' })),
  c('a container port name longer than 15 characters', 'Deployment', BACKEND.name, 'server', (o) => (container(o).ports[0].name = 'a-port-name-too-long')),
  // Pod Security "restricted": refused for pods, a warning for the workloads that template them.
  c('runAsNonRoot false', 'Deployment', BACKEND.name, 'server', (o) => (container(o).securityContext.runAsNonRoot = false)),
  c('a privileged container', 'StatefulSet', DATABASE.name, 'server', (o) => (container(o).securityContext.privileged = true)),
  c('an added capability', 'Deployment', FRONTEND.name, 'server', (o) => (container(o).securityContext.capabilities = { drop: ['ALL'], add: ['NET_ADMIN'] })),
  c('privilege escalation allowed', 'CronJob', JOBS.updateIndex, 'server', (o) => (container(o).securityContext.allowPrivilegeEscalation = true)),
  c('seccomp Unconfined', 'Job', JOBS.migrate, 'server', (o) => (pod(o).securityContext.seccompProfile = { type: 'Unconfined' })),
  c('the host network', 'Deployment', BACKEND.name, 'server', (o) => (pod(o).hostNetwork = true)),
  c('a hostPath volume', 'Deployment', FRONTEND.name, 'server', (o) => pod(o).volumes.push({ name: 'host', hostPath: { path: '/' } })),
  c('runAsUser 0', 'StatefulSet', DATABASE.name, 'server', (o) => (pod(o).securityContext.runAsUser = 0)),
  c('a probe aimed at another host', 'Deployment', FRONTEND.name, 'server', (o) => (container(o).readinessProbe.httpGet.host = '169.254.169.254')),
  // Workload specs.
  c('a selector that does not match the template', 'Deployment', BACKEND.name, 'server', (o) => (o.spec.selector.matchLabels = { other: 'pods' })),
  c('a StatefulSet selector that does not match the template', 'StatefulSet', DATABASE.name, 'server', (o) => (o.spec.selector.matchLabels = { other: 'pods' })),
  c('a limit below its request', 'Deployment', FRONTEND.name, 'server', (o) => (container(o).resources = { requests: { cpu: '2' }, limits: { cpu: '1' } })),
  c('memory in millibytes (100m)', 'Deployment', BACKEND.name, 'server', (o) => (container(o).resources.requests.memory = '100m')),
  c('a quantity that does not parse', 'Deployment', BACKEND.name, 'server', (o) => (container(o).resources.requests.memory = '50 MiB')),
  c('a mount of a volume that does not exist', 'Deployment', BACKEND.name, 'server', (o) => container(o).volumeMounts.push({ name: 'nowhere', mountPath: '/x' })),
  c('two volumes of one name', 'StatefulSet', DATABASE.name, 'server', (o) => pod(o).volumes.push({ ...pod(o).volumes[0] })),
  c('an empty image', 'Deployment', FRONTEND.name, 'server', (o) => (container(o).image = '')),
  c('container port 0', 'Deployment', FRONTEND.name, 'server', (o) => (container(o).ports[0].containerPort = 0)),
  c('a negative probe period', 'Deployment', BACKEND.name, 'server', (o) => (container(o).readinessProbe.periodSeconds = -1)),
  c('an environment variable name with "="', 'Deployment', BACKEND.name, 'server', (o) => (container(o).env = [...(container(o).env ?? []), { name: 'A=B', value: 'x' }])),
  c('a Job that restarts Always', 'Job', JOBS.migrate, 'server', (o) => (pod(o).restartPolicy = 'Always')),
  c('a negative backoffLimit', 'Job', JOBS.migrate, 'server', (o) => (o.spec.backoffLimit = -1)),
  c('a negative activeDeadlineSeconds', 'CronJob', JOBS.updateIndex, 'server', (o) => (o.spec.jobTemplate.spec.activeDeadlineSeconds = -1)),
  // Schedules as the CronJob controller parses them.
  c('a cron minute of 61', 'CronJob', JOBS.updateIndex, 'server', (o) => (o.spec.schedule = '61 8 * * *')),
  c('a cron of six fields', 'CronJob', JOBS.updateIndex, 'server', (o) => (o.spec.schedule = '0 0 8 * * *')),
  c('a time zone that does not exist', 'CronJob', JOBS.updateIndex, 'server', (o) => (o.spec.timeZone = 'Mars/Olympus_Mons')),
  // Networking and availability.
  c('a Service port above 65535', 'Service', FRONTEND.name, 'server', (o) => (o.spec.ports[0].port = 70000)),
  c('an Ingress pathType that does not exist', 'Ingress', undefined, 'server', (o) => (o.spec.rules[0].http.paths[0].pathType = 'Wildcard')),
  c('an Ingress backend with neither port name nor number', 'Ingress', undefined, 'server', (o) => (o.spec.rules[0].http.paths[0].backend.service.port = {})),
  c('a NetworkPolicy CIDR /33', 'NetworkPolicy', BACKEND.name, 'server', (o) => (o.spec.egress = [{ to: [{ ipBlock: { cidr: '10.0.0.0/33' } }] }])),
  c('a NetworkPolicy protocol that does not exist', 'NetworkPolicy', DATABASE.name, 'server', (o) => (o.spec.ingress[0].ports[0].protocol = 'XTP')),
  c('a disruption budget with both minAvailable and maxUnavailable', 'PodDisruptionBudget', undefined, 'server', (o) => (o.spec = { ...o.spec, minAvailable: 1, maxUnavailable: 1 })),
  c('an autoscaler with maxReplicas below minReplicas', 'HorizontalPodAutoscaler', undefined, 'server', (o) => (o.spec.maxReplicas = 0)),
  c('a claim with an access mode that does not exist', 'PersistentVolumeClaim', undefined, 'server', (o) => (o.spec.accessModes = ['ReadWriteSometimes'])),
  c('a RoleBinding to a kind that does not exist', 'RoleBinding', undefined, 'server', (o) => (o.roleRef.kind = 'Cluster')),
  c('a Role rule with no verbs', 'Role', undefined, 'server', (o) => (o.rules[0].verbs = [])),
  // Custom resources, against their real CRDs.
  c('an ExternalSecret with an unknown field', 'ExternalSecret', undefined, 'server', (o) => (o.spec.refreshIntervall = '1h')),
  c('an ExternalSecret of the unserved v1beta1', 'ExternalSecret', undefined, 'server', (o) => (o.apiVersion = 'external-secrets.io/v1beta1')),
  c('an ExternalSecret store of a kind the CRD does not allow', 'ExternalSecret', undefined, 'server', (o) => (o.spec.secretStoreRef.kind = 'VaultStore')),
  c('an Application with no destination', 'Application', undefined, 'server', (o) => delete o.spec.destination),
  c('an Application sync option of a wrong type', 'Application', undefined, 'server', (o) => (o.spec.syncPolicy.automated.prune = 'yes')),
  c('an ApplicationSet with an unknown generator field', 'ApplicationSet', undefined, 'server', (o) => (o.spec.generators[0].gits = [])),
  c('a Middleware of a wrong type', 'Middleware', undefined, 'server', (o) => (o.spec = { ...o.spec, redirectScheme: { permanent: 'yes' } })),
  // What the server cannot know: it accepts these, synth refuses them.
  c('a Service that selects no pod', 'Service', BACKEND.name, 'synth', (o) => (o.spec.selector = { 'app.kubernetes.io/name': 'nobody' })),
  c('a Service whose target port no container has', 'Service', FRONTEND.name, 'synth', (o) => (o.spec.ports[0].targetPort = 'nothere')),
  c('an Ingress backend that names no Service', 'Ingress', undefined, 'synth', (o) => (o.spec.rules[0].http.paths[0].backend.service.name = 'nowhere')),
  c('a NetworkPolicy that selects no pod', 'NetworkPolicy', BACKEND.name, 'synth', (o) => (o.spec.podSelector = { matchLabels: { 'app.kubernetes.io/name': 'nobody' } })),
  c('a reference to a ConfigMap that is not there', 'Deployment', BACKEND.name, 'synth', (o) => (container(o).envFrom = [{ configMapRef: { name: 'missing' } }])),
  c('a writable root file system', 'Deployment', FRONTEND.name, 'synth', (o) => (container(o).securityContext.readOnlyRootFilesystem = false)),
  c('an autoscaler aimed at a Deployment that is not there', 'HorizontalPodAutoscaler', undefined, 'synth', (o) => (o.spec.scaleTargetRef.name = 'nowhere')),
];
