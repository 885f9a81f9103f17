/**
 * Argo CD's sync on the test control plane: test/argocd (Argo CD's own sync engine, driven round by round
 * as its application controller drives it), and what the cluster around it does that a sync waits for:
 * fake nodes (kwok) on which pods get Ready and Job pods complete, volumes made in advance for the claims,
 * and the one visible act of each controller the objects expect (the ingress controller's address on an
 * Ingress; the External Secrets Operator's Secret and Ready condition for an ExternalSecret).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tool } from '../go-tools';
import { ControlPlane } from './control-plane';

/** One object's line of the operation's result, as Argo CD records it, with its wave and the round it was acted on. */
export interface SyncResource {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly status: 'Synced' | 'SyncFailed' | 'Pruned' | 'PruneSkipped';
  readonly message: string;
  readonly hookType?: 'PreSync' | 'Sync' | 'PostSync' | 'SyncFail';
  readonly hookPhase?: string;
  readonly syncPhase: string;
  readonly wave: number;
  readonly round: number;
}

export interface SyncResult {
  readonly application: string;
  readonly phase: 'Succeeded' | 'Failed' | 'Error' | 'Running' | 'Terminating';
  readonly message: string;
  readonly rounds: number;
  readonly seconds: number;
  readonly timedOut?: boolean;
  readonly resources: readonly SyncResource[];
}

export interface SyncOptions {
  /** The generated Application's name, for an ApplicationSet. */
  readonly name?: string;
  /** @default 90 */
  readonly timeoutSeconds?: number;
}

/** Argo CD's application controller for the tests: one cluster cache, syncs side by side. */
export interface ArgoCd {
  /** Syncs `manifests` as the Application (or ApplicationSet template) in `application` would; the operation's result. */
  sync(application: string, manifests: string, options?: SyncOptions): Promise<SyncResult>;
  stop(): Promise<void>;
}

/** Starts `argocd serve` (test/argocd) against the control plane; it ends with stop() or with this process. */
export function startArgoCd(plane: ControlPlane): ArgoCd {
  const verbose = process.env.OV_ARGOCD_LOG;
  const child = spawn(tool('argocd'), ['serve', plane.kubeconfig, ...(verbose ? ['--verbose'] : [])], {
    stdio: ['pipe', 'pipe', verbose ? fs.openSync(verbose, 'a') : 'ignore'],
  });
  const pending = new Map<number, { resolve(r: SyncResult): void; reject(e: Error): void }>();
  let nextId = 1;
  let buffered = '';
  const exited = new Promise<void>((resolve) => child.once('exit', (code, signal) => {
    for (const { reject } of pending.values()) reject(new Error(`argocd serve ended (${signal ?? code}) before answering`));
    pending.clear();
    resolve();
  }));
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const answer = JSON.parse(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
      const waiting = pending.get(answer.id);
      pending.delete(answer.id);
      if (answer.error) waiting?.reject(new Error(`argocd: ${answer.error}`));
      else waiting?.resolve(answer.result as SyncResult);
    }
  });
  return {
    sync: (application, manifests, options = {}) => new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.stdin!.write(`${JSON.stringify({ id, application, manifests, name: options.name, timeoutSeconds: options.timeoutSeconds ?? 90 })}\n`);
    }),
    stop: async () => {
      child.stdin!.end();
      await exited;
    },
  };
}

/** The result's line for an object (the first whose kind and name match). */
export function resultOf(result: SyncResult, kind: string, name: string | RegExp): SyncResource {
  const found = result.resources.find((r) => r.kind === kind && (typeof name === 'string' ? r.name === name : name.test(r.name)));
  if (!found) throw new Error(`${result.application}: no ${kind} ${name} in the result: ${result.resources.map((r) => `${r.kind}/${r.name}`).join(', ')}`);
  return found;
}

/** An empty manifest: an Application whose every resource is gone from git. */
export function emptyManifest(dir: string): string {
  const file = path.join(dir, 'empty.k8s.yaml');
  fs.writeFileSync(file, '');
  return file;
}

/** Creates an object through the API, failing with the server's words. */
async function create(plane: ControlPlane, urlPath: string, object: object): Promise<void> {
  const { status, body } = await plane.request('POST', urlPath, object);
  if (status !== 201) throw new Error(`POST ${urlPath}: ${status} ${body?.message ?? JSON.stringify(body)}`);
}

/** A node kwok runs (control-plane option `kwok`): room for every pod of the tests. */
export async function addFakeNode(plane: ControlPlane, name = 'kwok-node-0'): Promise<void> {
  const resources = { cpu: '64', memory: '256Gi', 'ephemeral-storage': '1Ti', pods: '250' };
  await create(plane, '/api/v1/nodes', {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, annotations: { 'kwok.x-k8s.io/node': 'fake' }, labels: { 'kubernetes.io/hostname': name, type: 'kwok' } },
    status: { allocatable: resources, capacity: resources },
  });
}

/** The Secrets an operator creates by hand (README, Secrets), with dummy values, in their namespace made for them. */
export async function createSecrets(plane: ControlPlane, namespace: string, secrets: readonly { name: string; keys: readonly string[] }[]): Promise<void> {
  await create(plane, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  await Promise.all(secrets.map(({ name, keys }) => create(plane, `/api/v1/namespaces/${namespace}/secrets`, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    stringData: Object.fromEntries(keys.map((k) => [k, 'test-only'])),
  })));
}

/**
 * Volumes made in advance, as a cluster's provisioner would make them: claims without a storage class bind to
 * them (kube-controller-manager's volume binder). Never mounted: the pods are kwok's.
 */
export async function addVolumes(plane: ControlPlane, count: number, size = '100Gi'): Promise<void> {
  await Promise.all(Array.from({ length: count }, (_, i) => create(plane, '/api/v1/persistentvolumes', {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: `test-volume-${i}` },
    spec: { capacity: { storage: size }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', hostPath: { path: `/nonexistent/test-volume-${i}` } },
  })));
}

/** A documentation address (RFC 5737): what an ingress controller writes on the Ingresses it serves. */
export const INGRESS_ADDRESS = '192.0.2.10';

/**
 * Plays each controller's one visible act until stopped: an Ingress gets the load balancer's address in its
 * status; an ExternalSecret gets its Secret (`secretData(name)`: the keys the store holds, dummy values) and
 * its Ready condition. Returns the function that stops it.
 */
export function playControllers(plane: ControlPlane, secretData: (secret: string) => Record<string, string>): () => Promise<void> {
  let running = true;
  const merge = 'application/merge-patch+json';
  const once = async () => {
    const ingresses = (await plane.request('GET', '/apis/networking.k8s.io/v1/ingresses')).body.items ?? [];
    for (const i of ingresses) {
      if (i.status?.loadBalancer?.ingress?.length) continue;
      await plane.request('PATCH', `/apis/networking.k8s.io/v1/namespaces/${i.metadata.namespace}/ingresses/${i.metadata.name}/status`,
        { status: { loadBalancer: { ingress: [{ ip: INGRESS_ADDRESS }] } } }, merge);
    }
    const externalSecrets = (await plane.request('GET', '/apis/external-secrets.io/v1/externalsecrets')).body.items ?? [];
    for (const e of externalSecrets) {
      if ((e.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True')) continue;
      const { namespace } = e.metadata;
      const name = e.spec.target?.name ?? e.metadata.name;
      const data = Object.fromEntries(Object.entries(secretData(name)).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
      const owner = { apiVersion: e.apiVersion, kind: e.kind, name: e.metadata.name, uid: e.metadata.uid, controller: true };
      await plane.request('POST', `/api/v1/namespaces/${namespace}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace, ownerReferences: [owner] }, data });
      await plane.request('PATCH', `/apis/external-secrets.io/v1/namespaces/${namespace}/externalsecrets/${e.metadata.name}/status`,
        { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'SecretSynced', message: 'secret synced', lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }] } }, merge);
    }
  };
  const loop = (async () => {
    while (running) {
      await once().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}
