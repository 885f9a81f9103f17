/**
 * The YAML the manifests are written in. js-yaml rather than cdk8s' own serializer: it writes the
 * same documents (block style, keys in order, no line folding) several times faster, which matters
 * when many environments are rendered in one run.
 */
import { dump } from 'js-yaml';

const OPTIONS = {
  // Never fold long lines (commands, annotations), never emit anchors for repeated objects.
  lineWidth: -1,
  noRefs: true,
  quotingType: '"',
} as const;

/** One multi-document YAML stream: each object a document, separated by `---`. */
export function toYaml(...documents: readonly object[]): string {
  return documents.map((d) => dump(d, OPTIONS)).join('---\n');
}
