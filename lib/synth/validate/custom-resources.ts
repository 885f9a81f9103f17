/** Rule [crd-schema]: custom resources checked against the openAPIV3Schema of the vendored CRD they come from, as the API server checks them. */
import { groupOf } from '../../objects/pods';
import { customResourceIssues } from '../crd';
import type { Rule } from './context';
import { BUILT_IN_GROUPS } from './schema';

export const customResourceRule: Rule = {
  id: 'crd-schema',
  check: (o) => {
    if (BUILT_IN_GROUPS.has(groupOf(String(o.apiVersion)))) return [];
    return customResourceIssues(o) ?? [{ field: 'kind', message: `${String(o.apiVersion)} ${String(o.kind)} is no custom resource of the CRDs in crds/: vendor its CRD (crds/README.md) or fix the kind` }];
  },
};
