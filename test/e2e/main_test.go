//go:build e2e

// Package e2e_test is the third test tier: terratest installs the chart into a Kubernetes
// cluster and proves TLS, authentication, persistence, upgrades and backups end to end, through
// port-forward tunnels and from inside the cluster, with nothing but the chart's own Secrets.
//
// The cluster: E2E_KUBECONFIG (and E2E_KUBE_CONTEXT) names one to use, where the suite creates
// nothing but namespaces; otherwise the suite creates a kind cluster (E2E_KIND, else kind on
// PATH; `make e2e` builds it into ./bin) and deletes it at the end unless E2E_KEEP=1. E2E_VALUES
// adds a values file to every install (image mirrors, pullPolicy: Never, a storage class), so the
// suite runs on air-gapped clusters too. Without a cluster it skips, saying what is missing;
// with E2E_REQUIRE=1 (CI) that is a failure instead. A cluster that E2E_KUBECONFIG names but
// that does not answer, or that cannot provision the claims (a StorageClass missing), fails the
// suite before it installs anything. E2E_RESTART_NODE is a shell command that
// stops and starts the given cluster's node (its containers), for the test that data survives
// it; on the suite's own kind cluster the suite restarts the node container itself.
package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/datastores/datastores/test/harness/chart"
)

var (
	kubeconfig  string
	kubeContext string
	skipReason  string
	// restartNode stops and starts every container of the cluster's node; nil when the suite
	// does not know how (then the test that needs it skips, saying so).
	restartNode func() error

	timingsMu sync.Mutex
	timings   []string
)

func TestMain(m *testing.M) {
	start := time.Now()
	cleanup, err := setUpCluster()
	if err == nil {
		// A cluster that cannot provision the claims is a mistake to fix, never a reason to skip.
		if err := checkStorage(); err != nil {
			log.Printf("the e2e suite cannot run on this cluster: %v", err)
			cleanup()
			os.Exit(1)
		}
	}
	if err != nil {
		skipReason = err.Error()
		var g given
		if os.Getenv("E2E_REQUIRE") == "1" || errors.As(err, &g) {
			log.Printf("no cluster to run on: %v", err)
			os.Exit(1)
		}
		log.Printf("skipping the e2e suite: %v", err)
	}
	code := m.Run()
	cleanup()
	timingsMu.Lock()
	for _, line := range timings {
		log.Print(line)
	}
	timingsMu.Unlock()
	log.Printf("e2e suite wall time: %s (target: 10m)", time.Since(start).Round(time.Second))
	os.Exit(code)
}

// given is a fault of the cluster the user named: it fails the suite instead of skipping it.
type given struct{ error }

// requireCluster skips a test when there is no cluster, naming what is missing.
func requireCluster(t *testing.T) {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
}

func recordTiming(format string, args ...any) {
	timingsMu.Lock()
	defer timingsMu.Unlock()
	timings = append(timings, fmt.Sprintf(format, args...))
}

// setUpCluster finds or creates the cluster, and returns what undoes it.
func setUpCluster() (func(), error) {
	noop := func() {}
	if _, err := exec.LookPath("helm"); err != nil {
		return noop, fmt.Errorf("helm is not on PATH: run `make e2e`, which builds it into ./bin")
	}
	// terratest runs kubectl for exec and apply.
	if _, err := exec.LookPath("kubectl"); err != nil {
		return noop, fmt.Errorf("kubectl is not on PATH: install it (terratest runs it for exec and apply)")
	}
	if kc := os.Getenv("E2E_KUBECONFIG"); kc != "" {
		kubeconfig, kubeContext = kc, os.Getenv("E2E_KUBE_CONTEXT")
		if err := reachable(); err != nil {
			return noop, given{fmt.Errorf("the cluster of E2E_KUBECONFIG=%s is not reachable: %w", kc, err)}
		}
		if cmd := os.Getenv("E2E_RESTART_NODE"); cmd != "" {
			restartNode = func() error { return run(exec.Command("/bin/sh", "-c", cmd)) }
		}
		return noop, nil
	}
	if _, err := exec.LookPath("docker"); err != nil {
		return noop, fmt.Errorf("no cluster: set E2E_KUBECONFIG to use one, or install Docker so the suite can create a kind cluster (docker is not on PATH)")
	}
	if out, err := exec.Command("docker", "info").CombinedOutput(); err != nil {
		return noop, fmt.Errorf("no cluster: set E2E_KUBECONFIG to use one, or start the Docker engine so the suite can create a kind cluster (docker info: %s)", lastLine(string(out)))
	}
	kind := os.Getenv("E2E_KIND")
	if kind == "" {
		var err error
		if kind, err = exec.LookPath("kind"); err != nil {
			return noop, fmt.Errorf("kind is not on PATH: run `make e2e`, which builds it into ./bin, or set E2E_KIND")
		}
	}
	name := "datastores-e2e"
	dir, err := os.MkdirTemp("", "datastores-e2e-")
	if err != nil {
		return noop, err
	}
	kubeconfig = filepath.Join(dir, "kubeconfig")
	cfg := filepath.Join(chart.RepoRoot(), "ci", "kind-config.yaml")
	start := time.Now()
	create := exec.Command(kind, "create", "cluster", "--name", name, "--config", cfg, "--kubeconfig", kubeconfig, "--wait", "180s")
	create.Stdout, create.Stderr = os.Stderr, os.Stderr
	if err := create.Run(); err != nil {
		return noop, fmt.Errorf("kind create cluster: %w", err)
	}
	recordTiming("kind cluster created in %s", time.Since(start).Round(time.Second))
	// kind's node is one container; restarting it restarts every container in the cluster.
	restartNode = func() error { return run(exec.Command("docker", "restart", name+"-control-plane")) }
	return func() {
		if os.Getenv("E2E_KEEP") == "1" {
			log.Printf("E2E_KEEP=1: kind cluster %q kept; kubeconfig %s", name, kubeconfig)
			return
		}
		_ = exec.Command(kind, "delete", "cluster", "--name", name, "--kubeconfig", kubeconfig).Run()
		os.RemoveAll(dir)
	}, nil
}

func reachable() error {
	client, err := clientset()
	if err != nil {
		return err
	}
	_, err = client.Discovery().ServerVersion()
	return err
}

func clientset() (*kubernetes.Clientset, error) {
	rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfig}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: kubeContext}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
	if err != nil {
		return nil, err
	}
	cfg.Timeout = 30 * time.Second
	return kubernetes.NewForConfig(cfg)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// run runs a command with its output on the test log's stderr.
func run(cmd *exec.Cmd) error {
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", strings.Join(cmd.Args, " "), err)
	}
	return nil
}

// checkStorage fails early, with the class to set, when the claims the suite's installs make
// cannot be provisioned: a StorageClass that E2E_VALUES names is missing, or the cluster has no
// default one for the claims that name none. Otherwise every install would wait 10 minutes.
func checkStorage() error {
	client, err := clientset()
	if err != nil {
		return err
	}
	list, err := client.StorageV1().StorageClasses().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing StorageClasses: %w", err)
	}
	exists, defaults := map[string]bool{}, []string{}
	var names []string
	for _, sc := range list.Items {
		exists[sc.Name] = true
		names = append(names, sc.Name)
		if sc.Annotations["storageclass.kubernetes.io/is-default-class"] == "true" {
			defaults = append(defaults, sc.Name)
		}
	}
	for _, base := range []string{"dev.yaml", "bakery-ia.yaml"} {
		opts := chart.Options{ValuesFiles: []string{filepath.Join(chart.RepoRoot(), "values", base)}, SetValues: map[string]string{"postgres.backup.enabled": "true"}}
		if extra := os.Getenv("E2E_VALUES"); extra != "" {
			opts.ValuesFiles = append(opts.ValuesFiles, extra)
		}
		rel, err := chart.RenderE(opts)
		if err != nil {
			return fmt.Errorf("values/%s with E2E_VALUES does not render: %w", base, err)
		}
		for _, class := range rel.StorageClasses() {
			switch {
			case class == nil && len(defaults) == 0:
				return fmt.Errorf("the cluster has no default StorageClass and values/%s's claims name none: mark one as default, or set postgres.persistence.storageClass, redis.persistence.storageClass and postgres.backup.storage.storageClass in E2E_VALUES to one of %v", base, names)
			case class != nil && *class != "" && !exists[*class]:
				return fmt.Errorf("StorageClass %q (from E2E_VALUES) does not exist on the cluster; it has %v", *class, names)
			}
		}
	}
	return nil
}
