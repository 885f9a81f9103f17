package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// badInput is an argument or file the command cannot use: exit 2.
type badInput struct{ msg string }

func (e *badInput) Error() string { return e.msg }

// application is what a sync reads from an Argo CD Application: where, and with which sync policy.
type application struct {
	Name        string
	Namespace   string // the destination namespace
	Prune       bool   // spec.syncPolicy.automated.prune
	SyncOptions []string
}

type applicationSpec struct {
	Destination struct {
		Namespace string `json:"namespace"`
	} `json:"destination"`
	SyncPolicy *struct {
		Automated *struct {
			Prune bool `json:"prune"`
		} `json:"automated"`
		SyncOptions []string `json:"syncOptions"`
	} `json:"syncPolicy"`
}

type applicationFile struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		applicationSpec
		// An ApplicationSet's Application template.
		Template *struct {
			Spec applicationSpec `json:"spec"`
		} `json:"template"`
	} `json:"spec"`
}

// supportedOptions are the Application sync options this command passes to the engine as Argo CD's
// controller does (argo-cd controller/sync.go); any other option is refused rather than ignored.
var supportedOptions = map[string]bool{
	"CreateNamespace=false": true, "Validate=false": true, "Validate=true": true,
	"PruneLast=true": true, "ServerSideApply=true": true, "ServerSideApply=false": true,
	"Replace=true": true, "SkipDryRunOnMissingResource=true": true,
	"PrunePropagationPolicy=foreground": true, "PrunePropagationPolicy=background": true, "PrunePropagationPolicy=orphan": true,
}

func readApplication(path, name string) (application, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return application{}, err
	}
	var file applicationFile
	// Only the fields above matter; the rest of the object is Argo CD's.
	if err := yaml.Unmarshal(data, &file); err != nil {
		return application{}, err
	}
	spec := file.Spec.applicationSpec
	app := application{Name: file.Metadata.Name}
	switch file.Kind {
	case "Application":
	case "ApplicationSet":
		if file.Spec.Template == nil {
			return application{}, errors.New("an ApplicationSet without spec.template")
		}
		spec = file.Spec.Template.Spec
		if name == "" {
			return application{}, errors.New("an ApplicationSet: give the generated Application's --name")
		}
	default:
		return application{}, fmt.Errorf("kind %q: an Application or an ApplicationSet is expected", file.Kind)
	}
	if name != "" {
		app.Name = name
	}
	app.Namespace = spec.Destination.Namespace
	if app.Name == "" || app.Namespace == "" {
		return application{}, errors.New("no name or destination namespace")
	}
	if spec.SyncPolicy != nil {
		app.Prune = spec.SyncPolicy.Automated != nil && spec.SyncPolicy.Automated.Prune
		for _, option := range spec.SyncPolicy.SyncOptions {
			option = strings.TrimSpace(option)
			if !supportedOptions[option] {
				return application{}, fmt.Errorf("sync option %q is not supported here; supported: CreateNamespace=false, Validate, PruneLast, ServerSideApply, Replace, SkipDryRunOnMissingResource, PrunePropagationPolicy", option)
			}
			app.SyncOptions = append(app.SyncOptions, option)
		}
	}
	return app, nil
}

func (a application) has(option string) bool {
	for _, o := range a.SyncOptions {
		if o == option {
			return true
		}
	}
	return false
}

// readManifests reads a YAML stream of objects (an empty stream is an Application with no resources).
func readManifests(path string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	decoder := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objects []*unstructured.Unstructured
	for {
		var object map[string]any
		if err := decoder.Decode(&object); err != nil {
			if errors.Is(err, io.EOF) {
				return objects, nil
			}
			return nil, err
		}
		if len(object) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: object}
		if u.GetKind() == "" || u.GetAPIVersion() == "" || u.GetName() == "" {
			return nil, fmt.Errorf("object %d has no apiVersion, kind or name", len(objects)+1)
		}
		objects = append(objects, u)
	}
}
