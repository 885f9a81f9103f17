// What `npm run bench` (scripts/bench.js) loads from the project, bundled through scripts/bundle.js.
export { buildObjects, renderEnvironment } from '../lib/render';
export { assertValid } from '../lib/validate';
export { toYaml } from '../lib/yaml';
export { previewEnvironment, ENVIRONMENTS } from '../lib/environments';
