// Command argocd syncs Argo CD Applications' manifests into a cluster with Argo CD's own sync engine
// (github.com/argoproj/gitops-engine at the version Argo CD v3.2.12 pins), driven the way Argo CD's
// application controller drives it: every round reads the live state afresh from its cluster cache,
// reconciles it with the manifests, and continues the operation from the state the previous round left,
// until the operation completes. It prints each operation's result as JSON.
//
//	argocd <kubeconfig> <application.yaml> <manifests.yaml> [--name NAME] [--timeout DURATION] [--verbose]
//	argocd serve <kubeconfig> [--verbose]
//
// The Application file is one of dist/argocd/: an Application, or an ApplicationSet whose template is
// used under --name. Its automated prune and its sync options apply. `serve` keeps one cluster cache, as the
// controller does, and syncs side by side the requests it reads from stdin, one JSON object a line
// ({"id", "application", "manifests", "name", "timeoutSeconds"}), answering each with a line
// ({"id", "result"} or {"id", "error"}); it ends when stdin does. Exit codes: 0 the sync succeeded (serve:
// stdin ended), 1 it failed, errored or timed out (the JSON says which), 2 bad arguments or input (one line
// on stderr).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	gosync "sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/textlogger"

	"github.com/argoproj/gitops-engine/pkg/sync/common"
)

const usage = `usage: argocd <kubeconfig> <application.yaml> <manifests.yaml> [--name NAME] [--timeout DURATION] [--verbose]
       argocd serve <kubeconfig> [--verbose]`

// Exit codes.
const (
	exitSynced  = 0
	exitFailed  = 1
	exitBadArgs = 2
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	flags := flag.NewFlagSet("argocd", flag.ContinueOnError)
	flags.SetOutput(os.Stderr)
	flags.Usage = func() { fmt.Fprintln(os.Stderr, usage) }
	name := flags.String("name", "", "the Application's name (required for an ApplicationSet)")
	timeout := flags.Duration("timeout", 2*time.Minute, "give up (and terminate the operation) after this long")
	verbose := flags.Bool("verbose", false, "log the engine's decisions on stderr")
	var positional []string
	// Flags may come before, between or after the paths.
	for len(args) > 0 {
		if err := flags.Parse(args); err != nil {
			return exitBadArgs
		}
		args = flags.Args()
		if len(args) > 0 {
			positional = append(positional, args[0])
			args = args[1:]
		}
	}
	log := logr.Discard()
	if *verbose {
		log = textlogger.NewLogger(textlogger.NewConfig(textlogger.Verbosity(1)))
	} else {
		klog.SetLogger(logr.Discard())
	}

	switch {
	case len(positional) == 2 && positional[0] == "serve":
		return serve(positional[1], log)
	case len(positional) == 3:
		return syncOnce(positional[0], positional[1], positional[2], *name, *timeout, log)
	default:
		fmt.Fprintln(os.Stderr, usage)
		return exitBadArgs
	}
}

// request is what a sync needs: the Application (file and name) and its manifests.
type request struct {
	ID             int     `json:"id"`
	Application    string  `json:"application"`
	Manifests      string  `json:"manifests"`
	Name           string  `json:"name,omitempty"`
	TimeoutSeconds float64 `json:"timeoutSeconds,omitempty"`
}

func (r request) sync(c *cluster, timeout time.Duration, log logr.Logger) (syncResult, error) {
	app, err := readApplication(r.Application, r.Name)
	if err != nil {
		return syncResult{}, &badInput{fmt.Sprintf("%s: %v", r.Application, err)}
	}
	manifests, err := readManifests(r.Manifests)
	if err != nil {
		return syncResult{}, &badInput{fmt.Sprintf("%s: %v", r.Manifests, err)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	result, err := syncApplication(ctx, c, app, manifests, log)
	var bad *badInput
	if err != nil && !errors.As(err, &bad) {
		result.Phase, result.Message, err = common.OperationError, err.Error(), nil
	}
	return result, err
}

func syncOnce(kubeconfig, appFile, manifestFile, name string, timeout time.Duration, log logr.Logger) int {
	c, err := newCluster(kubeconfig, log)
	if err != nil {
		fmt.Fprintf(os.Stderr, "argocd: %v\n", err)
		return exitBadArgs
	}
	defer c.close()
	result, err := request{Application: appFile, Manifests: manifestFile, Name: name}.sync(c, timeout, log)
	if err != nil {
		fmt.Fprintf(os.Stderr, "argocd: %v\n", err)
		return exitBadArgs
	}
	out := json.NewEncoder(os.Stdout)
	out.SetIndent("", "  ")
	if err := out.Encode(result); err != nil {
		fmt.Fprintf(os.Stderr, "argocd: %v\n", err)
		return exitFailed
	}
	if result.Phase != common.OperationSucceeded {
		return exitFailed
	}
	return exitSynced
}

func serve(kubeconfig string, log logr.Logger) int {
	c, err := newCluster(kubeconfig, log)
	if err != nil {
		fmt.Fprintf(os.Stderr, "argocd: %v\n", err)
		return exitBadArgs
	}
	defer c.close()
	var (
		written gosync.Mutex
		running gosync.WaitGroup
		out     = json.NewEncoder(os.Stdout)
	)
	answer := func(line any) {
		written.Lock()
		defer written.Unlock()
		_ = out.Encode(line)
	}
	lines := bufio.NewScanner(os.Stdin)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	for lines.Scan() {
		var r request
		if err := json.Unmarshal(lines.Bytes(), &r); err != nil {
			answer(map[string]any{"id": r.ID, "error": fmt.Sprintf("a request is one JSON object a line: %v", err)})
			continue
		}
		timeout := 2 * time.Minute
		if r.TimeoutSeconds > 0 {
			timeout = time.Duration(r.TimeoutSeconds * float64(time.Second))
		}
		running.Add(1)
		go func() {
			defer running.Done()
			result, err := r.sync(c, timeout, log)
			if err != nil {
				answer(map[string]any{"id": r.ID, "error": err.Error()})
				return
			}
			answer(map[string]any{"id": r.ID, "result": result})
		}()
	}
	running.Wait()
	return exitSynced
}
