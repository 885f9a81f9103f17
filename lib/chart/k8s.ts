/**
 * The Kubernetes API this project builds with: the 1.28 API classes (`k8s.KubeDeployment`, ...) that
 * cdk8s-plus-28 ships and exports as `k8s`, imported the supported way. Every construct imports it from here,
 * so moving to a newer cdk8s-plus is a change to this file. Only these low-level classes are used, not
 * cdk8s-plus' own constructs, so no default of theirs reaches the output: every field is one we chose.
 */
export { k8s } from 'cdk8s-plus-28';
