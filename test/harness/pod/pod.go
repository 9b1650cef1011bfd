// Package pod runs a rendered pod's containers on the host, the way the real-server tier needs
// them: the chart rendered, the pod's file system laid out (podfs), and each container's command
// run as an unprivileged user with its environment and paths mapped.
package pod

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/test/harness/podfs"
	"github.com/datastores/datastores/test/harness/proc"
)

// Pod is one workload's pod laid out under a temporary directory.
type Pod struct {
	Release *chart.Release
	Layout  *podfs.Layout
	User    proc.User
	Spec    corev1.PodSpec
	// Root is the temporary directory; podfs puts the pod's mounts below it.
	Root     string
	secrets  map[string]*corev1.Secret
	path     string
	extraEnv []string
	busybox  string // the applet directory, when the pod runs BusyBox's userland
}

// Options say which pod to lay out.
type Options struct {
	// Chart is rendered, unless Release is an earlier render to reuse (a server and its backup
	// job must come from the same render: same passwords, same certificates).
	Chart   chart.Options
	Release *chart.Release
	// Workload names the pod's owner as chart.PodTemplate does: "StatefulSet/test-postgres-app",
	// "CronJob/test-postgres-backup".
	Workload string
	// User is who runs the containers (see proc.Unprivileged).
	User proc.User
	// Secrets and ConfigMaps add or replace objects before the layout (a TLS Secret with a key
	// missing, a restore request), as if someone had created them in the namespace.
	Secrets    map[string]map[string][]byte
	ConfigMaps map[string]map[string]string
	// Path is the PATH the containers get: where their image would have its binaries.
	Path string
	// Env is added to every container's environment: what the host needs to stand in for the
	// cluster (e.g. PGHOSTADDR, so a Service's DNS name reaches a server on 127.0.0.1).
	Env []string
	// Busybox runs the containers with BusyBox's sh and applets, as in the Alpine images.
	Busybox bool
}

// New renders the chart (or takes Release) and lays out the workload's pod under a new temporary
// directory.
func New(opts Options) (*Pod, error) {
	rel := opts.Release
	if rel == nil {
		var err error
		if rel, err = chart.RenderE(opts.Chart); err != nil {
			return nil, err
		}
	}
	var spec *corev1.PodSpec
	var owners []string
	for _, t := range rel.PodTemplates() {
		owners = append(owners, t.Owner)
		if t.Owner == opts.Workload {
			spec = &t.Spec
		}
	}
	if spec == nil {
		return nil, fmt.Errorf("no pod of %s in the render; have %v", opts.Workload, owners)
	}
	src := podfs.Sources{Secrets: map[string]*corev1.Secret{}, ConfigMaps: map[string]*corev1.ConfigMap{}}
	for _, s := range chart.All[*corev1.Secret](rel) {
		src.Secrets[s.Name] = s
	}
	for _, cm := range chart.All[*corev1.ConfigMap](rel) {
		src.ConfigMaps[cm.Name] = cm
	}
	for name, data := range opts.Secrets {
		src.Secrets[name] = &corev1.Secret{Data: data}
	}
	for name, data := range opts.ConfigMaps {
		src.ConfigMaps[name] = &corev1.ConfigMap{Data: data}
	}
	root, err := os.MkdirTemp("", strings.ReplaceAll(strings.ToLower(opts.Workload), "/", "-")+"-")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(root, 0o755); err != nil {
		return nil, err
	}
	layout, err := podfs.New(root, *spec, src, podfs.Owner{UID: opts.User.UID, GID: opts.User.GID})
	if err != nil {
		os.RemoveAll(root)
		return nil, err
	}
	p := &Pod{Release: rel, Layout: layout, User: opts.User, Spec: *spec, Root: root, secrets: src.Secrets, path: opts.Path, extraEnv: opts.Env}
	if opts.Busybox {
		if p.busybox, err = Busybox(); err != nil {
			os.RemoveAll(root)
			return nil, err
		}
		p.path = p.busybox + ":" + p.path
	}
	return p, nil
}

// Remove deletes the pod's files.
func (p *Pod) Remove() { os.RemoveAll(p.Root) }

// Container returns a container or init container by name.
func (p *Pod) Container(name string) (corev1.Container, error) {
	for _, c := range append(append([]corev1.Container{}, p.Spec.InitContainers...), p.Spec.Containers...) {
		if c.Name == name {
			return c, nil
		}
	}
	return corev1.Container{}, fmt.Errorf("the pod has no container %q", name)
}

// Secret returns a Secret the pod's volumes were filled from.
func (p *Pod) Secret(name string) (*corev1.Secret, bool) {
	s, ok := p.secrets[name]
	return s, ok
}

// Vars is a container's literal environment with paths mapped to the host.
func (p *Pod) Vars(c corev1.Container) map[string]string {
	out := map[string]string{}
	for _, e := range c.Env {
		out[e.Name] = p.Layout.Rewrite(e.Value)
	}
	return out
}

// Env is a container's environment on the host: its literal values with paths mapped, values
// from the pod's Secrets (secretKeyRef) as the kubelet fills them in, plus what the image would
// provide.
func (p *Pod) Env(c corev1.Container) []string {
	env := append(p.Layout.Env(c), "PATH="+p.path, "LANG=C.UTF-8", "HOME="+p.Root)
	for _, e := range c.Env {
		if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			continue
		}
		ref := e.ValueFrom.SecretKeyRef
		if s, ok := p.secrets[ref.Name]; ok {
			env = append(env, e.Name+"="+string(s.Data[ref.Key]))
		}
	}
	return append(env, p.extraEnv...)
}

// Argv is the container's command and args with paths mapped, and extra arguments appended.
func (p *Pod) Argv(c corev1.Container, extra ...string) []string {
	var argv []string
	for _, a := range append(append(append([]string{}, c.Command...), c.Args...), extra...) {
		argv = append(argv, p.Layout.Rewrite(a))
	}
	if p.busybox != "" && len(argv) > 0 && argv[0] == "/bin/sh" {
		argv[0] = filepath.Join(p.busybox, "sh")
	}
	return argv
}

// Shell is the image's /bin/sh on the host: BusyBox's when the pod runs BusyBox's userland.
func (p *Pod) Shell() string {
	if p.busybox != "" {
		return filepath.Join(p.busybox, "sh")
	}
	return "/bin/sh"
}

// Command runs argv in the container's environment as the pod's user.
func (p *Pod) Command(c corev1.Container, argv ...string) *exec.Cmd {
	cmd := p.User.Command(argv[0], argv[1:]...)
	cmd.Env = p.Env(c)
	return cmd
}

// Exec runs a program in a container's environment as the pod's user.
func (p *Pod) Exec(c corev1.Container, name string, args ...string) (string, error) {
	if p.busybox != "" && name == "/bin/sh" {
		name = filepath.Join(p.busybox, "sh")
	}
	cmd := p.User.Command(name, args...)
	cmd.Env = p.Env(c)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// PrepareTLS runs the rendered prepare-tls init container.
func (p *Pod) PrepareTLS() (string, error) {
	c, err := p.Container("prepare-tls")
	if err != nil {
		return "", err
	}
	cmd := p.Command(c, p.Argv(c)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	return out.String(), err
}

// UpdateSecret changes a Secret as `kubectl apply` (or cert-manager) would, and its volumes as the
// kubelet then does: in place, switching all files at once.
func (p *Pod) UpdateSecret(name string, data map[string][]byte) error {
	if err := p.Layout.UpdateSecret(p.Spec, name, data, podfs.Owner{UID: p.User.UID, GID: p.User.GID}); err != nil {
		return err
	}
	p.secrets[name] = &corev1.Secret{Data: data}
	return nil
}

// StartSidecar runs a container of the pod in the background (the tls-reloader, say), its output
// appended to log.
func (p *Pod) StartSidecar(name string, log io.Writer) (*proc.Daemon, error) {
	return p.StartSidecarWith(name, "", log)
}

// StartSidecarWith runs a container of the pod with binary, on the host, in place of its image's
// entrypoint (an exporter built from its Go module), with the container's arguments and
// environment.
func (p *Pod) StartSidecarWith(name, binary string, log io.Writer) (*proc.Daemon, error) {
	c, err := p.Container(name)
	if err != nil {
		return nil, err
	}
	argv := p.Argv(c)
	if binary != "" {
		argv[0] = binary
	}
	cmd := p.Command(c, argv...)
	cmd.Stdout, cmd.Stderr = log, log
	return proc.Start(cmd)
}

// MountPath is where a container mounts a volume, on the host.
func (p *Pod) MountPath(volume string) (string, error) {
	for _, c := range append(append([]corev1.Container{}, p.Spec.InitContainers...), p.Spec.Containers...) {
		for _, m := range c.VolumeMounts {
			if m.Name == volume {
				return p.Layout.HostPath(m.MountPath), nil
			}
		}
	}
	return "", fmt.Errorf("no container mounts volume %q", volume)
}

// SecretVolume is the name of the Secret behind a volume.
func (p *Pod) SecretVolume(volume string) string {
	for _, v := range p.Spec.Volumes {
		if v.Name == volume && v.Secret != nil {
			return v.Secret.SecretName
		}
	}
	return ""
}
