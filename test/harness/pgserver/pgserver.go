// Package pgserver runs the chart's rendered PostgreSQL configuration on a real server, without
// Kubernetes: it renders the chart, lays out the pod's file system (podfs), runs the rendered
// init-container script with sh, initialises the data directory as the official image's
// entrypoint does, starts postgres with the rendered postgresql.conf and pg_hba.conf on a free
// loopback port, and applies the rendered init SQL.
//
// What differs from the pod, and only this: paths (podfs maps every mount under a temporary
// root), the port (a free one, given on the command line), initdb runs with --no-sync, and the
// binaries are Debian's PostgreSQL (15 here; the settings the chart writes mean the same in 17).
package pgserver

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/test/harness/podfs"
	"github.com/datastores/datastores/test/harness/proc"
)

// InstallHint is what to run when the binaries are missing.
const InstallHint = "apt-get install -y postgresql postgresql-contrib openssl"

// Options choose the chart values and the instance to run.
type Options struct {
	Chart    chart.Options
	Instance string // instance name, e.g. "app"
	// SkipPrepareTLS leaves out the init container: the server reads the certificate files as a
	// Secret volume presents them by default (mode 0644), which is what the init step exists to fix.
	SkipPrepareTLS bool
	// TLSSecretData replaces the data of the instance's TLS Secret.
	TLSSecretData map[string][]byte
}

// Pod is an instance's pod laid out on the host, before its server starts.
type Pod struct {
	Release  *chart.Release
	Layout   *podfs.Layout
	User     proc.User
	sts      *appsv1.StatefulSet
	bin      string
	root     string
	fullname string
	secrets  map[string]*corev1.Secret
}

// Server is a running instance.
type Server struct {
	*Pod
	Port     int
	Database string
	User     string
	// Password and AdminPassword are the application user's and the superuser's.
	Password, AdminPassword string
	// CA is the ca.crt the server's Secret holds; ClientCert/ClientKey the chart's client
	// certificate, when tls.clientCertificates is on.
	CA, ClientCert, ClientKey []byte
	daemon                    *proc.Daemon
	logPath                   string
}

// Binaries is the directory of initdb, postgres, psql and pg_isready, or an error naming the
// package to install. PG_BINDIR overrides the search.
func Binaries() (string, error) {
	var candidates []string
	if d := os.Getenv("PG_BINDIR"); d != "" {
		candidates = append(candidates, d)
	}
	versioned, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(versioned, func(i, j int) bool { return version(versioned[i]) > version(versioned[j]) })
	candidates = append(candidates, versioned...)
	if p, err := exec.LookPath("initdb"); err == nil {
		candidates = append(candidates, filepath.Dir(p))
	}
	for _, d := range candidates {
		ok := true
		for _, b := range []string{"initdb", "postgres", "psql", "pg_isready"} {
			if _, err := os.Stat(filepath.Join(d, b)); err != nil {
				ok = false
			}
		}
		if ok {
			return d, nil
		}
	}
	return "", fmt.Errorf("PostgreSQL server binaries not found (initdb, postgres); install them with: %s", InstallHint)
}

func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// Prepare renders the chart and lays out the instance's pod under a new temporary directory.
func Prepare(opts Options) (*Pod, error) {
	bin, err := Binaries()
	if err != nil {
		return nil, err
	}
	u, err := proc.Unprivileged()
	if err != nil {
		return nil, err
	}
	rel, err := chart.RenderE(opts.Chart)
	if err != nil {
		return nil, err
	}
	prefix := opts.Chart.ReleaseName
	if prefix == "" {
		prefix = "test"
	}
	fullname := prefix + "-postgres-" + opts.Instance
	sts, ok := chart.Find[*appsv1.StatefulSet](rel, fullname)
	if !ok {
		return nil, fmt.Errorf("no StatefulSet %s in the render", fullname)
	}
	src := podfs.Sources{Secrets: map[string]*corev1.Secret{}, ConfigMaps: map[string]*corev1.ConfigMap{}}
	for _, s := range chart.All[*corev1.Secret](rel) {
		src.Secrets[s.Name] = s
	}
	for _, cm := range chart.All[*corev1.ConfigMap](rel) {
		src.ConfigMaps[cm.Name] = cm
	}
	if opts.TLSSecretData != nil {
		name := secretVolume(sts, "tls-secret")
		src.Secrets[name] = &corev1.Secret{Data: opts.TLSSecretData}
	}
	root, err := os.MkdirTemp("", "pgserver-")
	if err != nil {
		return nil, err
	}
	if err := proc.MakeTraversable(root); err != nil {
		return nil, err
	}
	layout, err := podfs.New(root, sts.Spec.Template.Spec, src, podfs.Owner{UID: u.UID, GID: u.GID})
	if err != nil {
		os.RemoveAll(root)
		return nil, err
	}
	return &Pod{Release: rel, Layout: layout, User: u, sts: sts, bin: bin, root: root, fullname: fullname, secrets: src.Secrets}, nil
}

// Remove deletes the pod's temporary directory.
func (p *Pod) Remove() { os.RemoveAll(p.root) }

func secretVolume(sts *appsv1.StatefulSet, name string) string {
	for _, v := range sts.Spec.Template.Spec.Volumes {
		if v.Name == name && v.Secret != nil {
			return v.Secret.SecretName
		}
	}
	return ""
}

func (p *Pod) container(name string) corev1.Container {
	for _, c := range append(append([]corev1.Container{}, p.sts.Spec.Template.Spec.InitContainers...), p.sts.Spec.Template.Spec.Containers...) {
		if c.Name == name {
			return c
		}
	}
	panic("no container " + name)
}

// env is a container's environment on the host: its literal values with paths mapped, plus what
// the image would provide.
func (p *Pod) env(c corev1.Container) []string {
	return append(p.Layout.Env(c), "PATH="+p.bin+":/usr/bin:/bin", "LANG=C.UTF-8", "HOME="+p.root)
}

func (p *Pod) run(c corev1.Container, name string, args ...string) (string, error) {
	cmd := p.User.Command(name, args...)
	cmd.Env = p.env(c)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// PrepareTLS runs the rendered init container's command as the server's user.
func (p *Pod) PrepareTLS() (string, error) {
	c := p.container("prepare-tls")
	args := make([]string, len(c.Command))
	for i, a := range c.Command {
		args[i] = p.Layout.Rewrite(a)
	}
	return p.run(c, args[0], args[1:]...)
}

// placeSecretFilesUnprepared puts the Secret's files where the server reads them, with the mode a
// Secret volume has by default, owned by the server's user: a deployment without the init step.
func (p *Pod) placeSecretFilesUnprepared() error {
	c := p.container("prepare-tls")
	vars := map[string]string{}
	for _, e := range c.Env {
		vars[e.Name] = p.Layout.Rewrite(e.Value)
	}
	for key, name := range map[string]string{vars["TLS_CERT_KEY"]: "tls.crt", vars["TLS_KEY_KEY"]: "tls.key", vars["TLS_CA_KEY"]: "ca.crt"} {
		data, err := os.ReadFile(filepath.Join(vars["TLS_SOURCE_DIR"], key))
		if err != nil {
			return err
		}
		dst := filepath.Join(vars["TLS_DIR"], name)
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return err
		}
		if err := os.Chmod(dst, 0o644); err != nil {
			return err
		}
		if err := os.Chown(dst, p.User.UID, p.User.GID); err != nil && os.Geteuid() == 0 {
			return err
		}
	}
	return nil
}

// Start runs the whole pod: the init step (unless skipped), initdb, the server, the init SQL.
func Start(opts Options) (*Server, error) {
	pod, err := Prepare(opts)
	if err != nil {
		return nil, err
	}
	srv, err := pod.start(opts)
	if err != nil {
		pod.Remove()
		return nil, err
	}
	return srv, nil
}

func (p *Pod) start(opts Options) (*Server, error) {
	if opts.SkipPrepareTLS {
		if err := p.placeSecretFilesUnprepared(); err != nil {
			return nil, err
		}
	} else if out, err := p.PrepareTLS(); err != nil {
		return nil, fmt.Errorf("init container prepare-tls: %v: %s", err, out)
	}

	c := p.container("postgres")
	vars := map[string]string{}
	for _, e := range c.Env {
		vars[e.Name] = p.Layout.Rewrite(e.Value)
	}
	srv := &Server{Pod: p, Database: vars["POSTGRES_DB"], logPath: filepath.Join(p.root, "postgres.log")}
	var err error
	if srv.Password, err = p.secretFile("credentials", "password"); err != nil {
		return nil, err
	}
	if srv.AdminPassword, err = p.secretFile("credentials", "postgres-password"); err != nil {
		return nil, err
	}
	srv.CA, _ = os.ReadFile(filepath.Join(p.Layout.HostPath("/tls"), "ca.crt"))
	if client, ok := p.secrets[p.fullname+"-client-tls"]; ok {
		srv.ClientCert, srv.ClientKey = client.Data["tls.crt"], client.Data["tls.key"]
	}
	srv.User = p.appUser()

	// initdb as docker-entrypoint.sh runs it: POSTGRES_USER with the password file, then
	// POSTGRES_INITDB_ARGS.
	initdbArgs := []string{"-D", vars["PGDATA"], "--username=" + vars["POSTGRES_USER"], "--pwfile=" + vars["POSTGRES_PASSWORD_FILE"], "--no-sync"}
	initdbArgs = append(initdbArgs, strings.Fields(vars["POSTGRES_INITDB_ARGS"])...)
	if out, err := p.run(c, filepath.Join(p.bin, "initdb"), initdbArgs...); err != nil {
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}

	if srv.Port, err = proc.FreePort(); err != nil {
		return nil, err
	}
	args := []string{"-D", vars["PGDATA"]}
	for _, a := range c.Args {
		args = append(args, p.Layout.Rewrite(a))
	}
	args = append(args, "-c", "port="+strconv.Itoa(srv.Port))
	logFile, err := os.Create(srv.logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := p.User.Command(filepath.Join(p.bin, "postgres"), args...)
	cmd.Env = p.env(c)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if srv.daemon, err = proc.Start(cmd); err != nil {
		return nil, err
	}
	socketDir := p.Layout.HostPath("/var/run/postgresql")
	ready := func() error {
		out, err := exec.Command(filepath.Join(p.bin, "pg_isready"), "-q", "-h", socketDir, "-p", strconv.Itoa(srv.Port)).CombinedOutput()
		if err != nil {
			return fmt.Errorf("pg_isready: %v %s", err, out)
		}
		return nil
	}
	if err := srv.daemon.WaitFor(30*time.Second, ready); err != nil {
		log := srv.Log()
		srv.Stop()
		return nil, fmt.Errorf("postgres: %v\n%s", err, log)
	}

	// The entrypoint creates POSTGRES_DB, then runs /docker-entrypoint-initdb.d/*.sql with psql as
	// the superuser over the Unix socket (pg_hba "local ... scram-sha-256": the password is needed).
	psql := func(db string, extra ...string) error {
		a := append([]string{"-v", "ON_ERROR_STOP=1", "-h", socketDir, "-p", strconv.Itoa(srv.Port), "--username", vars["POSTGRES_USER"], "--no-password", "--no-psqlrc", "--dbname", db}, extra...)
		cmd := p.User.Command(filepath.Join(p.bin, "psql"), a...)
		cmd.Env = append(p.env(c), "PGPASSWORD="+srv.AdminPassword)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("psql %v: %v: %s", extra, err, out)
		}
		return nil
	}
	if err := psql("postgres", "-c", `CREATE DATABASE "`+srv.Database+`"`); err != nil {
		srv.Stop()
		return nil, err
	}
	scripts, _ := filepath.Glob(filepath.Join(p.Layout.HostPath("/docker-entrypoint-initdb.d"), "*.sql"))
	if len(scripts) == 0 {
		srv.Stop()
		return nil, errors.New("the pod has no init SQL in /docker-entrypoint-initdb.d")
	}
	for _, s := range scripts {
		if err := psql(srv.Database, "-f", s); err != nil {
			srv.Stop()
			return nil, err
		}
	}
	return srv, nil
}

func (p *Pod) secretFile(volume, file string) (string, error) {
	for _, c := range p.sts.Spec.Template.Spec.Containers {
		for _, m := range c.VolumeMounts {
			if m.Name == volume {
				b, err := os.ReadFile(filepath.Join(p.Layout.HostPath(m.MountPath), file))
				return string(b), err
			}
		}
	}
	return "", fmt.Errorf("no volume %s", volume)
}

// appUser is the application user the init SQL creates (the readiness probe's -U).
func (p *Pod) appUser() string {
	probe := p.container("postgres").ReadinessProbe.Exec.Command
	for i, a := range probe {
		if a == "-U" && i+1 < len(probe) {
			return probe[i+1]
		}
	}
	return ""
}

// Log is the server's log so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.logPath)
	return string(b)
}

// Pid is the postmaster's process id.
func (s *Server) Pid() int { return s.daemon.Pid() }

// Stop shuts the server down (fast shutdown) and removes its files.
func (s *Server) Stop() {
	if s.daemon != nil {
		_ = s.daemon.Stop(syscall.SIGINT, 10*time.Second)
	}
	s.Remove()
}
