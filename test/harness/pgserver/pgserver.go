// Package pgserver runs the chart's rendered PostgreSQL configuration on a real server, without
// Kubernetes: it lays out an instance's pod (package pod), runs the rendered init-container script
// with sh, initialises the data directory as the official image's entrypoint does, starts postgres
// with the rendered postgresql.conf and pg_hba.conf on a free loopback port, and applies the
// rendered init SQL.
//
// What differs from the pod, and only this: paths (podfs maps every mount under a temporary
// root), the port (a free one, rendered as postgres.port), initdb runs with --no-sync, and the
// binaries are Debian's PostgreSQL (15 here; the settings the chart writes mean the same in 17).
package pgserver

import (
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

	corev1 "k8s.io/api/core/v1"

	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/test/harness/pod"
	"github.com/datastores/datastores/test/harness/proc"
)

// InstallHint is what to run when the binaries are missing.
const InstallHint = "apt-get install -y postgresql postgresql-contrib openssl busybox"

// Options choose the chart values and the instance to run.
type Options struct {
	Chart    chart.Options
	Instance string // instance name, e.g. "app"
	// SkipPrepareTLS leaves out the init container: the server reads the certificate files as a
	// Secret volume presents them by default (mode 0644), which is what the init step exists to fix.
	SkipPrepareTLS bool
	// TLSSecretData replaces the data of the instance's TLS Secret.
	TLSSecretData map[string][]byte
	// Secrets and ConfigMaps are created beside the release's, as a user would before
	// installing (init scripts, say).
	Secrets    map[string]map[string][]byte
	ConfigMaps map[string]map[string]string
}

// Server is a running instance.
type Server struct {
	*pod.Pod
	// Fullname is the instance's object name, e.g. "test-postgres-app".
	Fullname string
	Port     int
	Database string
	AppUser  string
	// Password and AdminPassword are the application user's and the superuser's.
	Password, AdminPassword string
	// CA is the ca.crt the server was given; ClientCert/ClientKey the chart's client certificate,
	// when tls.clientCertificates is on.
	CA, ClientCert, ClientKey []byte
	bin                       string
	daemon                    *proc.Daemon
	logPath                   string
}

// Binaries is the directory of initdb, postgres, psql and pg_isready, or an error naming the
// package to install. PG_BINDIR overrides the search. BusyBox must be there too: the pods run
// with the Alpine image's userland (see pod.Busybox).
func Binaries() (string, error) {
	if _, err := pod.Busybox(); err != nil {
		return "", err
	}
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

// Prepare renders the chart and lays out the instance's pod.
func Prepare(opts Options) (*pod.Pod, error) {
	p, _, err := prepare(opts)
	return p, err
}

// instance is what prepare settled on, beyond the pod.
type instance struct {
	port     int
	fullname string
	bin      string
}

// prepare renders the chart with a free port as postgres.port, so that every rendered file (the
// server's configuration, the backup job's targets) names the port the test server listens on.
func prepare(opts Options) (*pod.Pod, instance, error) {
	bin, err := Binaries()
	if err != nil {
		return nil, instance{}, err
	}
	port, err := proc.FreePort()
	if err != nil {
		return nil, instance{}, err
	}
	if given, ok := opts.Chart.SetValues["postgres.port"]; ok {
		// A test that needs the port before the render (to write it into a values file) chose it.
		if port, err = strconv.Atoi(given); err != nil {
			return nil, instance{}, err
		}
	}
	set := map[string]string{"postgres.port": strconv.Itoa(port)}
	for k, v := range opts.Chart.SetValues {
		set[k] = v
	}
	opts.Chart.SetValues = set
	u, err := proc.Unprivileged("postgres")
	if err != nil {
		return nil, instance{}, err
	}
	release := opts.Chart.ReleaseName
	if release == "" {
		release = "test"
	}
	fullname := release + "-postgres-" + opts.Instance
	po := pod.Options{Chart: opts.Chart, Workload: "StatefulSet/" + fullname, User: u, Path: bin + ":/usr/bin:/bin", Busybox: true}
	po.Secrets, po.ConfigMaps = map[string]map[string][]byte{}, opts.ConfigMaps
	for name, data := range opts.Secrets {
		po.Secrets[name] = data
	}
	if opts.TLSSecretData != nil {
		po.Secrets[fullname+"-tls"] = opts.TLSSecretData
	}
	p, err := pod.New(po)
	return p, instance{port: port, fullname: fullname, bin: bin}, err
}

// Start runs the whole pod: the init step (unless skipped), initdb, the server, the init SQL.
func Start(opts Options) (*Server, error) {
	p, in, err := prepare(opts)
	if err != nil {
		return nil, err
	}
	srv, err := start(p, in, opts)
	if err != nil {
		p.Remove()
		return nil, err
	}
	return srv, nil
}

func start(p *pod.Pod, in instance, opts Options) (*Server, error) {
	if opts.SkipPrepareTLS {
		if err := placeSecretFilesUnprepared(p); err != nil {
			return nil, err
		}
	} else if out, err := p.PrepareTLS(); err != nil {
		return nil, fmt.Errorf("init container prepare-tls: %v: %s", err, out)
	}

	c, err := p.Container("postgres")
	if err != nil {
		return nil, err
	}
	vars := p.Vars(c)
	srv := &Server{Pod: p, Fullname: in.fullname, Port: in.port, bin: in.bin, Database: vars["POSTGRES_DB"], AppUser: appUser(c), logPath: filepath.Join(p.Root, "postgres.log")}
	creds, err := p.MountPath("credentials")
	if err != nil {
		return nil, err
	}
	if srv.Password, err = readFile(creds, "password"); err != nil {
		return nil, err
	}
	if srv.AdminPassword, err = readFile(creds, "postgres-password"); err != nil {
		return nil, err
	}
	tlsDir, err := p.MountPath("tls")
	if err != nil {
		return nil, err
	}
	srv.CA, _ = os.ReadFile(filepath.Join(tlsDir, "ca.crt"))
	if client, ok := p.Secret(in.fullname + "-client-tls"); ok {
		srv.ClientCert, srv.ClientKey = client.Data["tls.crt"], client.Data["tls.key"]
	}

	// initdb as docker-entrypoint.sh runs it: POSTGRES_USER with the password file, then
	// POSTGRES_INITDB_ARGS.
	initdbArgs := []string{"-D", vars["PGDATA"], "--username=" + vars["POSTGRES_USER"], "--pwfile=" + vars["POSTGRES_PASSWORD_FILE"], "--no-sync"}
	initdbArgs = append(initdbArgs, strings.Fields(vars["POSTGRES_INITDB_ARGS"])...)
	if out, err := p.Exec(c, filepath.Join(in.bin, "initdb"), initdbArgs...); err != nil {
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}

	if err := srv.startPostgres(c, vars); err != nil {
		return nil, err
	}

	// The entrypoint creates POSTGRES_DB, then runs /docker-entrypoint-initdb.d/*.sql with psql as
	// the superuser over the Unix socket (pg_hba "local ... scram-sha-256": the password is needed).
	if err := srv.psql(c, vars, "postgres", "-c", `CREATE DATABASE "`+srv.Database+`"`); err != nil {
		srv.Stop()
		return nil, err
	}
	initdb, err := p.MountPath("initdb")
	if err != nil {
		srv.Stop()
		return nil, err
	}
	scripts, _ := filepath.Glob(filepath.Join(initdb, "*.sql"))
	if len(scripts) == 0 {
		srv.Stop()
		return nil, errors.New("the pod has no init SQL in /docker-entrypoint-initdb.d")
	}
	for _, s := range scripts {
		if err := srv.psql(c, vars, srv.Database, "-f", s); err != nil {
			srv.Stop()
			return nil, err
		}
	}
	return srv, nil
}

func (srv *Server) socketDir() string {
	dir, _ := srv.MountPath("run")
	return dir
}

// startPostgres runs the container's args (-c config_file=...) with the data directory, and waits
// until the server accepts connections.
func (srv *Server) startPostgres(c corev1.Container, vars map[string]string) error {
	logFile, err := os.OpenFile(srv.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	argv := append([]string{filepath.Join(srv.bin, "postgres"), "-D", vars["PGDATA"]}, srv.Argv(c)...)
	cmd := srv.Command(c, argv...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if srv.daemon, err = proc.Start(cmd); err != nil {
		return err
	}
	ready := func() error {
		out, err := exec.Command(filepath.Join(srv.bin, "pg_isready"), "-q", "-h", srv.socketDir(), "-p", strconv.Itoa(srv.Port)).CombinedOutput()
		if err != nil {
			return fmt.Errorf("pg_isready: %v %s", err, out)
		}
		return nil
	}
	if err := srv.daemon.WaitFor(30*time.Second, ready); err != nil {
		log := srv.Log()
		srv.Stop()
		return fmt.Errorf("postgres: %v\n%s", err, log)
	}
	return nil
}

func (srv *Server) psql(c corev1.Container, vars map[string]string, db string, extra ...string) error {
	args := append([]string{"-v", "ON_ERROR_STOP=1", "-h", srv.socketDir(), "-p", strconv.Itoa(srv.Port),
		"--username", vars["POSTGRES_USER"], "--no-password", "--no-psqlrc", "--dbname", db}, extra...)
	cmd := srv.User.Command(filepath.Join(srv.bin, "psql"), args...)
	cmd.Env = append(srv.Env(c), "PGPASSWORD="+srv.AdminPassword)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("psql %v: %v: %s", extra, err, out)
	}
	return nil
}

// placeSecretFilesUnprepared puts the Secret's files where the server reads them, with the mode a
// Secret volume has by default, owned by the server's user: a deployment without the init step.
func placeSecretFilesUnprepared(p *pod.Pod) error {
	c, err := p.Container("prepare-tls")
	if err != nil {
		return err
	}
	vars := p.Vars(c)
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
		if os.Geteuid() == 0 {
			if err := os.Chown(dst, p.User.UID, p.User.GID); err != nil {
				return err
			}
		}
	}
	return nil
}

func readFile(dir, name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	return string(b), err
}

// appUser is the application user the init SQL creates (the readiness probe's -U).
func appUser(c corev1.Container) string {
	probe := c.ReadinessProbe.Exec.Command
	for i, a := range probe {
		if a == "-U" && i+1 < len(probe) {
			return probe[i+1]
		}
	}
	return ""
}

// Bin is the directory of the server's binaries (psql among them).
func (srv *Server) Bin() string { return srv.bin }

// Pid is the postmaster's process id (the container runs postgres itself).
func (srv *Server) Pid() int { return srv.daemon.Pid() }

// Log is the server's log so far.
func (srv *Server) Log() string {
	b, _ := os.ReadFile(srv.logPath)
	return string(b)
}

// PreStop runs the postgres container's preStop hook as the kubelet does before it stops the
// container, and returns its output.
func (srv *Server) PreStop() (string, error) {
	c, err := srv.Container("postgres")
	if err != nil {
		return "", err
	}
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Exec == nil {
		return "", fmt.Errorf("the postgres container has no preStop exec hook")
	}
	argv := srv.Argv(corev1.Container{Command: c.Lifecycle.PreStop.Exec.Command})
	return srv.Exec(c, argv[0], argv[1:]...)
}

// Exited says whether the postmaster has exited.
func (srv *Server) Exited() bool { return srv.daemon.Exited() }

// Restart starts the server again on its data directory, as a new container of the same pod
// would (the init steps have already run on this volume).
func (srv *Server) Restart() error {
	c, err := srv.Container("postgres")
	if err != nil {
		return err
	}
	return srv.startPostgres(c, srv.Vars(c))
}

// Signal sends sig to the postmaster (SIGTERM: smart shutdown, SIGINT: fast, SIGQUIT: immediate).
func (srv *Server) Signal(sig syscall.Signal) error {
	return syscall.Kill(srv.daemon.Pid(), sig)
}

// Shutdown stops the server (fast shutdown) and keeps its files.
func (srv *Server) Shutdown() {
	if srv.daemon != nil {
		_ = srv.daemon.Stop(syscall.SIGINT, 10*time.Second)
	}
}

// Stop shuts the server down and removes its files.
func (srv *Server) Stop() {
	srv.Shutdown()
	srv.Remove()
}

// JobOptions add to a job's pod what an operator would create for it.
type JobOptions struct {
	Secrets    map[string]map[string][]byte // e.g. the restore identity
	ConfigMaps map[string]map[string]string // e.g. the restore request
	// Path is the PATH of the job's image; empty: PostgreSQL's binaries and the system's.
	Path string
}

// Job lays out one of the release's job pods (the backup or restore CronJob's) from the server's
// own render, so that it holds the same passwords and CA. The Services' DNS names stand for the
// test server: PGHOSTADDR=127.0.0.1 makes libpq connect there while it still verifies the
// certificate against the name.
func (srv *Server) Job(workload string, o JobOptions) (*pod.Pod, error) {
	if o.Path == "" {
		o.Path = srv.bin + ":/usr/bin:/bin"
	}
	return pod.New(pod.Options{Release: srv.Release, Workload: workload, User: srv.Pod.User, Secrets: o.Secrets, ConfigMaps: o.ConfigMaps,
		Path: o.Path, Env: []string{"PGHOSTADDR=127.0.0.1"}, Busybox: true})
}

// RunJob runs a job pod's only container to completion, with extra arguments.
func RunJob(p *pod.Pod, args ...string) (string, error) {
	c := p.Spec.Containers[0]
	cmd := p.Command(c, p.Argv(c, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
