/** The vendored CRDs of one folder, indexed by group/kind, with their validators compiled (or loaded) on first use. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readCache, writeCache } from './cache';
import { ajvVersion, compileStandalone, evaluate, generator, type Evaluated } from './compile';
import { issueOf, sortedIssues, withoutNulls, type CrdIssue } from './issues';
import { crdFiles, parseCrds, type CrdDocument, type CrdFile, type CrdInfo } from './load';
import { projectRoot } from '../../config/project';

export interface CrdOptions {
  /** The folder of CRD YAML files; default `crds/` of the project root. */
  readonly dir?: string;
  /** Where compiled validators are cached; default `node_modules/.cache/open-vault/crd-validators/`; `null`: no cache. */
  readonly cacheDir?: string | null;
}

export interface CustomResource {
  readonly apiVersion: string;
  readonly kind: string;
  readonly [k: string]: unknown;
}

interface CrdEntry extends CrdInfo {
  readonly file: string;
  readonly sha256: string;
}

const stemOf = (file: string): string => file.replace(/\.ya?ml$/, '');

export class CrdSchemas {
  readonly dir: string;
  readonly cacheDir: string | null;
  private crdFiles: CrdFile[] | undefined;
  /** Each group/kind looked up: its CRD, or undefined if none defines it. */
  private readonly byKind = new Map<string, CrdEntry | undefined>();
  /** Parsed CRD documents by file sha256, kept from indexing for a compile in the same run. */
  private readonly parsed = new Map<string, CrdDocument[]>();
  private readonly validators = new Map<string, Evaluated>();

  constructor(options: CrdOptions = {}) {
    const root = options.dir === undefined || options.cacheDir === undefined ? projectRoot() : '';
    this.dir = path.resolve(options.dir ?? path.join(root, 'crds'));
    this.cacheDir = options.cacheDir === null ? null : path.resolve(options.cacheDir ?? path.join(root, 'node_modules', '.cache', 'open-vault', 'crd-validators'));
  }

  /** Whether a vendored CRD defines this group and kind (in any version). */
  isKnown(apiVersion: string, kind: string): boolean {
    return this.entry(apiVersion, kind) !== undefined;
  }

  /** The issues of `o` against its CRD; undefined when no vendored CRD defines its group and kind. */
  issues(o: CustomResource): CrdIssue[] | undefined {
    const crd = this.entry(o.apiVersion, o.kind);
    if (crd === undefined) return undefined;
    const version = o.apiVersion.slice(o.apiVersion.indexOf('/') + 1);
    const v = crd.versions.find((x) => x.name === version);
    const served = crd.versions.filter((x) => x.served);
    const use = served.find((x) => x.storage) ?? served[0];
    const hint = use ? `; use ${crd.group}/${use.name}` : '';
    if (v === undefined) return [{ field: 'apiVersion', message: `version ${version} is not defined by the CRD ${crd.name}${hint}` }];
    if (!v.served) return [{ field: 'apiVersion', message: `version ${version} is not served by the CRD ${crd.name}${hint}` }];
    const { validate, saveCodeCache } = this.validator(crd, version);
    const data = withoutNulls(o);
    const valid = validate(data);
    saveCodeCache?.();
    if (valid) return [];
    return sortedIssues((validate.errors ?? []).map((e) => issueOf(data, e)));
  }

  private entry(apiVersion: string, kind: string): CrdEntry | undefined {
    const slash = apiVersion.indexOf('/');
    if (slash < 0) return undefined; // the core group: no CRD
    const group = apiVersion.slice(0, slash);
    const key = `${group}/${kind}`;
    if (this.byKind.has(key)) return this.byKind.get(key);
    let found: CrdEntry | undefined;
    for (const f of this.files()) {
      // A file is only parsed if it could define this kind: its text contains both names (and its index is not cached).
      f.infos ??= f.content().includes(kind) && f.content().includes(group) ? this.infos(f) : undefined;
      const info = f.infos?.find((i) => i.group === group && i.kind === kind);
      if (info) {
        found = { ...info, file: f.file, sha256: f.sha256 };
        break;
      }
    }
    this.byKind.set(key, found);
    return found;
  }

  /** The CRD files, in name order, each with its CRDs if its index is cached. */
  private files(): CrdFile[] {
    if (this.crdFiles) return this.crdFiles;
    this.crdFiles = crdFiles(this.dir, this.cacheDir);
    for (const f of this.crdFiles) f.infos = this.cachedInfos(f);
    return this.crdFiles;
  }

  private indexName(f: CrdFile): string {
    return `${stemOf(f.file)}.${f.sha256.slice(0, 16)}.${generator()}.index.json`;
  }

  private cachedInfos(f: CrdFile): readonly CrdInfo[] | undefined {
    if (this.cacheDir === null) return undefined;
    const cached = readCache(path.join(this.cacheDir, this.indexName(f)));
    if (cached === undefined) return undefined;
    try {
      const infos = JSON.parse(cached) as unknown;
      return Array.isArray(infos) ? (infos as CrdInfo[]) : undefined;
    } catch {
      return undefined; // a broken entry: parse the file again
    }
  }

  /** The CRDs a file defines, parsed (and their index cached). */
  private infos(f: CrdFile): readonly CrdInfo[] {
    const infos = this.parse(f.content(), f.sha256).map((d) => d.info);
    if (this.cacheDir !== null) {
      writeCache(this.cacheDir, this.indexName(f), JSON.stringify(infos), { prefix: `${stemOf(f.file)}.`, suffix: '.index.json', sha256: f.sha256 });
    }
    return infos;
  }

  private parse(content: Buffer, hash: string): CrdDocument[] {
    let docs = this.parsed.get(hash);
    if (docs === undefined) {
      docs = parseCrds(content);
      this.parsed.set(hash, docs);
    }
    return docs;
  }

  private validator(crd: CrdEntry, version: string): Evaluated {
    const key = `${crd.file}\0${crd.group}/${crd.kind}\0${version}`;
    let evaluated = this.validators.get(key);
    if (evaluated === undefined) this.validators.set(key, (evaluated = this.cached(crd, version) ?? this.compile(crd, version)));
    return evaluated;
  }

  private cacheName(crd: CrdEntry, version: string): { stem: string; name: string } {
    const stem = `${stemOf(crd.file)}.${crd.kind}.${version}`;
    return { stem, name: `${stem}.${crd.sha256.slice(0, 16)}.ajv-${ajvVersion()}.${generator()}.js` };
  }

  private cached(crd: CrdEntry, version: string): Evaluated | undefined {
    if (this.cacheDir === null) return undefined;
    const file = path.join(this.cacheDir, this.cacheName(crd, version).name);
    const code = readCache(file);
    if (code === undefined) return undefined;
    try {
      return evaluate(code, file, true);
    } catch {
      return undefined; // a broken entry: compile again
    }
  }

  private compile(crd: CrdEntry, version: string): Evaluated {
    const { stem, name } = this.cacheName(crd, version);
    const content = fs.readFileSync(path.join(this.dir, crd.file));
    const doc = this.parse(content, crd.sha256).find((d) => d.info.group === crd.group && d.info.kind === crd.kind);
    const schema = doc?.schemas.get(version) ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    const code = compileStandalone(schema);
    const evaluated = evaluate(code, `${stem}.js`);
    if (evaluated === undefined) throw new Error(`ajv standalone code for ${crd.file} ${version} is not a function`);
    if (this.cacheDir !== null) writeCache(this.cacheDir, name, code, { prefix: `${stem}.`, suffix: '.js', sha256: crd.sha256 });
    return evaluated;
  }
}
