/**
 * The command line and the entry points, one suite per concern, sharing this file's module registry.
 * The entry-point suite starts its child process first, so it runs while the others do. The workflow on a
 * clone and the cdk8s CLI's own paths are in workflow.test.ts, so that the two run on both workers.
 */
import './cli/entry-points';
import './cli/options';
import './cli/validation-failure';
import './cli/commands';
