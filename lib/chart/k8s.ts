/**
 * The Kubernetes API this project builds with: the 1.28 API that cdk8s-plus-28 ships. Every construct
 * imports it from here, so moving to a newer cdk8s-plus is a change to this file. (The low-level module
 * alone, not cdk8s-plus' index: it loads faster and sets no defaults, so every field is one we chose.)
 */
export * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
