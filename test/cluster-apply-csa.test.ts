/** dist/ applied by client-side `kubectl apply -f`, the README's path, on a real API server (test/cluster/apply-suite.ts). */
import { applySuite } from './cluster/apply-suite';

jest.setTimeout(120_000);

applySuite('client-side');
