/**
 * The Kubernetes API types this project builds with: the 1.28 API that cdk8s-plus-28 ships.
 * Every construct imports them from here, so moving to a newer cdk8s-plus is a change to this line.
 * (The low-level module alone, not cdk8s-plus' index: it loads faster and sets no defaults.)
 */
export * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
