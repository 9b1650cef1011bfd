// Package pgserver runs the chart's rendered PostgreSQL configuration on a real server, without
// Kubernetes: it lays out an instance's pod (package pod), runs the rendered init-container script
// with sh, initialises the data directory as the official image's entrypoint does, starts postgres
// with the rendered postgresql.conf and pg_hba.conf on a free loopback port, and runs the
// rendered init scripts as the entrypoint does.
//
// What differs from the pod, and only this: paths (podfs maps every mount under a temporary
// root), the port (a free one, rendered as postgres.port), initdb runs with --no-sync, the init
// scripts run against the server itself (the entrypoint starts a temporary one on the Unix socket
// alone), and the binaries are Debian's PostgreSQL (15 here; the settings the chart writes mean
// the same in 17).
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
	// InitEnv is added to the environment of the init step (initdb, the database's creation and
	// every init script), as an extraEnv the chart refuses (PGOPTIONS, say) would be.
	InitEnv []string
	// InitTerminal gives the init scripts a terminal, as `docker run -it` gives the container.
	InitTerminal bool
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
	initEnv                   []string
	initTerminal              bool
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

// Start runs the whole pod: the init step (unless skipped), initdb, the server, the init scripts.
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
	srv := &Server{Pod: p, Fullname: in.fullname, Port: in.port, bin: in.bin, Database: vars["POSTGRES_DB"], AppUser: appUser(c),
		logPath: filepath.Join(p.Root, "postgres.log"), initEnv: opts.InitEnv, initTerminal: opts.InitTerminal}
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

	// The container's output, as the cluster's log collector would keep it: the entrypoint's
	// (initdb, the init scripts) and the server's, in one file (Log).
	// initdb as docker-entrypoint.sh runs it: POSTGRES_USER with the password file, then
	// POSTGRES_INITDB_ARGS.
	initdbArgs := []string{"-D", vars["PGDATA"], "--username=" + vars["POSTGRES_USER"], "--pwfile=" + vars["POSTGRES_PASSWORD_FILE"], "--no-sync"}
	initdbArgs = append(initdbArgs, strings.Fields(vars["POSTGRES_INITDB_ARGS"])...)
	initdb := srv.User.Command(filepath.Join(in.bin, "initdb"), initdbArgs...)
	initdb.Env = srv.entrypointEnv(c)
	out, err := initdb.CombinedOutput()
	srv.appendLog(string(out))
	if err != nil {
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}

	if err := srv.startPostgres(c, vars); err != nil {
		return nil, err
	}
	if err := srv.runInitFiles(c, vars); err != nil {
		srv.Stop()
		return nil, err
	}
	return srv, nil
}

// entrypointEnv is the environment docker-entrypoint.sh gives initdb and the init scripts: the
// container's, with POSTGRES_PASSWORD read from POSTGRES_PASSWORD_FILE in its place (file_env),
// PGPASSWORD set to it, and Options.InitEnv.
func (srv *Server) entrypointEnv(c corev1.Container) []string {
	var env []string
	for _, e := range srv.Env(c) {
		if !strings.HasPrefix(e, "POSTGRES_PASSWORD_FILE=") {
			env = append(env, e)
		}
	}
	env = append(env, "POSTGRES_PASSWORD="+strings.TrimRight(srv.AdminPassword, "\n"), "PGPASSWORD="+strings.TrimRight(srv.AdminPassword, "\n"))
	return append(env, srv.initEnv...)
}

// runInitFiles does what the entrypoint does once the data directory exists: it creates
// POSTGRES_DB, then takes /docker-entrypoint-initdb.d/* in name order (docker_process_init_files):
// a *.sh that is executable runs (with the interpreter of its #! line, BusyBox's sh for /bin/sh),
// any other *.sh is sourced by the entrypoint's bash, a *.sql runs with psql -f as the superuser
// in POSTGRES_DB, anything else is ignored. Their output goes to the log, as in the container.
func (srv *Server) runInitFiles(c corev1.Container, vars map[string]string) error {
	if _, err := srv.SuperuserPsql("postgres", "-c", `CREATE DATABASE "`+srv.Database+`"`); err != nil {
		return err
	}
	dir, err := srv.MountPath("initdb")
	if err != nil {
		return err
	}
	// Bash's * leaves out the names that start with a dot: the kubelet's ..data and its
	// timestamped directories.
	files, _ := filepath.Glob(filepath.Join(dir, "[^.]*"))
	if len(files) == 0 {
		return errors.New("the pod has no init script in /docker-entrypoint-initdb.d")
	}
	for _, f := range files {
		var cmd *exec.Cmd
		switch {
		case strings.HasSuffix(f, ".sh"):
			fi, err := os.Stat(f)
			if err != nil {
				return err
			}
			if fi.Mode()&0o111 == 0 {
				cmd = srv.User.Command("bash", "-c", `set -Eeo pipefail; . "$1"`, "docker-entrypoint.sh", f)
				break
			}
			argv, err := srv.interpreter(f)
			if err != nil {
				return err
			}
			cmd = srv.User.Command(argv[0], argv[1:]...)
		case strings.HasSuffix(f, ".sql"):
			out, err := srv.SuperuserPsql(srv.Database, "-f", f)
			srv.appendLog(out)
			if err != nil {
				return err
			}
			continue
		default:
			srv.appendLog("docker-entrypoint.sh: ignoring " + f + "\n")
			continue
		}
		srv.appendLog("docker-entrypoint.sh: running " + f + "\n")
		cmd.Env = srv.entrypointEnv(c)
		out, err := runScript(cmd, srv.initTerminal)
		srv.appendLog(out)
		if err != nil {
			return fmt.Errorf("init script %s: %v: %s", filepath.Base(f), err, out)
		}
	}
	return nil
}

// interpreter is how the kernel would run an executable script in the image: by its #! line,
// where /bin/sh is the pod's (BusyBox's, when the pod runs BusyBox's userland).
func (srv *Server) interpreter(script string) ([]string, error) {
	b, err := os.ReadFile(script)
	if err != nil {
		return nil, err
	}
	first, _, _ := strings.Cut(string(b), "\n")
	line, ok := strings.CutPrefix(first, "#!")
	if !ok {
		return []string{script}, nil
	}
	argv := strings.Fields(line)
	switch {
	case len(argv) == 0:
		return nil, fmt.Errorf("%s: an empty #! line", script)
	case argv[0] == "/bin/sh":
		argv[0] = srv.Shell()
	case argv[0] == "/usr/bin/env" && len(argv) > 1:
		argv = argv[1:]
	}
	return append(argv, script), nil
}

// SuperuserPsql runs psql as the entrypoint runs it (docker_process_sql): the superuser over the
// Unix socket, in the entrypoint's environment (Options.InitEnv among it), and returns its
// output.
func (srv *Server) SuperuserPsql(db string, args ...string) (string, error) {
	c, err := srv.Container("postgres")
	if err != nil {
		return "", err
	}
	vars := srv.Vars(c)
	argv := append([]string{"-v", "ON_ERROR_STOP=1", "-h", srv.socketDir(), "-p", strconv.Itoa(srv.Port),
		"--username", vars["POSTGRES_USER"], "--no-password", "--no-psqlrc", "--dbname", db}, args...)
	cmd := srv.User.Command(filepath.Join(srv.bin, "psql"), argv...)
	cmd.Env = srv.entrypointEnv(c)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("psql %v: %v: %s", args, err, out)
	}
	return string(out), nil
}

// appendLog adds to the container's log what the entrypoint printed.
func (srv *Server) appendLog(text string) {
	f, err := os.OpenFile(srv.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = f.WriteString(text)
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
