/** Rule [autoscaler]: a HorizontalPodAutoscaler scales a Deployment of the output that it alone sizes, on CPU requests it can measure. */
import type { KubeObject } from '../../objects/kube-object';
import { obj, str } from '../../objects/json';
import { containersOf, nameOf, namespaceOf, podTemplates } from '../../objects/pods';
import type { Context, Issue, Rule } from './context';

function isAutoscaler(o: KubeObject): boolean {
  return o.apiVersion === 'autoscaling/v2' && o.kind === 'HorizontalPodAutoscaler';
}

function issues(hpa: KubeObject, ctx: Context): Issue[] {
  const target = obj(obj(hpa.spec).scaleTargetRef);
  const name = str(target.name);
  const deployment = ctx.objects.find((o) => o.kind === target.kind && o.apiVersion === target.apiVersion && nameOf(o) === name && namespaceOf(o) === namespaceOf(hpa));
  if (!deployment) return [{ field: 'spec.scaleTargetRef', message: `${String(target.kind)} ${JSON.stringify(name)} is not in the output` }];
  const found: Issue[] = [];
  // The autoscaler owns the count: a `replicas` in the manifest would reset it on every sync.
  if (obj(deployment.spec).replicas !== undefined) found.push({ field: 'spec.scaleTargetRef', message: `${nameOf(deployment)} sets spec.replicas, which the autoscaler must own alone` });
  // Utilization is a share of the request: a container without a CPU request cannot be measured.
  for (const t of podTemplates(deployment)) {
    for (const c of containersOf(t, ['containers'])) {
      if (obj(obj(c.container.resources).requests).cpu === undefined) found.push({ field: 'spec.metrics', message: `container ${String(c.container.name)} of ${nameOf(deployment)} has no CPU request to measure utilization against` });
    }
  }
  return found;
}

export const autoscalerRule: Rule = { id: 'autoscaler', check: (o, _i, ctx) => (isAutoscaler(o) ? issues(o, ctx) : []) };
