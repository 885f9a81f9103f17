/** dist/ applied by server-side apply, on a real API server (test/cluster/apply-suite.ts). */
import { applySuite } from './cluster/apply-suite';

jest.setTimeout(120_000);

applySuite('server-side');
