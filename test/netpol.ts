/** NetworkPolicy semantics for the tests: the model the topology page draws from (lib/report/network-policy.ts). */
export { allowed, type Endpoint } from '../lib/report/network-policy';
