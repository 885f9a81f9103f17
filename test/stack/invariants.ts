/**
 * What holds whatever the registry and the state files say: every environment, every preview. Each
 * assertion states a property of the rendered objects, so a change that breaks it fails here even after
 * dist/ is re-synthesized (the golden copy alone would take the change in).
 */
import { ENVIRONMENTS, PREVIEWS, previewFor } from '../../lib/config/environments';
import { BACKEND, DATABASE, FRONTEND, ImageFacts, ProbeBudget } from '../../lib/config/images';
import { PREVIEW_REPOS, PreviewRepo } from '../../lib/config/preview';
import { Environment, parseEnvironment } from '../../lib/config/types';
import { containers, Obj, objectsOf, ofKind, podTemplate, workloads } from '../helpers';

/** An environment whose web tiers autoscale with the schema's defaults, whatever the registry does today. */
const [first] = ENVIRONMENTS;
const autoscaled = parseEnvironment({
  ...first,
  frontend: { ...first.frontend, replicas: undefined, autoscale: { min: 2, max: 4 } },
  backend: { ...first.backend, replicas: undefined, autoscale: { min: 2, max: 4 } },
});

const EVERY: (readonly [string, Environment])[] = [
  ...ENVIRONMENTS.map((env) => [env.namespace, env] as const),
  ...PREVIEWS.map((env) => [env.instance!, env] as const),
  ...(Object.keys(PREVIEW_REPOS) as PreviewRepo[]).map((repo) => [`a preview of ${repo}`, previewFor({ repo, number: 1 })] as const),
  ['autoscaled with the defaults', autoscaled],
];

const IMAGES: readonly ImageFacts[] = [FRONTEND, BACKEND, DATABASE];
const PROBES = ['startup', 'readiness', 'liveness'] as const;

/** Every container of every pod, with the workload it belongs to. */
const allContainers = (objects: readonly Obj[]) =>
  workloads(objects).flatMap((w) => containers(podTemplate(w).spec).map((c: any) => ({ owner: `${w.kind}/${w.metadata.name}`, c })));

/** A probe's budget in seconds: how long failing checks go on before the kubelet acts. */
const seconds = (b: Pick<ProbeBudget, 'periodSeconds' | 'failureThreshold'>) => b.periodSeconds * b.failureThreshold;

describe('probe budgets as each image declares them', () => {
  test.each(IMAGES.flatMap((image) => PROBES.map((probe) => [image.name, probe, image.probes[probe]] as const)))(
    '%s %s: a reason, and a budget within sane bounds',
    (_name, probe, budget) => {
      expect(budget.reason.length).toBeGreaterThan(20);
      expect(budget.timeoutSeconds).toBeLessThan(budget.periodSeconds);
      // A start may be slow on a busy node (50m of CPU requested); a generous window costs nothing once started.
      if (probe === 'startup') expect(seconds(budget)).toBeGreaterThanOrEqual(60);
      // One slow answer must not take a pod out of its Service.
      if (probe === 'readiness') expect(budget.failureThreshold).toBeGreaterThanOrEqual(2);
      if (probe === 'liveness') expect(budget.failureThreshold).toBeGreaterThanOrEqual(3);
    },
  );

  test.each(IMAGES.map((image) => [image.name, image] as const))('%s leaves its Service before it is restarted', (_name, image) => {
    expect(seconds(image.probes.liveness)).toBeGreaterThan(seconds(image.probes.readiness));
  });
});

describe.each(EVERY)('%s', (_name, env) => {
  const objects = objectsOf(env);
  const all = allContainers(objects);

  test('every server runs the probes its image declares, with those budgets', () => {
    const servers = [...ofKind(objects, 'Deployment'), ...ofKind(objects, 'StatefulSet')];
    expect(servers.length).toBeGreaterThanOrEqual(2);
    for (const w of servers) {
      for (const c of podTemplate(w).spec.containers) {
        const image = IMAGES.find((i) => c.image.startsWith(`${i.repository}:`));
        expect([w.metadata.name, image?.name]).toEqual([w.metadata.name, expect.any(String)]);
        for (const probe of PROBES) {
          const { reason: _reason, ...budget } = image!.probes[probe];
          expect([w.metadata.name, probe, c[`${probe}Probe`]]).toEqual([w.metadata.name, probe, expect.objectContaining(budget)]);
        }
      }
    }
  });

  test('nothing debugs, and certificates are verified', () => {
    for (const cm of ofKind(objects, 'ConfigMap')) {
      for (const [key, value] of Object.entries<string>(cm.data)) {
        if (/DEBUG/.test(key)) expect([cm.metadata.name, key, value]).toEqual([cm.metadata.name, key, 'false']);
        if (/VERIFY/.test(key)) expect([cm.metadata.name, key, value]).toEqual([cm.metadata.name, key, 'true']);
      }
    }
    for (const { owner, c } of all) for (const e of c.env ?? []) if (/DEBUG|VERIFY/.test(e.name)) expect([owner, e.name, e.value]).toEqual([owner, e.name, /DEBUG/.test(e.name) ? 'false' : 'true']);
    // The backend reads both (ov_wag/settings): they must be set, not left to the image's defaults.
    const backend = ofKind(objects, 'ConfigMap').find((cm) => cm.metadata.labels?.['app.kubernetes.io/name'] === BACKEND.name)!;
    expect(backend.data).toMatchObject({ OV_DEBUG: 'false', ES_VERIFY_CERTS: 'true' });
  });

  test('session and CSRF cookies are secure wherever the site is served over TLS', () => {
    const backend = ofKind(objects, 'ConfigMap').find((cm) => cm.metadata.labels?.['app.kubernetes.io/name'] === BACKEND.name)!;
    const secure = String(env.ingress.tls.mode !== 'off');
    expect([backend.data.OV_CSRF_COOKIE_SECURE, backend.data.OV_SESSION_COOKIE_SECURE]).toEqual([secure, secure]);
  });

  test('a container sees only the variables it is given: no service links', () => {
    for (const w of workloads(objects)) expect([w.metadata.name, podTemplate(w).spec.enableServiceLinks]).toEqual([w.metadata.name, false]);
  });

  test('a container that fails says why in its status, from its log when it wrote no message', () => {
    for (const { owner, c } of all) expect([owner, c.name, c.terminationMessagePolicy]).toEqual([owner, c.name, 'FallbackToLogsOnError']);
  });

  test('node spreading counts each rollout\'s pods on their own, and never blocks scheduling', () => {
    for (const d of ofKind(objects, 'Deployment')) {
      for (const s of podTemplate(d).spec.topologySpreadConstraints ?? []) {
        expect([d.metadata.name, s]).toEqual([d.metadata.name, expect.objectContaining({
          matchLabelKeys: ['pod-template-hash'], whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 1,
        })]);
      }
    }
  });

  test('an autoscaler scales out with headroom, before its pods run at their requests', () => {
    for (const hpa of ofKind(objects, 'HorizontalPodAutoscaler')) {
      for (const m of hpa.spec.metrics) {
        const target = m.resource.target.averageUtilization;
        // A new pod needs its startup window: scaling at 80% or more of the request leaves the others saturated meanwhile.
        expect([hpa.metadata.name, target >= 40 && target <= 80]).toEqual([hpa.metadata.name, true]);
      }
    }
  });
});
