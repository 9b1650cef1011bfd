// Package cluster reads a live namespace into an inventory with client-go, and reaches into its
// pods the way kubectl does: port-forward tunnels for the wire probes, exec for the files.
//
// Permissions it needs in the namespace: get on the namespace; list on pods, services, secrets,
// configmaps, persistentvolumeclaims, statefulsets, deployments, daemonsets, cronjobs, jobs;
// create on pods/portforward (wire checks) and pods/exec (key file check, optional: without it
// that check is reported unknown).
package cluster

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/client-go/transport/spdy"

	"github.com/datastores/datastores/tools/datastores/discover"
	"github.com/datastores/datastores/tools/datastores/inventory"
)

// Cluster is a connection to the API server.
type Cluster struct {
	Config *rest.Config
	Client kubernetes.Interface
	// Namespace is the kubeconfig context's namespace (used when none is given).
	Namespace string
}

// Connect loads a kubeconfig (empty: $KUBECONFIG or ~/.kube/config, or the in-cluster
// configuration) and an optional context.
func Connect(kubeconfig, context string) (*Cluster, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfig != "" {
		rules.ExplicitPath = kubeconfig
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: context})
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, err
	}
	cfg.Timeout = 30 * time.Second
	ns, _, err := cc.Namespace()
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &Cluster{Config: cfg, Client: client, Namespace: ns}, nil
}

// Load reads every object of the namespace the audit looks at, with its status.
func (c *Cluster) Load(ctx context.Context, ns string) (*inventory.Inventory, error) {
	inv := &inventory.Inventory{Live: true, DefaultNamespace: ns}
	core, apps, batch := c.Client.CoreV1(), c.Client.AppsV1(), c.Client.BatchV1()
	opts := metav1.ListOptions{}
	n, err := core.Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("namespace %s: %w", ns, err)
	}
	inv.Add(n)
	lists := []struct {
		what string
		list func() (runtime.Object, error)
	}{
		{"statefulsets", func() (runtime.Object, error) { return apps.StatefulSets(ns).List(ctx, opts) }},
		{"deployments", func() (runtime.Object, error) { return apps.Deployments(ns).List(ctx, opts) }},
		{"daemonsets", func() (runtime.Object, error) { return apps.DaemonSets(ns).List(ctx, opts) }},
		{"pods", func() (runtime.Object, error) { return core.Pods(ns).List(ctx, opts) }},
		{"services", func() (runtime.Object, error) { return core.Services(ns).List(ctx, opts) }},
		{"secrets", func() (runtime.Object, error) { return core.Secrets(ns).List(ctx, opts) }},
		{"configmaps", func() (runtime.Object, error) { return core.ConfigMaps(ns).List(ctx, opts) }},
		{"persistentvolumeclaims", func() (runtime.Object, error) { return core.PersistentVolumeClaims(ns).List(ctx, opts) }},
		{"cronjobs", func() (runtime.Object, error) { return batch.CronJobs(ns).List(ctx, opts) }},
		{"jobs", func() (runtime.Object, error) { return batch.Jobs(ns).List(ctx, opts) }},
	}
	for _, l := range lists {
		list, err := l.list()
		if err != nil {
			return nil, fmt.Errorf("listing %s in %s: %w", l.what, ns, err)
		}
		items, err := meta.ExtractList(list)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			inv.Add(it)
		}
	}
	return inv, nil
}

// Pod picks the server's pod to reach: a running one.
func Pod(inv *inventory.Inventory, s *discover.Server) (*corev1.Pod, error) {
	for _, p := range inv.PodsFor(s.Workload) {
		if p.Status.Phase == corev1.PodRunning {
			return &p, nil
		}
	}
	return nil, fmt.Errorf("%s has no running pod", s.Workload.ID())
}

// Forward opens a port-forward tunnel to a pod's port, as `kubectl port-forward` does (SPDY
// over WebSocket, falling back to SPDY), on a free local port; stop closes it.
func (c *Cluster) Forward(ctx context.Context, ns, pod string, port int) (addr string, stop func(), err error) {
	req := c.Client.CoreV1().RESTClient().Post().Resource("pods").Namespace(ns).Name(pod).SubResource("portforward")
	transport, upgrader, err := spdy.RoundTripperFor(c.Config)
	if err != nil {
		return "", nil, err
	}
	dialer := spdy.NewDialer(upgrader, &http.Client{Transport: transport}, http.MethodPost, req.URL())
	if ws, err := portforward.NewSPDYOverWebsocketDialer(req.URL(), c.Config); err == nil {
		dialer = portforward.NewFallbackDialer(ws, dialer, func(err error) bool {
			return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
		})
	}
	stopCh, ready := make(chan struct{}), make(chan struct{})
	fw, err := portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, []string{"0:" + strconv.Itoa(port)}, stopCh, ready, io.Discard, io.Discard)
	if err != nil {
		return "", nil, err
	}
	done := make(chan error, 1)
	go func() { done <- fw.ForwardPorts() }()
	select {
	case <-ready:
	case err := <-done:
		return "", nil, fmt.Errorf("port-forward to %s/%s:%d: %w", ns, pod, port, err)
	case <-ctx.Done():
		close(stopCh)
		return "", nil, ctx.Err()
	}
	ports, err := fw.GetPorts()
	if err != nil || len(ports) == 0 {
		close(stopCh)
		return "", nil, fmt.Errorf("port-forward to %s/%s:%d: no local port: %v", ns, pod, port, err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(int(ports[0].Local))), func() { close(stopCh) }, nil
}

// Exec runs argv in a container of a pod, as `kubectl exec` does (WebSocket, falling back to
// SPDY), and returns its output; stderr is part of the error.
func (c *Cluster) Exec(ctx context.Context, ns, pod, container string, argv []string) (string, error) {
	req := c.Client.CoreV1().RESTClient().Post().Resource("pods").Namespace(ns).Name(pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Container: container, Command: argv, Stdout: true, Stderr: true}, scheme.ParameterCodec)
	spdyExec, err := remotecommand.NewSPDYExecutor(c.Config, http.MethodPost, req.URL())
	if err != nil {
		return "", err
	}
	exec := spdyExec
	if ws, err := remotecommand.NewWebSocketExecutor(c.Config, http.MethodGet, req.URL().String()); err == nil {
		if fb, err := remotecommand.NewFallbackExecutor(ws, spdyExec, func(err error) bool {
			return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
		}); err == nil {
			exec = fb
		}
	}
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := exec.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: &stdout, Stderr: &stderr}); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return stdout.String(), fmt.Errorf("%w: %s", err, msg)
		}
		return stdout.String(), err
	}
	return stdout.String(), nil
}
