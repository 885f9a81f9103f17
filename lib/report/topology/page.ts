/**
 * Topology page: a Markdown document with a Mermaid flowchart drawn from the synthesized objects of one namespace.
 *
 * Everything on the page comes from the objects: Ingress hosts and paths, the Services they route to, the workloads
 * those Services select, Jobs and CronJobs, and the traffic that NetworkPolicies allow. The output depends only on
 * the input (objects are sorted, no timestamps), so the page can be committed and diffed.
 *
 * The objects are read into a graph (routing.ts: workloads, Services, Ingresses; policies.ts: NetworkPolicies), which
 * mermaid.ts draws; this file puts the page together.
 */
import { str } from '../../objects/json';
import type { KubeObject } from '../../objects/kube-object';
import { nameOf, namespaceOf } from '../../objects/pods';
import { Graph } from './graph';
import { renderDiagram } from './mermaid';
import { PolicyReader } from './policies';
import { RoutingReader, type Workload } from './routing';
import { code, compare, intOrString } from './text';

/** Workload kinds with a pod template, in the order the workload table lists them. */
const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'] as const;

function byNamespaceAndName(a: KubeObject, b: KubeObject): number {
  return compare(namespaceOf(a), namespaceOf(b)) || compare(nameOf(a), nameOf(b));
}

function tableCell(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').replace(/\|/g, '\\|');
}

function replicasOrSchedule(w: Workload): string {
  switch (w.kind) {
    case 'CronJob': {
      const schedule = str(w.spec['schedule']) ?? '?';
      const timeZone = str(w.spec['timeZone']);
      const suspended = w.spec['suspend'] === true ? ', suspended' : '';
      return `schedule ${code(schedule)}${timeZone !== undefined ? ` (${timeZone})` : ''}${suspended}`;
    }
    case 'Job':
      return `${intOrString(w.spec['completions']) ?? '1'} completion(s)`;
    case 'DaemonSet':
      return 'one per node';
    default:
      return intOrString(w.spec['replicas']) ?? '1';
  }
}

function renderTable(workloads: readonly Workload[]): string[] {
  const kindOrder = (k: string): number => WORKLOAD_KINDS.indexOf(k as (typeof WORKLOAD_KINDS)[number]);
  const sorted = [...workloads].sort(
    (a, b) => compare(a.namespace, b.namespace) || kindOrder(a.kind) - kindOrder(b.kind) || compare(a.name, b.name),
  );
  const multi = new Set(sorted.map((w) => w.namespace)).size > 1;
  const header = multi ? ['Namespace', 'Kind', 'Name', 'Image(s)', 'Replicas / schedule'] : ['Kind', 'Name', 'Image(s)', 'Replicas / schedule'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`];
  for (const w of sorted) {
    const cells = [w.kind, w.name, w.images.length > 0 ? w.images.map(code).join(', ') : '(none)', replicasOrSchedule(w)];
    if (multi) cells.unshift(w.namespace);
    lines.push(`| ${cells.map(tableCell).join(' | ')} |`);
  }
  return lines;
}

/**
 * The topology page for `namespace` (objects without a namespace are taken to be in it): a heading, a Mermaid
 * `flowchart LR` of routing (solid arrows) and NetworkPolicy-allowed traffic (dotted arrows), notes for policies that
 * select every pod, a table of the workloads, and `outside` (what must exist beyond the cluster) when given.
 */
export function renderTopology(namespace: string, objects: readonly KubeObject[], outside: readonly string[] = []): string {
  const graph = new Graph();
  const routing = new RoutingReader(graph, namespace);
  const policies = new PolicyReader(graph, routing.workloads, namespace);
  const ofKind = (kind: string): KubeObject[] => objects.filter((o) => o.kind === kind).sort(byNamespaceAndName);

  const workloadObjects = objects
    .filter((o) => (WORKLOAD_KINDS as readonly string[]).includes(o.kind))
    .sort((x, y) => compare(x.kind, y.kind) || byNamespaceAndName(x, y));
  for (const o of workloadObjects) routing.addWorkload(o);
  for (const o of ofKind('Ingress')) routing.addIngress(o);
  for (const o of ofKind('Service')) routing.addService(o);
  for (const o of ofKind('NetworkPolicy')) policies.addNetworkPolicy(o);

  const out: string[] = [
    `# Open Vault topology: ${namespace}`,
    '',
    'This page is generated from the synthesized manifests; do not edit it by hand.',
    '',
    '```mermaid',
    ...renderDiagram(graph),
    '```',
    '',
    'Solid arrows: Ingress routing (host → Service, labelled with paths) and Service → workload (port→targetPort). ' +
      'Dotted arrows: traffic allowed by NetworkPolicies, labelled with ports.',
  ];
  const notes = [...policies.allPodsLines(), ...policies.notes];
  if (notes.length > 0) out.push('', ...notes.map((n) => `- ${n}`));
  out.push('', '## Workloads', '');
  if (routing.workloads.length > 0) out.push(...renderTable(routing.workloads));
  else out.push('No workloads.');
  if (outside.length > 0) out.push('', ...outside);
  return `${out.join('\n')}\n`;
}
