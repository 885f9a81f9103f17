// What `npm run bench` (scripts/bench.js) loads from the project, bundled through scripts/bundle.js.
import { previewFor } from '../lib/config/environments';

export { renderEnvironment } from '../lib/synth/render';
/** Preview n of ov-wag, for the scale figure. */
export const previewEnvironment = (n: number) => previewFor({ repo: 'ov-wag', number: n });
