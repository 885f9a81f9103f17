/**
 * Synth-time validation of the rendered manifests: schema conformance, Pod Security "restricted", and
 * references between objects (Service → pods, Ingress → Service, NetworkPolicy → pods, pods → ConfigMaps).
 */
import type { KubeObject } from '../../objects/kube-object';
import { buildContext, idOf, type Rule } from './context';
import { autoscalerRule } from './autoscaler';
import { duplicateRule, namespaceRule } from './metadata';
import { podSecurityRule, readOnlyRootRule } from './pod-security';
import {
  configMapRefRule, headlessServiceRule, ingressBackendRule, networkPolicySelectorRule, serviceSelectorRule, targetPortRule,
} from './references';
import { schemaRule } from './schema';

export interface Violation {
  /** `objectId` of the offending object. */
  readonly object: string;
  /** Dotted path of the offending field, e.g. `spec.template.spec.containers[0].securityContext.runAsNonRoot`. */
  readonly field: string;
  /** Id of the rule that was broken. */
  readonly rule: string;
  readonly message: string;
}

const RULES: readonly Rule[] = [
  schemaRule,
  podSecurityRule,
  readOnlyRootRule,
  serviceSelectorRule,
  targetPortRule,
  ingressBackendRule,
  headlessServiceRule,
  configMapRefRule,
  networkPolicySelectorRule,
  autoscalerRule,
  namespaceRule,
  duplicateRule,
];

/** Every violation in `objects`, ordered by object (input order), then by field. */
export function findViolations(objects: readonly KubeObject[]): Violation[] {
  const ctx = buildContext(objects);
  const found: Array<{ readonly index: number; readonly violation: Violation }> = [];
  objects.forEach((o, index) => {
    const object = idOf(o);
    for (const rule of RULES) {
      for (const issue of rule.check(o, index, ctx)) {
        found.push({ index, violation: { object, field: issue.field, rule: rule.id, message: issue.message } });
      }
    }
  });
  // Array.prototype.sort is stable: ties keep rule order, then the order a rule reported them in.
  found.sort((a, b) => a.index - b.index || compare(a.violation.field, b.violation.field));
  return found.map((f) => f.violation);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function formatViolation(v: Violation): string {
  return `${v.object}: ${v.field}: ${v.message} [${v.rule}]`;
}

export class ValidationError extends Error {
  readonly violations: readonly Violation[];

  constructor(violations: readonly Violation[]) {
    const count = `${violations.length} violation${violations.length === 1 ? '' : 's'}`;
    super([`Manifest validation failed with ${count}:`, ...violations.map(formatViolation)].join('\n'));
    this.name = 'ValidationError';
    this.violations = violations;
  }
}

/** Throws a ValidationError listing every violation, if there is any. */
export function assertValid(objects: readonly KubeObject[]): void {
  const violations = findViolations(objects);
  if (violations.length > 0) throw new ValidationError(violations);
}
