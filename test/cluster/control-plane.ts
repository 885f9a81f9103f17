/**
 * A real Kubernetes control plane for the tests: etcd and kube-apiserver (and, where a test needs them, the
 * controller-manager and the scheduler) of the release test/cluster/go.mod pins, on loopback, on free ports,
 * with a CA and client certificate of their own, RBAC and the default admission plugins (PodSecurity among
 * them). test/cluster/supervisor.js owns the processes and the folder: both are gone when `stop()` runs, when
 * the test process ends however it ends, or on Ctrl-C.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { tool } from '../go-tools';
import { freePort } from '../ports';

const ROOT = path.join(__dirname, '..', '..');
const DIR_PREFIX = 'ov-cluster-';
/** The cluster's own prerequisites of the objects, as the cluster has them: Argo CD's namespace, the operators' CRDs. */
export const ARGO_CD_NAMESPACE = 'argo-cd';
/** The vendored CRDs of the operators the objects need (cert-manager's is vendored for reference only, crds/README.md). */
export const CLUSTER_CRDS = [
  'argoproj.io_applications.yaml',
  'argoproj.io_applicationsets.yaml',
  'external-secrets.io_externalsecrets.yaml',
  'generators.external-secrets.io_passwords.yaml',
  'traefik.io_middlewares.yaml',
].map((f) => path.join(ROOT, 'crds', f));

export interface ControlPlaneOptions {
  /** Runs kube-controller-manager, so that workloads get their pods. @default false */
  readonly controllers?: boolean;
  /** Runs kube-scheduler. @default false */
  readonly scheduler?: boolean;
  /** Runs kwok (test/kwok): the nodes a test creates become fake nodes on which pods get Ready and Job pods complete. @default false */
  readonly kwok?: boolean;
  /** Installs the vendored CRDs and Argo CD's namespace. @default true */
  readonly prerequisites?: boolean;
}

export interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ControlPlane {
  readonly dir: string;
  readonly server: string;
  readonly kubeconfig: string;
  /** The pinned kubectl against this cluster; never throws, the caller judges the result. */
  kubectl(args: readonly string[], input?: string): Promise<Result>;
  /** The same, failing with kubectl's own words unless it exits 0. */
  kubectlOk(args: readonly string[], input?: string): Promise<string>;
  /** A request to the API server as cluster admin; the body is parsed JSON. */
  request(method: string, urlPath: string, body?: unknown, contentType?: string): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA, the API server's serving certificate, an admin client certificate (group system:masters), a service-account key. */
function makePki(dir: string): void {
  const key = (name: string) => ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`];
  openssl(dir, ['req', '-x509', ...key('ca'), '-out', 'ca.crt', '-days', '2', '-subj', '/CN=open-vault-test-ca']);
  const signed = (name: string, subject: string, extensions: string) => {
    openssl(dir, ['req', ...key(name), '-out', `${name}.csr`, '-subj', subject]);
    fs.writeFileSync(path.join(dir, `${name}.ext`), extensions);
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', `${name}.crt`, '-extfile', `${name}.ext`]);
  };
  signed('apiserver', '/CN=kube-apiserver', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  signed('admin', '/O=system:masters/CN=open-vault-test-admin', 'extendedKeyUsage=clientAuth\n');
  openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', 'sa.key']);
  openssl(dir, ['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']);
}

function kubeconfigText(dir: string, server: string): string {
  const b64 = (f: string) => fs.readFileSync(path.join(dir, f)).toString('base64');
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster: { server, 'certificate-authority-data': b64('ca.crt') } }],
    users: [{ name: 'admin', user: { 'client-certificate-data': b64('admin.crt'), 'client-key-data': b64('admin.key') } }],
    contexts: [{ name: 'test', context: { cluster: 'test', user: 'admin' } }],
    'current-context': 'test',
  });
}

/** Folders of earlier runs whose supervisor is gone (killed with SIGKILL, the one signal it cannot answer). */
function removeOrphans(): void {
  for (const name of fs.readdirSync(os.tmpdir())) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const dir = path.join(os.tmpdir(), name);
    // Only read: another run's folder is written by its own supervisor, which may be starting or stopping now.
    let alive = false;
    try {
      const pid = Number(fs.readFileSync(path.join(dir, 'supervisor.pid'), 'utf8').trim());
      alive = pid > 0 && process.kill(pid, 0);
    } catch {
      alive = false; // no pid yet, or gone: judged by age below
    }
    const age = Date.now() - (fs.statSync(dir, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if (!alive && age > 60_000) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the binary; the kernel ends it if this process dies first, so an interrupted test leaves no kubectl behind. */
function run(binary: string, args: readonly string[], input?: string): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile('setpriv', ['--pdeathsig', 'KILL', '--', binary, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as any).code === 'number' ? (error as any).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(input ?? '');
  });
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const binary = tool('cluster');
  removeOrphans();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), DIR_PREFIX));
  makePki(dir);
  const [apiPort, etcdPort, peerPort] = [await freePort(), await freePort(), await freePort()];
  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfig = path.join(dir, 'admin.kubeconfig');
  fs.writeFileSync(kubeconfig, kubeconfigText(dir, server));
  const etcd = `http://127.0.0.1:${etcdPort}`;

  const processes = [
    {
      name: 'etcd',
      args: ['etcd', '--name=test', `--data-dir=${path.join(dir, 'etcd')}`, `--listen-client-urls=${etcd}`, `--advertise-client-urls=${etcd}`,
        `--listen-peer-urls=http://127.0.0.1:${peerPort}`, `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-cluster=test=http://127.0.0.1:${peerPort}`, '--unsafe-no-fsync', '--log-level=warn'],
    },
    {
      name: 'kube-apiserver',
      args: ['kube-apiserver', `--etcd-servers=${etcd}`, '--bind-address=127.0.0.1', `--secure-port=${apiPort}`, '--advertise-address=127.0.0.1',
        '--tls-cert-file=apiserver.crt', '--tls-private-key-file=apiserver.key', '--client-ca-file=ca.crt',
        '--service-account-issuer=https://kubernetes.default.svc', '--service-account-key-file=sa.pub',
        '--service-account-signing-key-file=sa.key', '--service-cluster-ip-range=10.96.0.0/16', '--authorization-mode=Node,RBAC',
        // The `kubernetes` Service's endpoints would name the loopback address, which the reconciler refuses.
        '--endpoint-reconciler-type=none',
        // As clusters run it (kubeadm's default): what keeps a privileged pod out is PodSecurity, as in production.
        '--allow-privileged=true',
        `--cert-dir=${path.join(dir, 'certs')}`],
    },
    ...(options.controllers ? [{
      name: 'kube-controller-manager',
      args: ['kube-controller-manager', `--kubeconfig=${kubeconfig}`, '--leader-elect=false', '--bind-address=127.0.0.1', '--secure-port=0',
        '--service-account-private-key-file=sa.key', '--root-ca-file=ca.crt', '--use-service-account-credentials=false',
        `--cert-dir=${path.join(dir, 'certs')}`],
    }] : []),
    ...(options.scheduler ? [{
      name: 'kube-scheduler',
      args: ['kube-scheduler', `--kubeconfig=${kubeconfig}`, '--leader-elect=false', '--bind-address=127.0.0.1', `--secure-port=${await freePort()}`,
        `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`, `--cert-dir=${path.join(dir, 'certs')}`],
    }] : []),
    ...(options.kwok ? [{
      name: 'kwok',
      command: tool('kwok'),
      // No --server-address: kwok then serves nothing (no logs or exec of its fake pods are needed).
      args: [`--kubeconfig=${kubeconfig}`, '--manage-all-nodes', '--node-ip=127.0.0.1', '--cidr=10.244.0.0/16'],
    }] : []),
  ].map((p: { name: string; command?: string; args: string[] }) => ({ name: p.name, command: p.command ?? binary, args: p.args }));
  const specFile = path.join(dir, 'spec.json');
  fs.writeFileSync(specFile, JSON.stringify({ dir, processes }));
  const supervisor: ChildProcess = spawn(process.execPath, [path.join(__dirname, 'supervisor.js'), specFile], {
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => supervisor.once('exit', () => resolve()));

  const agent = new https.Agent({
    ca: fs.readFileSync(path.join(dir, 'ca.crt')),
    cert: fs.readFileSync(path.join(dir, 'admin.crt')),
    key: fs.readFileSync(path.join(dir, 'admin.key')),
    keepAlive: true,
  });
  const request: ControlPlane['request'] = (method, urlPath, body, contentType = 'application/json') =>
    new Promise((resolve, reject) => {
      const req = https.request(`${server}${urlPath}`, { method, agent, headers: body === undefined ? {} : { 'content-type': contentType } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON (e.g. /readyz's "ok")
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
    });

  const kubectl = (args: readonly string[], input?: string) => run(binary, ['kubectl', `--kubeconfig=${kubeconfig}`, ...args], input);
  const kubectlOk = async (args: readonly string[], input?: string) => {
    const r = await kubectl(args, input);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
    return r.stdout;
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    agent.destroy();
    supervisor.stdin?.end();
    await exited;
  };
  const plane: ControlPlane = { dir, server, kubeconfig, kubectl, kubectlOk, request, stop };

  try {
    await waitReady(plane, dir);
    if (options.prerequisites !== false) await installPrerequisites(plane);
  } catch (error) {
    await stop();
    throw error;
  }
  return plane;
}

async function waitReady(plane: ControlPlane, dir: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  let last = '';
  const exits = path.join(dir, 'supervisor.log');
  while (Date.now() < deadline && !fs.existsSync(exits)) {
    try {
      const { status, body } = await plane.request('GET', '/readyz');
      if (status === 200) return;
      last = `${status} ${String(body).slice(-300)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const tail = (name: string) => {
    const file = path.join(dir, `${name}.log`);
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').slice(-15).join('\n') : '';
  };
  throw new Error(`kube-apiserver not ready (${last}; ${fs.existsSync(exits) ? fs.readFileSync(exits, 'utf8').trim() : 'after 60 s'})\n${tail('kube-apiserver')}\n${tail('etcd')}`);
}

/** Argo CD's namespace and the vendored CRDs, Established. Server-side: the ApplicationSet CRD is too large for client-side apply's annotation. */
async function installPrerequisites(plane: ControlPlane): Promise<void> {
  await plane.kubectlOk(['create', 'namespace', ARGO_CD_NAMESPACE]);
  await plane.kubectlOk(['apply', '--server-side', '--warnings-as-errors', ...CLUSTER_CRDS.flatMap((f) => ['-f', f])]);
  // Polled here: `kubectl wait` fails outright on a CRD whose status has no conditions yet.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { body } = await plane.request('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions');
    const pending = (body.items as any[]).filter((crd) => !crd.status?.conditions?.some((c: any) => c.type === 'Established' && c.status === 'True'));
    if (pending.length === 0) return;
    if (Date.now() > deadline) throw new Error(`CRDs not Established after 60 s: ${pending.map((c) => c.metadata.name).join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
