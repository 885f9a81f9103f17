/**
 * The command line and the entry points, one suite per concern, sharing this file's module registry.
 * The entry-point suite starts its child process first, so it runs while the others do.
 */
import './cli/entry-points';
import './cli/options';
import './cli/validation-failure';
import './cli/commands';
import './cli/workflow';
import './cli/imports';
