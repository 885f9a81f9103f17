// What `npm run bench` (scripts/bench.js) loads from the project, bundled through scripts/bundle.js.
export { renderEnvironment } from '../lib/synth/render';
export { previewEnvironment, ENVIRONMENTS } from '../lib/config/environments';
