/**
 * The synthesized stack and the checks synth runs on it, one suite per concern. They share this
 * file's module registry, so the chart's dependencies load once rather than once per suite.
 */
import './stack/chart';
import './stack/security';
import './stack/operations';
import './stack/delivery';
import './stack/network';
import './stack/upstream';
import './stack/previews';
import './stack/scaling';
import './stack/invariants';
import './stack/rollout';
import './stack/invented';
import './stack/media';
import './stack/world';
import './config/registry';
import './validation/rules';
import './validation/chart';
