/**
 * Object-by-object diff of rendered manifests (the YAML streams under dist/), for review and CI.
 *
 * Parsed objects are compared, never text, so key order, document order and YAML quoting don't show.
 * Objects are matched by identity (group/kind/namespace/name): an apiVersion bump or a move to
 * another file is a field change, not a remove + add. Self-contained: node built-ins and js-yaml.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { CORE_SCHEMA, loadAll, YAMLException } from 'js-yaml';

export interface ObjectKey { readonly group: string; readonly kind: string; readonly namespace: string; readonly name: string }
/** `old` absent: the field was added; `new` absent: removed. Values have their keys sorted. */
export interface FieldChange { readonly path: string; readonly old?: unknown; readonly new?: unknown }
/** id: Kind/namespace/name (Kind/name if cluster-scoped); file: relative to the dir, the head's unless removed. */
export interface ObjectDiff { readonly id: string; readonly file: string; readonly change: 'added' | 'removed' | 'changed'; readonly fields: readonly FieldChange[] }
export interface ManifestDiff { readonly base: string; readonly objects: readonly ObjectDiff[] }
export interface ParsedObject { readonly file: string; readonly key: ObjectKey; readonly object: Record<string, unknown> }

/** Input that can't be diffed (bad ref, unreadable dir, bad YAML, duplicate object): a usage error, not a crash. */
export class DiffInputError extends Error { override name = 'DiffInputError'; }

type Rec = Record<string, unknown>;
const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: unknown): boolean => v === null || typeof v !== 'object';
/** Own keys only: a `constructor` key in ConfigMap data must not read Object.prototype. */
const get = (o: Rec, k: string): unknown => (Object.hasOwn(o, k) ? o[k] : undefined);
/** By UTF-16 code unit, the same on every machine (localeCompare is not). */
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const idOf = (k: ObjectKey): string => [k.kind, k.namespace, k.name].filter(Boolean).join('/');

function keyOf(doc: unknown, at: string): ObjectKey {
  const meta = isRecord(doc) ? doc.metadata : undefined;
  const str = (v: unknown): v is string => typeof v === 'string' && v !== '';
  if (!isRecord(doc) || !str(doc.apiVersion) || !str(doc.kind) || !isRecord(meta) || !str(meta.name)
    || (meta.namespace !== undefined && typeof meta.namespace !== 'string')) {
    throw new DiffInputError(`${at}: not a Kubernetes object (needs apiVersion, kind, metadata.name)`);
  }
  const slash = doc.apiVersion.lastIndexOf('/');
  return { group: slash < 0 ? '' : doc.apiVersion.slice(0, slash), kind: doc.kind, namespace: (meta.namespace as string | undefined) ?? '', name: meta.name };
}

/** Which document (1-based, empty ones counted, as in loadAll's result) a line falls in, for error messages. */
function documentAt(text: string, line: number): number {
  let n = 1, started = false;
  for (const l of text.split('\n').slice(0, line)) {
    if (/^---(\s|$)/.test(l)) { if (started) n++; started = true; } else if (!/^\s*(#.*)?$/.test(l)) started = true;
  }
  return n;
}

/** Every object of every file, by identity `group/kind/namespace/name`. */
export function parseManifests(files: ReadonlyMap<string, string>): Map<string, ParsedObject> {
  const out = new Map<string, ParsedObject>();
  const where = new Map<string, string>();
  for (const [file, text] of files) {
    let docs: unknown[];
    // CORE_SCHEMA: plain JSON data only (a date stays the string Kubernetes gets, no Date objects to mis-compare).
    try { docs = loadAll(text, null, { schema: CORE_SCHEMA, filename: file }); } catch (e) {
      if (!(e instanceof YAMLException)) throw e;
      throw new DiffInputError(`${file}: document ${documentAt(text, e.mark.line)}: invalid YAML at line ${e.mark.line + 1}: ${e.reason}`);
    }
    docs.forEach((doc, i) => {
      if (doc === null || doc === undefined) return; // empty documents, e.g. a trailing `---`
      const at = `${file}: document ${i + 1}`;
      const key = keyOf(doc, at);
      const id = `${key.group}/${key.kind}/${key.namespace}/${key.name}`;
      const first = where.get(id);
      if (first) throw new DiffInputError(`${at}: duplicate ${idOf(key)} (first in ${first})`);
      where.set(id, at);
      out.set(id, { file, key, object: doc as Rec });
    });
  }
  return out;
}

/** Only ever sees scalars and lists of scalars: walk() descends into everything else. */
function equal(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => equal(v, b[i]));
  return Object.is(a, b);
}

/** Keys sorted all the way down, so the JSON of a value doesn't depend on the YAML's key order. */
function canon(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canon);
  if (!isRecord(v)) return v;
  return Object.fromEntries(Object.keys(v).sort(cmp).map((k) => [k, canon(v[k])]));
}

function change(path: string, old: unknown, neu: unknown): FieldChange {
  return { path, ...(old === undefined ? {} : { old: canon(old) }), ...(neu === undefined ? {} : { new: canon(neu) }) };
}

/** `a.b`, or `a["app.kubernetes.io/name"]` when the key would read as more than one segment. */
const keyPath = (path: string, k: string): string =>
  /^[A-Za-z_][\w-]*$/.test(k) ? (path ? `${path}.${k}` : k) : `${path}[${JSON.stringify(k)}]`;
/** `[ov-wag]`; quoted when the name could pass for an index or contains brackets. */
const namePath = (path: string, n: string): string =>
  `${path}[${/^[^[\]"\s]+$/.test(n) && !/^\d+$/.test(n) ? n : JSON.stringify(n)}]`;

/** Lists whose elements all carry a distinct string `name` (containers, env, volumes, ports) are keyed by it. */
function named(list: unknown[]): list is Rec[] {
  const names = list.map((e) => (isRecord(e) && typeof e.name === 'string' ? e.name : undefined));
  return names.every((n) => n !== undefined) && new Set(names).size === names.length;
}

function walk(old: unknown, neu: unknown, path: string, out: FieldChange[]): void {
  if (isRecord(old) && isRecord(neu)) {
    const keys = [...new Set([...Object.keys(old), ...Object.keys(neu)])].sort(cmp);
    for (const k of keys) walk(get(old, k), get(neu, k), keyPath(path, k), out);
    return;
  }
  if (Array.isArray(old) && Array.isArray(neu)) {
    if (named(old) && named(neu)) {
      const before = new Map(old.map((e) => [e.name as string, e]));
      const after = new Map(neu.map((e) => [e.name as string, e]));
      // Order of the kept elements matters (initContainers run in order, env can refer to earlier vars).
      const kept = [...before.keys()].filter((n) => after.has(n));
      const keptAfter = [...after.keys()].filter((n) => before.has(n));
      if (!equal(kept, keptAfter)) out.push(change(`${path} (order)`, kept, keptAfter));
      for (const [n, e] of after) walk(before.get(n), e, namePath(path, n), out);
      for (const [n, e] of before) if (!after.has(n)) walk(e, undefined, namePath(path, n), out);
      return;
    }
    // Lists of objects without names go by position; lists of scalars (args, hosts) are one value.
    if (!old.every(isScalar) || !neu.every(isScalar)) {
      for (let i = 0; i < Math.max(old.length, neu.length); i++) walk(old[i], neu[i], `${path}[${i}]`, out);
      return;
    }
  }
  if (!equal(old, neu)) out.push(change(path, old, neu));
}

/** The objects added, removed or changed from `base` to `head` (file → YAML text), in a stable order. */
export function diffManifests(base: ReadonlyMap<string, string>, head: ReadonlyMap<string, string>, baseName: string): ManifestDiff {
  const before = parseManifests(base), after = parseManifests(head);
  const rows: { key: ObjectKey; diff: ObjectDiff }[] = [];
  const add = (p: ParsedObject, c: ObjectDiff['change'], fields: FieldChange[]): void => {
    rows.push({ key: p.key, diff: { id: idOf(p.key), file: p.file, change: c, fields } });
  };
  for (const [id, b] of before) if (!after.has(id)) add(b, 'removed', []);
  for (const [id, a] of after) {
    const b = before.get(id);
    if (!b) { add(a, 'added', []); continue; }
    const fields = b.file === a.file ? [] : [change('(file)', b.file, a.file)];
    walk(b.object, a.object, '', fields);
    if (fields.length) add(a, 'changed', fields);
  }
  const order = (r: (typeof rows)[number]): string[] => [r.diff.file, r.key.kind, r.key.namespace, r.key.name, r.key.group];
  rows.sort((x, y) => order(x).reduce((c, v, i) => c || cmp(v, order(y)[i]!), 0));
  return { base: baseName, objects: rows.map((r) => r.diff) };
}

const LIMIT = 100;
/** Strings bare, unless that would hide whitespace or read as a number, boolean, null or JSON. */
function render(v: unknown): string {
  if (typeof v !== 'string' || v === '' || v.trim() !== v || /[\u0000-\u001f]/.test(v)) return JSON.stringify(v);
  try { JSON.parse(v); return JSON.stringify(v); } catch { return v; }
}
/** At most LIMIT chars, starting a little before `from` so two long values show where they differ. */
function clip(s: string, from = 0): string {
  const start = from > LIMIT - 20 ? from - 20 : 0;
  return (start ? '…' : '') + s.slice(start, start + LIMIT) + (start + LIMIT < s.length ? '…' : '');
}
function fieldText(f: FieldChange): string {
  if (f.old === undefined) return `(added) ${clip(render(f.new))}`;
  if (f.new === undefined) return `(removed) ${clip(render(f.old))}`;
  const [a, b] = [render(f.old), render(f.new)];
  let at = 0;
  while (at < a.length && a[at] === b[at]) at++;
  const text = `${clip(a, at)} → ${clip(b, at)}`;
  return isScalar(f.old) && isScalar(f.new) ? text : `changed ${text}`;
}

const SIGN = { added: '+', removed: '-', changed: '~' } as const;
export function formatDiff(d: ManifestDiff): string {
  if (!d.objects.length) return `no changes (against ${d.base})\n`;
  const n = (c: ObjectDiff['change']): number => d.objects.filter((o) => o.change === c).length;
  const lines = [`${n('added')} added, ${n('removed')} removed, ${n('changed')} changed (against ${d.base})`];
  for (const o of d.objects) {
    lines.push(`${SIGN[o.change]} ${o.id} (${o.file})`);
    for (const f of o.fields) lines.push(`  ${f.path}: ${fieldText(f)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** For CI: the structure as is (values already key-sorted), 2-space indent, trailing newline. */
export const diffAsJson = (d: ManifestDiff): string => `${JSON.stringify(d, null, 2)}\n`;

/** Files under `dir` (relative to repoDir) at `ref`, keyed by path relative to `dir`. */
export function readTreeAtRef(repoDir: string, ref: string, dir: string, filter: (relativePath: string) => boolean): Map<string, string> {
  const git = (args: string[], what: string): string => {
    try {
      return execFileSync('git', ['-C', repoDir, ...args], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
        throw new DiffInputError(`${what}: ${(e as { stderr?: string }).stderr?.trim() || (e as Error).message}`);
    }
  };
  git(['rev-parse', '--git-dir'], `not a git repository: ${repoDir}`);
  if (ref.startsWith('-')) throw new DiffInputError(`unknown git ref ${ref}: must not start with "-"`);
  // Resolve once, so every later read sees the same commit even if the branch moves meanwhile.
  const commit = git(['rev-parse', '--verify', `${ref}^{commit}`], `unknown git ref ${ref}`).trim();
  // ls-tree's paths are relative to -C's dir; -z leaves them unquoted. Blobs are read by id: no path quoting.
  const entries = git(['ls-tree', '-r', '-z', commit, '--', dir], `cannot list ${dir} at ${ref}`).split('\0').filter(Boolean);
  if (!entries.length) throw new DiffInputError(`${dir} not found at ${ref} in ${repoDir}`);
  const out = new Map<string, string>();
  for (const entry of entries) {
    const [, mode, type, id, path] = /^(\d+) (\w+) ([0-9a-f]+)\t(.*)$/s.exec(entry) ?? [];
    if (type !== 'blob' || mode === '120000' || !id || !path) continue; // submodules, symlinks: not files on disk either
    const rel = posix.relative(posix.resolve(repoDir, dir), posix.resolve(repoDir, path));
    if (filter(rel)) out.set(rel, git(['cat-file', 'blob', id], `cannot read ${path} at ${ref}`));
  }
  return out;
}

/** Regular files under `dir` (symlinks skipped, as in readTreeAtRef), keyed by `/`-separated relative path. */
export function readTreeFromDisk(dir: string, filter: (relativePath: string) => boolean): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (rel: string): void => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) visit(path);
      else if (e.isFile() && filter(path)) out.set(path, readFileSync(join(dir, path), 'utf8'));
    }
  };
  try { visit(''); } catch (e) { throw new DiffInputError(`cannot read ${dir}: ${(e as Error).message}`); }
  return out;
}
