/**
 * The order of an Argo CD sync. Argo CD applies one wave at a time, lowest first, and starts the next only
 * when every resource of the wave is healthy and every hook of it has completed (a Job: succeeded). The
 * jobs of a sync therefore come after what they need and before what needs them:
 *
 * 1. `prerequisites`: the Namespace, ServiceAccounts, NetworkPolicies, settings (ConfigMaps), ExternalSecrets
 *    (with the password generator one uses) and the database: the release's own settings are applied, the
 *    Secrets exist (an ExternalSecret is healthy once its Secret is made) and the database is ready;
 * 2. `seed`: a preview's database is copied from the demo's (a Sync hook);
 * 3. `migrate`: the migrations of the release, with its settings (a Sync hook);
 * 4. everything else, at Argo CD's default wave 0: the backend, whose new pods serve only on a migrated
 *    database, the frontend, the scheduled jobs, the Ingresses.
 *
 * `kubectl apply` ignores all of this; there the backend's init container waits for the migrations.
 */
export const SYNC_WAVE = 'argocd.argoproj.io/sync-wave';

export const WAVES = { prerequisites: -3, seed: -2, migrate: -1 } as const;

/**
 * The kinds a Job of the sync needs before it runs (with the whole database). The Namespace is among them:
 * a wave goes before any kind, and within a wave Argo CD applies the Namespace first.
 */
export const PREREQUISITE_KINDS: readonly string[] = ['Namespace', 'ServiceAccount', 'NetworkPolicy', 'ConfigMap', 'Password', 'ExternalSecret', 'Secret'];

/** A Job run by each sync in its wave, replaced (not kept) by the next sync's. */
export function syncHook(wave: number): Record<string, string> {
  return {
    'argocd.argoproj.io/hook': 'Sync',
    'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
    [SYNC_WAVE]: String(wave),
  };
}

/** What neither a prune nor the deletion of the Application may delete: the data, and where it lives. */
export const KEEP: Readonly<Record<string, string>> = { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' };
