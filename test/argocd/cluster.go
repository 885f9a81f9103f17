package main

import (
	"fmt"
	"strings"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/argoproj/gitops-engine/pkg/cache"
	"github.com/argoproj/gitops-engine/pkg/utils/kube"
	"github.com/argoproj/gitops-engine/pkg/utils/tracing"
)

// trackingAnnotation marks what an Application manages: Argo CD 3's default tracking method writes
// `<application>:<group>/<kind>:<namespace>/<name>` there (argo-cd util/argo/resource_tracking.go).
const trackingAnnotation = "argocd.argoproj.io/tracking-id"

func trackingID(app, namespace string, obj *unstructured.Unstructured) string {
	ns := obj.GetNamespace()
	if ns == "" {
		ns = namespace
	}
	return fmt.Sprintf("%s:%s/%s:%s/%s", app, obj.GroupVersionKind().Group, obj.GetKind(), ns, obj.GetName())
}

// trackedBy is the Application whose tracking id the object carries for itself (not one copied from another
// object), or "".
func trackedBy(obj *unstructured.Unstructured) string {
	app, rest, ok := strings.Cut(obj.GetAnnotations()[trackingAnnotation], ":")
	if !ok {
		return ""
	}
	groupKind, namespaceName, _ := strings.Cut(rest, ":")
	group, kind, _ := strings.Cut(groupKind, "/")
	namespace, name, _ := strings.Cut(namespaceName, "/")
	gvk := obj.GroupVersionKind()
	if group != gvk.Group || kind != gvk.Kind || name != obj.GetName() || (obj.GetNamespace() != "" && obj.GetNamespace() != namespace) {
		return ""
	}
	return app
}

// cluster is one cluster as Argo CD's application controller sees it: a client, and a cache of every object
// of every kind, kept current by watches, that records which Application tracks each.
type cluster struct {
	config  *rest.Config
	kubectl kube.Kubectl
	cache   cache.ClusterCache
}

func newCluster(kubeconfig string, log logr.Logger) (*cluster, error) {
	config, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, &badInput{fmt.Sprintf("%s: %v", kubeconfig, err)}
	}
	config.QPS, config.Burst = 200, 400
	kubectl := &kube.KubectlCmd{Log: log, Tracer: tracing.NopTracer{}}
	clusterCache := cache.NewClusterCache(config,
		cache.SetSettings(cache.Settings{ResourceHealthOverride: argoHealth{}, ResourcesFilter: argoExclusions{}}),
		cache.SetKubectl(kubectl),
		cache.SetLogr(log),
		cache.SetPopulateResourceInfoHandler(func(un *unstructured.Unstructured, _ bool) (any, bool) {
			app := trackedBy(un)
			return app, app != ""
		}),
	)
	if err := clusterCache.EnsureSynced(); err != nil {
		return nil, fmt.Errorf("reading the cluster: %w", err)
	}
	return &cluster{config: config, kubectl: kubectl, cache: clusterCache}, nil
}

func (c *cluster) close() { c.cache.Invalidate() }

// argoExclusions are the kinds Argo CD never watches, whatever its settings: high-churn metadata that no
// Application manages (argo-cd util/settings/resources_filter.go, coreExcludedResources).
type argoExclusions struct{}

func (argoExclusions) IsExcludedResource(group, kind, _ string) bool {
	switch {
	case group == "events.k8s.io" || group == "metrics.k8s.io":
		return true
	case group == "" && kind == "Event", group == "coordination.k8s.io" && kind == "Lease":
		return true
	}
	return false
}

// managedBy is the cache's predicate for an Application's objects.
func managedBy(app string) func(r *cache.Resource) bool {
	return func(r *cache.Resource) bool { name, _ := r.Info.(string); return name == app }
}
