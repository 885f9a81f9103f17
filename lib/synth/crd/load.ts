/**
 * The CRD files of a folder: listed with the sha256 of each, which names their cache entries, and parsed on demand.
 * A file's sha256 is kept in the cache folder with its size, times and inode, as git's index does, so a warm run
 * only stats the files; one changed (or too recent to tell) is read and hashed again.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readCache, sha256, writeAtomically } from './cache';
import { requirePackage } from './project';
import { isSchema, type Schema } from './structural';

export interface CrdVersion {
  readonly name: string;
  readonly served: boolean;
  readonly storage: boolean;
}

/** What the index knows of one CRD, without its schemas. */
export interface CrdInfo {
  readonly name: string;
  readonly group: string;
  readonly kind: string;
  readonly versions: readonly CrdVersion[];
}

export interface CrdDocument {
  readonly info: CrdInfo;
  readonly schemas: ReadonlyMap<string, Schema>;
}

export interface CrdFile {
  readonly file: string;
  readonly sha256: string;
  /** Its bytes, read on first use. */
  readonly content: () => Buffer;
  /** Its CRDs, once known (from the index cache, or parsed); undefined: not parsed yet. */
  infos: readonly CrdInfo[] | undefined;
}

/** The apiextensions.k8s.io/v1 CRDs among a file's YAML documents. */
export function crdsIn(docs: readonly unknown[]): CrdDocument[] {
  const out: CrdDocument[] = [];
  for (const doc of docs) {
    if (!isSchema(doc) || doc.kind !== 'CustomResourceDefinition' || doc.apiVersion !== 'apiextensions.k8s.io/v1') continue;
    const spec = isSchema(doc.spec) ? doc.spec : {};
    const names = isSchema(spec.names) ? spec.names : {};
    const metadata = isSchema(doc.metadata) ? doc.metadata : {};
    if (typeof spec.group !== 'string' || typeof names.kind !== 'string' || !Array.isArray(spec.versions)) continue;
    const versions: CrdVersion[] = [];
    const schemas = new Map<string, Schema>();
    for (const v of spec.versions) {
      if (!isSchema(v) || typeof v.name !== 'string') continue;
      versions.push({ name: v.name, served: v.served === true, storage: v.storage === true });
      const schema = isSchema(v.schema) && isSchema(v.schema.openAPIV3Schema) ? v.schema.openAPIV3Schema : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
      schemas.set(v.name, schema);
    }
    const name = typeof metadata.name === 'string' ? metadata.name : `${String(names.plural)}.${spec.group}`;
    out.push({ info: { name, group: spec.group, kind: names.kind, versions }, schemas });
  }
  return out;
}

/** The CRDs of a file's text. */
export function parseCrds(content: Buffer): CrdDocument[] {
  return crdsIn(requirePackage<typeof import('js-yaml')>('js-yaml').loadAll(content.toString('utf8')));
}

/** What identifies a file's content without reading it, and the sha256 it had. */
interface Stamp {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly ino: number;
  readonly sha256: string;
}

/**
 * A file changed less than this long ago is not stamped: the file system's clock is coarse, so a file written again
 * within the same tick, to the same size, would keep its times.
 */
const SETTLED_MS = 2000;

function stampsFile(dir: string, cacheDir: string): string {
  return path.join(cacheDir, `crd-files.${sha256(dir).slice(0, 12)}.json`);
}

function readStamps(file: string): Record<string, Stamp> {
  try {
    const stamps = JSON.parse(readCache(file) ?? '{}') as unknown;
    return isSchema(stamps) ? (stamps as Record<string, Stamp>) : {};
  } catch {
    return {}; // a broken entry: hash the files again
  }
}

const sameFile = (s: Stamp | undefined, st: fs.Stats): s is Stamp =>
  s !== undefined && s.size === st.size && s.mtimeMs === st.mtimeMs && s.ctimeMs === st.ctimeMs && s.ino === st.ino && typeof s.sha256 === 'string';

/** The CRD files of `dir` (none if it does not exist), in name order; `cacheDir` keeps their stamps, `null`: hash every file. */
export function crdFiles(dir: string, cacheDir: string | null): CrdFile[] {
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  } catch {
    // no CRD folder: nothing is known
  }
  const file = cacheDir === null ? undefined : stampsFile(dir, cacheDir);
  const stamps = file === undefined ? {} : readStamps(file);
  const next: Record<string, Stamp> = {};
  const settled = Date.now() - SETTLED_MS;
  const files = names.map((name): CrdFile => {
    const full = path.join(dir, name);
    const st = fs.statSync(full);
    let content: Buffer | undefined;
    const read = (): Buffer => (content ??= fs.readFileSync(full));
    const known = stamps[name];
    const hash = sameFile(known, st) ? known.sha256 : sha256(read());
    if (st.mtimeMs < settled && st.ctimeMs < settled) next[name] = { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, sha256: hash };
    return { file: name, sha256: hash, content: read, infos: undefined };
  });
  if (file !== undefined && JSON.stringify(next) !== JSON.stringify(stamps)) writeAtomically(file, JSON.stringify(next));
  return files;
}
