package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/argoproj/gitops-engine/pkg/cache"
	"github.com/argoproj/gitops-engine/pkg/sync"
	"github.com/argoproj/gitops-engine/pkg/sync/common"
	"github.com/argoproj/gitops-engine/pkg/sync/syncwaves"
	"github.com/argoproj/gitops-engine/pkg/utils/kube"
)

// waveDelay is what Argo CD's controller waits after each wave but the last (ARGOCD_SYNC_WAVE_DELAY,
// 2 s by default, argo-cd controller/sync.go), so that a controller can react to the wave first.
var waveDelay = 2 * time.Second

// refresh is how long a round waits for a change of a managed object before it looks again anyway.
const refresh = time.Second

type resourceResult struct {
	Group     string `json:"group"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Synced, SyncFailed, Pruned or PruneSkipped.
	Status  common.ResultCode `json:"status"`
	Message string            `json:"message"`
	// PreSync, Sync, PostSync, SyncFail (empty for a resource that is not a hook).
	HookType  common.HookType       `json:"hookType,omitempty"`
	HookPhase common.OperationPhase `json:"hookPhase,omitempty"`
	SyncPhase common.SyncPhase      `json:"syncPhase"`
	Wave      int                   `json:"wave"`
	// The round of the operation in which the engine first acted on it (applied, created or pruned).
	Round int `json:"round"`
}

type syncResult struct {
	Application string                `json:"application"`
	Namespace   string                `json:"namespace"`
	Phase       common.OperationPhase `json:"phase"`
	Message     string                `json:"message"`
	Rounds      int                   `json:"rounds"`
	Seconds     float64               `json:"seconds"`
	TimedOut    bool                  `json:"timedOut,omitempty"`
	Resources   []resourceResult      `json:"resources"`
}

func syncApplication(ctx context.Context, c *cluster, app application, manifests []*unstructured.Unstructured, log logr.Logger) (syncResult, error) {
	started := time.Now()
	result := syncResult{Application: app.Name, Namespace: app.Namespace, Resources: []resourceResult{}}
	isManaged := managedBy(app.Name)
	// A change of one of its objects (a Job's status, a Deployment's) starts the next round early.
	changed := make(chan struct{}, 1)
	unsubscribe := c.cache.OnResourceUpdated(func(newRes, oldRes *cache.Resource, _ map[kube.ResourceKey]*cache.Resource) {
		if (newRes == nil || !isManaged(newRes)) && (oldRes == nil || !isManaged(oldRes)) {
			return
		}
		select {
		case changed <- struct{}{}:
		default:
		}
	})
	defer unsubscribe()

	digest := sha256.New()
	for _, m := range manifests {
		fmt.Fprintf(digest, "%v\n", m.Object)
	}
	revision := hex.EncodeToString(digest.Sum(nil))

	waves := map[kube.ResourceKey]int{}
	targets := func() ([]*unstructured.Unstructured, error) {
		out := make([]*unstructured.Unstructured, 0, len(manifests))
		for _, m := range manifests {
			obj := m.DeepCopy()
			namespaced, err := c.cache.IsNamespaced(obj.GroupVersionKind().GroupKind())
			if err != nil {
				return nil, &badInput{fmt.Sprintf("%s %s: the cluster does not serve this kind", obj.GetKind(), obj.GetName())}
			}
			if namespaced && obj.GetNamespace() == "" {
				obj.SetNamespace(app.Namespace)
			}
			annotations := obj.GetAnnotations()
			if annotations == nil {
				annotations = map[string]string{}
			}
			annotations[trackingAnnotation] = trackingID(app.Name, app.Namespace, obj)
			obj.SetAnnotations(annotations)
			waves[kube.GetResourceKey(obj)] = syncwaves.Wave(obj)
			out = append(out, obj)
		}
		return out, nil
	}

	// The operation's state between rounds, as Argo CD keeps it in the Application's status.
	phase, message := common.OperationRunning, ""
	var resources []common.ResourceSyncResult
	startedAt := metav1.Now()
	firstRound := map[string]int{}
	terminating := false

	for round := 1; ; round++ {
		result.Rounds = round
		objs, err := targets()
		if err != nil {
			return result, err
		}
		live, err := c.cache.GetManagedLiveObjs(objs, isManaged)
		if err != nil {
			return result, fmt.Errorf("reading the live state: %w", err)
		}
		reconciled := sync.Reconcile(objs, live, app.Namespace, c.cache)
		initial := make([]common.ResourceSyncResult, len(resources))
		for i, r := range resources {
			r.Order = i + 1
			initial[i] = r
		}
		syncCtx, cleanup, err := sync.NewSyncContext(revision, reconciled, c.config, c.config, c.kubectl, app.Namespace, c.cache.GetOpenAPISchema(),
			sync.WithLogr(log),
			sync.WithHealthOverride(argoHealth{}),
			sync.WithOperationSettings(false, app.Prune, false, false),
			sync.WithInitialState(phase, message, initial, startedAt),
			sync.WithResourcesFilter(func(_ kube.ResourceKey, target, live *unstructured.Unstructured) bool {
				return target != nil || (live != nil && trackedBy(live) == app.Name)
			}),
			sync.WithManifestValidation(!app.has("Validate=false")),
			sync.WithSyncWaveHook(func(_ common.SyncPhase, _ int, finalWave bool) error {
				if !finalWave {
					time.Sleep(waveDelay)
				}
				return nil
			}),
			sync.WithPruneLast(app.has("PruneLast=true")),
			sync.WithPrunePropagationPolicy(propagation(app)),
			sync.WithReplace(app.has("Replace=true")),
			sync.WithServerSideApply(app.has("ServerSideApply=true")),
			sync.WithServerSideApplyManager("argocd-controller"),
			sync.WithSkipDryRunOnMissingResource(app.has("SkipDryRunOnMissingResource=true")),
		)
		if err != nil {
			return result, fmt.Errorf("starting the sync: %w", err)
		}
		if terminating {
			syncCtx.Terminate()
		} else {
			syncCtx.Sync()
		}
		phase, message, resources = syncCtx.GetState()
		cleanup()
		log.Info("round", "round", round, "phase", phase, "message", message, "seconds", time.Since(started).Seconds())
		for _, r := range resources {
			key := fmt.Sprintf("%s/%s", r.ResourceKey.String(), r.SyncPhase)
			if _, seen := firstRound[key]; !seen {
				firstRound[key] = round
			}
		}
		if phase.Completed() {
			break
		}
		select {
		case <-ctx.Done():
			// Argo CD terminates a running operation in a round of its own.
			terminating, result.TimedOut = true, true
		case <-changed:
			// Let a burst of changes settle into one round.
			time.Sleep(50 * time.Millisecond)
		case <-time.After(refresh):
		}
	}

	result.Phase, result.Message = phase, message
	for _, r := range resources {
		result.Resources = append(result.Resources, resourceResult{
			Group: r.ResourceKey.Group, Kind: r.ResourceKey.Kind, Namespace: r.ResourceKey.Namespace, Name: r.ResourceKey.Name,
			Status: r.Status, Message: r.Message, HookType: r.HookType, HookPhase: r.HookPhase, SyncPhase: r.SyncPhase,
			Wave:  waves[r.ResourceKey],
			Round: firstRound[fmt.Sprintf("%s/%s", r.ResourceKey.String(), r.SyncPhase)],
		})
	}
	sort.SliceStable(result.Resources, func(i, j int) bool { return result.Resources[i].Round < result.Resources[j].Round })
	result.Seconds = time.Since(started).Seconds()
	return result, nil
}

func propagation(app application) *metav1.DeletionPropagation {
	// Argo CD prunes in the foreground unless told otherwise.
	policy := metav1.DeletePropagationForeground
	switch {
	case app.has("PrunePropagationPolicy=background"):
		policy = metav1.DeletePropagationBackground
	case app.has("PrunePropagationPolicy=orphan"):
		policy = metav1.DeletePropagationOrphan
	}
	return &policy
}

func init() {
	if v := os.Getenv("ARGOCD_SYNC_WAVE_DELAY"); v != "" {
		if d, err := time.ParseDuration(v + "s"); err == nil {
			waveDelay = d
		}
	}
}
