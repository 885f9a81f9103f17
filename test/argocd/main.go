// Command argocd syncs one Argo CD Application's manifests into a cluster with Argo CD's own sync engine
// (github.com/argoproj/gitops-engine at the version Argo CD v3.2.12 pins), driven the way Argo CD's
// application controller drives it: every round reads the live state afresh, reconciles it with the
// manifests, and continues the operation from the state the previous round left, until the operation
// completes. It prints the operation's result as JSON.
//
//	argocd <kubeconfig> <application.yaml> <manifests.yaml> [--name NAME] [--timeout DURATION] [--verbose]
//
// The Application file is one of dist/argocd/: an Application, or an ApplicationSet whose template is
// used under --name. Its automated prune and its sync options apply. Exit codes: 0 the sync succeeded,
// 1 it failed, errored or timed out (the JSON says which), 2 bad arguments or input (one line on stderr).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/textlogger"

	"github.com/argoproj/gitops-engine/pkg/sync/common"
)

const usage = "usage: argocd <kubeconfig> <application.yaml> <manifests.yaml> [--name NAME] [--timeout DURATION] [--verbose]"

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
	// Flags may come before, between or after the three paths.
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
	if len(positional) != 3 {
		fmt.Fprintln(os.Stderr, usage)
		return exitBadArgs
	}
	kubeconfig, appFile, manifestFile := positional[0], positional[1], positional[2]

	app, err := readApplication(appFile, *name)
	if err != nil {
		fmt.Fprintf(os.Stderr, "argocd: %s: %v\n", appFile, err)
		return exitBadArgs
	}
	manifests, err := readManifests(manifestFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "argocd: %s: %v\n", manifestFile, err)
		return exitBadArgs
	}

	log := logr.Discard()
	if *verbose {
		log = textlogger.NewLogger(textlogger.NewConfig(textlogger.Verbosity(1)))
	} else {
		klog.SetLogger(logr.Discard())
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	result, err := syncApplication(ctx, kubeconfig, app, manifests, log)
	if err != nil {
		var bad *badInput
		if errors.As(err, &bad) {
			fmt.Fprintf(os.Stderr, "argocd: %v\n", err)
			return exitBadArgs
		}
		result.Phase = common.OperationError
		result.Message = err.Error()
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
