package main

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/argoproj/gitops-engine/pkg/health"
)

// argoHealth adds to the engine's built-in checks the one Argo CD ships for the custom resource the
// manifests hold: an ExternalSecret is healthy once its Ready condition is True, degraded when it is
// False, progressing until then (argo-cd resource_customizations/external-secrets.io/ExternalSecret).
// Without it the engine would count an ExternalSecret healthy at once, before its Secret exists.
type argoHealth struct{}

func (argoHealth) GetResourceHealth(obj *unstructured.Unstructured) (*health.HealthStatus, error) {
	if obj.GroupVersionKind().Group != "external-secrets.io" || obj.GetKind() != "ExternalSecret" {
		return nil, nil
	}
	conditions, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	for _, c := range conditions {
		condition, _ := c.(map[string]any)
		if condition["type"] != "Ready" {
			continue
		}
		message, _ := condition["message"].(string)
		switch condition["status"] {
		case "True":
			return &health.HealthStatus{Status: health.HealthStatusHealthy, Message: message}, nil
		case "False":
			return &health.HealthStatus{Status: health.HealthStatusDegraded, Message: message}, nil
		}
	}
	return &health.HealthStatus{Status: health.HealthStatusProgressing, Message: "Waiting for ExternalSecret"}, nil
}
