/**
 * The operators' workflow on a clone of this repository, and the real cdk8s CLI on copies of it: each test
 * waits on child processes (git, node, cdk8s), so they have a file of their own, run beside the others.
 */
import './cli/workflow';
import './cli/imports';
