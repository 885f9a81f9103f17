/** The YAML the manifests are written in: js-yaml's block style, keys in the order given, no folding, no anchors. */
import { dump } from 'js-yaml';

const DUMP_OPTIONS = { lineWidth: -1, noRefs: true, quotingType: '"' } as const;

/** One multi-document YAML stream: each object a document, separated by `---`. */
export function toYaml(...documents: readonly object[]): string {
  return documents.map((d) => dump(d, DUMP_OPTIONS)).join('---\n');
}
