/**
 * Registry values and the backend's start held to their consumers' own code: a Go program of the consumers'
 * libraries (test/values) and the real shell. Each starts a process, so they are not in the fast tier.
 */
import './config/values';
import './stack/start';
