/**
 * The value rules of the registry, each the rule that Kubernetes or the consuming controller applies
 * (the source is named beside each), as zod schemas: one declaration gives both the TypeScript type and
 * the check run at synth.
 */
import { z } from 'zod';
import { TIME_ZONES } from './time-zones';

// A synth parses each environment once: compiling zod's parsers for speed (its default) costs more than it saves.
z.config({ jitless: true });

/** RFC 1123 label, what the API server requires of namespace and Service names (apimachinery validation). */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const dnsLabel = z.string().refine((v) => v.length <= 63 && DNS_LABEL.test(v), {
  message: 'must be a DNS label: lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters',
});

/** RFC 1123 subdomain, what the API server requires of most object names, IngressClass names and hosts. */
export function isDnsSubdomain(v: string): boolean {
  return v.length <= 253 && v.split('.').every((l) => l.length <= 63 && DNS_LABEL.test(l));
}

export const dnsSubdomain = z.string().refine(isDnsSubdomain, {
  message: 'must be a DNS subdomain: lowercase labels of letters, digits and "-" joined by ".", at most 253 characters',
});

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * A host name as an Ingress rule, a certificate and DNS take it: a DNS subdomain (kubernetes
 * pkg/apis/networking/validation validateIngressRules: IsDNS1123Subdomain, "must be a DNS name, not an IP
 * address"), with at least one dot, and a top-level label that is not all digits (RFC 1123 2.1, RFC 3696 2:
 * such a name would be read as an address). No scheme, port or wildcard.
 */
export const hostName = z.string().refine((v) => v.includes('.') && isDnsSubdomain(v) && !IPV4.test(v) && !/^\d+$/.test(v.slice(v.lastIndexOf('.') + 1)), {
  message: 'must be a host name like openvault.wgbh.org (lowercase, no scheme, no port, not an IP address, a top-level label not all digits)',
});

// Label keys and values as the API server checks them (apimachinery pkg/api/validate/content/kube.go IsLabelKey,
// IsLabelValue): a name of at most 63 alphanumerics, "-", "_" and ".", starting and ending alphanumeric; a key may
// have a DNS subdomain prefix and "/"; a value may be empty.
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

export function isLabelKey(key: string): boolean {
  const parts = key.split('/');
  if (parts.length > 2) return false;
  const name = parts.at(-1) ?? '';
  const prefixOk = parts.length === 1 || (parts[0] !== '' && isDnsSubdomain(parts[0]));
  return prefixOk && name.length <= 63 && LABEL_NAME.test(name);
}

export function isLabelValue(value: string): boolean {
  return value === '' || (value.length <= 63 && LABEL_NAME.test(value));
}

/** Labels, or a selector's matchLabels: at least one, each key and value as the API server takes them. */
export const labelMap = z.record(z.string(), z.string()).superRefine((labels, ctx) => {
  if (Object.keys(labels).length === 0) ctx.addIssue({ code: 'custom', message: 'must name at least one label' });
  for (const [key, value] of Object.entries(labels)) {
    if (!isLabelKey(key)) ctx.addIssue({ code: 'custom', message: `label key ${JSON.stringify(key)} must be a name of at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit, with an optional DNS subdomain prefix and "/"` });
    if (!isLabelValue(value)) ctx.addIssue({ code: 'custom', message: `label value ${JSON.stringify(value)} of ${JSON.stringify(key)} must be empty or at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit` });
  }
});

/**
 * An S3 bucket name by AWS's general purpose bucket naming rules (Amazon S3 User Guide, "General purpose bucket
 * naming rules"): 3 to 63 lowercase letters, digits, "." and "-", starting and ending with a letter or digit, no
 * "..", not an IP address, none of the reserved prefixes and suffixes.
 */
const S3_RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const S3_RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];
export const s3Bucket = z.string().refine(
  (v) => /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(v) && !v.includes('..') && !IPV4.test(v)
    && !S3_RESERVED_PREFIXES.some((p) => v.startsWith(p)) && !S3_RESERVED_SUFFIXES.some((x) => v.endsWith(x)),
  { message: `must be an S3 bucket name: 3 to 63 lowercase letters, digits, "." and "-", starting and ending with a letter or digit, no "..", not an IP address, not starting with ${S3_RESERVED_PREFIXES.join(', ')} or ending with ${S3_RESERVED_SUFFIXES.join(', ')}` },
);

/** The longest index name Elasticsearch takes, in UTF-8 bytes. */
export const ES_INDEX_MAX_BYTES = 255;

/**
 * Why `name` is not an Elasticsearch index name (MetadataCreateIndexService.validateIndexOrAliasName and the create
 * index API's documented rules): lowercase only; none of \\ / * ? " < > | space , # :; not starting with -, _ or +
 * (nor ".", which is reserved for hidden and system indexes); not "." or ".."; at most 255 bytes.
 */
export function esIndexProblem(name: string, maxBytes = ES_INDEX_MAX_BYTES): string | undefined {
  if (name === '' || name === '.' || name === '..') return 'must not be empty, "." or ".."';
  if (name.toLowerCase() !== name) return 'must be lowercase';
  if (/[\\/*?"<>| ,#:]/.test(name)) return 'must not contain \\ / * ? " < > | , # : or a space';
  if (/^[-_+.]/.test(name)) return 'must not start with -, _, + or .';
  if (Buffer.byteLength(name, 'utf8') > maxBytes) return `must be at most ${maxBytes} bytes in UTF-8`;
  return undefined;
}

export const esIndex = z.string().superRefine((v, ctx) => {
  const problem = esIndexProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: `must be an Elasticsearch index name: ${problem}` });
});

export const port = z.number().int().min(1).max(65535);

/** The image tag grammar of the OCI distribution spec. */
export const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Why `tag` is not a usable pinned image tag, or undefined when it is. */
export function tagProblem(tag: string): string | undefined {
  if (!TAG_PATTERN.test(tag)) {
    return 'must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} (no spaces, slashes or colons, no leading "-" or ".", at most 128 characters)';
  }
  if (tag === 'latest') return 'must be pinned: "latest" changes under a running Deployment';
  return undefined;
}

/** A release tag, `v1.2.0`: each names one build of its image (a branch's or a pull request's tag moves). */
export const RELEASE_TAG = /^v\d+\.\d+\.\d+$/;

/** Whether `image` (`repository:tag` or `repository@sha256:…`) always names the same content. */
export function isImmutableImage(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const tag = /:([^:/@]+)$/.exec(image)?.[1];
  return tag !== undefined && RELEASE_TAG.test(tag);
}

export const imageTag = z.string().superRefine((v, ctx) => {
  const problem = tagProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

// An image reference by the distribution grammar (github.com/distribution/reference v0.6.0 regexp.go), which
// container runtimes parse: [domain[:port]/]path[:tag][@digest], the repository path at most 255 characters.
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const REFERENCE = new RegExp(`^(${NAME})(?::([\\w][\\w.-]{0,127}))?(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$`);
const REPOSITORY_MAX = 255;

/**
 * The repository path a runtime resolves a name to (splitDockerDomain in normalize.go): the first component is a
 * registry when it has "." or ":", is `localhost` or has capitals; otherwise Docker Hub, whose one-component names
 * are under `library/`.
 */
function repositoryPath(name: string): string {
  const i = name.indexOf('/');
  const first = i < 0 ? '' : name.slice(0, i);
  const registry = i >= 0 && (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first);
  const rest = registry ? name.slice(i + 1) : name;
  const hub = !registry || first === 'docker.io' || first === 'index.docker.io';
  return hub && !rest.includes('/') ? `library/${rest}` : rest;
}

/** Why `ref` is not a pinned image reference (a tag other than `latest`, or a sha256 digest), or undefined. */
export function imageProblem(ref: string): string | undefined {
  const m = REFERENCE.exec(ref);
  if (!m) return 'must be an image reference [registry[:port]/]repository[:tag][@digest] (lowercase repository path components joined by ".", "_", "__" or "-")';
  const [, name, tag, digest] = m;
  if (repositoryPath(name).length > REPOSITORY_MAX) return `must have a repository path of at most ${REPOSITORY_MAX} characters`;
  if (digest !== undefined) return /^sha256:[0-9a-f]{64}$/.test(digest) ? undefined : 'must have a sha256 digest of 64 lowercase hex digits';
  if (tag === undefined) return 'must be pinned: a tag or a digest (no tag means "latest")';
  const problem = tagProblem(tag);
  return problem ? `tag ${problem}` : undefined;
}

/** `repository:tag` or `repository@sha256:…`: pinned, so a rollout runs what was reviewed. */
export const pinnedImage = z.string().superRefine((v, ctx) => {
  const problem = imageProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

// Quantities (k8s.io/apimachinery/pkg/api/resource): a decimal number with a binary or decimal suffix, or an exponent.
const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;
const MULTIPLIER: Readonly<Record<string, number>> = {
  '': 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** The value of a Kubernetes quantity, or undefined when it is not one. */
export function quantityValue(q: string): number | undefined {
  const m = QUANTITY.exec(q);
  if (!m) return undefined;
  const suffix = m[2] ?? '';
  const scale = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : MULTIPLIER[suffix];
  return Number(m[1]) * scale;
}

const quantityAtLeast = (min: number, allowed: string) =>
  z.string().superRefine((v, ctx) => {
    const value = quantityValue(v);
    if (value === undefined) ctx.addIssue({ code: 'custom', message: `must be a Kubernetes quantity, ${allowed}` });
    else if (value < min) ctx.addIssue({ code: 'custom', message: `is too small: ${allowed}` });
  });

/** CPU: the API server's resolution is 1m. */
export const cpu = quantityAtLeast(1e-3, 'a CPU amount of at least 1m, like 50m, 0.5 or 1');
/** Memory: in bytes; `100m` would be a tenth of a byte, and no container starts below a few MiB. */
export const memory = quantityAtLeast(4 * 2 ** 20, 'a memory size of at least 4Mi, like 50Mi, 1Gi or 1G');
/** A volume claim: at least 1Mi. */
export const storage = quantityAtLeast(2 ** 20, 'a volume size of at least 1Mi, like 5Gi or 20G');
/** A container's node disk (its logs, its emptyDirs): at least 1Mi. */
export const ephemeralStorage = quantityAtLeast(2 ** 20, 'a disk size of at least 1Mi, like 128Mi or 1Gi');

/** A Go duration (time.ParseDuration), as metav1.Duration fields take it: `1h`, `30m`, `1h30m`, `10s`. */
export const goDuration = z.string().regex(/^(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|\u00b5s|ms|s|m|h))+$/, {
  message: 'must be a Go duration like 1h, 30m or 1h30m',
});

// Cron (the CronJob controller parses with robfig/cron's ParseStandard): five fields or a descriptor.
const CRON_FIELDS: ReadonlyArray<{ readonly name: string; readonly min: number; readonly max: number; readonly names?: readonly string[] }> = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day of week', min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];
const CRON_DESCRIPTORS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

function cronFieldProblem(text: string, f: (typeof CRON_FIELDS)[number], index: number): string | undefined {
  const value = (s: string): number | undefined => {
    const named = f.names?.indexOf(s.toLowerCase()) ?? -1;
    if (named >= 0) return f.min + named;
    return /^\d+$/.test(s) ? Number(s) : undefined;
  };
  for (const part of text.split(',')) {
    const [range, step, extra] = part.split('/');
    if (extra !== undefined || (step !== undefined && !/^[1-9]\d*$/.test(step))) return `${f.name} "${part}": a step must be a whole number of at least 1`;
    if (range === '*' || (range === '?' && (index === 2 || index === 4))) continue;
    const [lo, hi, more] = range.split('-');
    const a = value(lo);
    const b = hi === undefined ? a : value(hi);
    if (more !== undefined || a === undefined || b === undefined || a < f.min || b > f.max || a > b) {
      return `${f.name} "${part}" must be within ${f.min}-${f.max}`;
    }
  }
  return undefined;
}

export const cronSchedule = z.string().superRefine((v, ctx) => {
  if (CRON_DESCRIPTORS.has(v)) return;
  if (v.startsWith('@every ')) {
    if (!goDuration.safeParse(v.slice(7)).success) ctx.addIssue({ code: 'custom', message: '@every must be followed by a Go duration like 1h' });
    return;
  }
  const fields = v.split(' ');
  if (fields.length !== 5 || fields.some((f) => f === '')) {
    ctx.addIssue({ code: 'custom', message: `must be five cron fields like "0 8 * * *", or one of ${[...CRON_DESCRIPTORS].join(', ')}` });
    return;
  }
  fields.forEach((field, i) => {
    const problem = cronFieldProblem(field, CRON_FIELDS[i], i);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
});

/**
 * A time zone as a CronJob's `timeZone` takes it: the API server and the CronJob controller load it with Go's
 * time.LoadLocation (kubernetes pkg/apis/batch/validation validateTimeZone), so it is a name of the tz database
 * Go ships, case and all; ICU's own aliases (PST, US/Pacific-New) are not.
 */
export const timeZone = z.string().refine((v) => TIME_ZONES.has(v), {
  message: 'must be a name of the IANA tz database like America/New_York (see lib/config/time-zones.ts)',
});

function parsedUrl(v: string): URL | undefined {
  try {
    return /\s/.test(v) ? undefined : new URL(v);
  } catch {
    return undefined;
  }
}

/**
 * An absolute http(s) URL with a host: what the images pass to their HTTP clients. It lands in a ConfigMap, which
 * anyone who may read the namespace reads: credentials in it (user:password@) are refused, they belong in a Secret.
 */
export const httpUrl = z.string().superRefine((v, ctx) => {
  const url = parsedUrl(v);
  if (!url || !['http:', 'https:'].includes(url.protocol) || url.hostname === '') {
    ctx.addIssue({ code: 'custom', message: 'must be an absolute http or https URL like https://example.org' });
  } else if (url.username !== '' || url.password !== '') {
    ctx.addIssue({ code: 'custom', message: 'must not hold credentials (user:password@): it lands in a ConfigMap; they belong in a Secret' });
  }
});

/**
 * The endpoint a URL names, for deciding whether two are one: scheme, host (lowercase, IDNA), port (the
 * scheme's default dropped) and path without trailing slashes, as WHATWG URL parsing normalises them.
 */
export function normalizedUrl(v: string): string {
  const url = parsedUrl(v);
  if (!url) return v;
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/** A git repository URL as Argo CD takes it: https, or scp-like ssh (git@host:path). */
export const gitUrl = z.string().refine((v) => /^git@[a-z0-9.-]+:[^\s]+$/.test(v) || httpUrl.safeParse(v).success, {
  message: 'must be a git URL like https://github.com/org/repo.git or git@github.com:org/repo.git',
});

export const nonBlank = z.string().regex(/^\S+$/, { message: 'must be a non-empty word without spaces' });

// IPv4 CIDRs (NetworkPolicy ipBlock).
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** An IPv4 CIDR's first address and prefix length, or undefined when it is not one. */
export function parseCidr(cidr: string): { readonly base: number; readonly bits: number } | undefined {
  const m = CIDR.exec(cidr);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 32) return undefined;
  return { base: octets.reduce((n, o) => n * 256 + o, 0), bits };
}

export function isCidr(cidr: string): boolean {
  return parseCidr(cidr) !== undefined;
}

/** Whether `inner` lies inside `outer` and is smaller: what the API server requires of an ipBlock's `except`. */
export function cidrStrictlyWithin(inner: string, outer: string): boolean {
  const a = parseCidr(inner);
  const b = parseCidr(outer);
  if (!a || !b || a.bits <= b.bits) return false;
  const size = 2 ** (32 - b.bits);
  return Math.floor(a.base / size) === Math.floor(b.base / size);
}

export const cidr = z.string().refine(isCidr, { message: 'must be an IPv4 CIDR like 10.0.0.0/8' });

/** `100m`, `1g`, `512k`: the size notation of nginx's client_max_body_size. */
export const bodySize = z.string().regex(/^[1-9]\d*[kmg]?$/, { message: 'must be a size like 100m, 512k or 1g' });

/** The bytes of an nginx size (`k`, `m` and `g` are powers of 1024). */
export function bodySizeBytes(size: string): number {
  const unit = size.at(-1) ?? '';
  const scale = ({ k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 } as Record<string, number>)[unit];
  return scale === undefined ? Number(size) : Number(size.slice(0, -1)) * scale;
}
