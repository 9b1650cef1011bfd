// Package redisserver runs the chart's rendered Redis pod on Debian's redis-server: the rendered
// prepare-tls init container, then the rendered start script (which writes the ACL file from the
// password Secrets and execs redis-server with the rendered redis.conf), as an unprivileged user.
//
// What differs from the pod: paths (podfs), the TLS port (a free one, rendered as redis.port, so
// redis.conf and the probe agree on it), and the binary (Debian's redis-server 7.0; the
// directives the chart writes exist there too).
package redisserver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	corev1 "k8s.io/api/core/v1"

	"github.com/datastores/datastores/test/harness/certs"
	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/test/harness/pod"
	"github.com/datastores/datastores/test/harness/proc"
)

func init() {
	// go-redis logs every failed dial; the tests assert on the errors instead.
	redis.SetLogger(quiet{})
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...interface{}) {}

// InstallHint is what to run when the binaries are missing.
const InstallHint = "apt-get install -y redis-server busybox"

// Binaries checks that redis-server and redis-cli (with TLS) are installed, and BusyBox, the
// Alpine image's userland the pod runs with.
func Binaries() (string, error) {
	if _, err := pod.Busybox(); err != nil {
		return "", err
	}
	for _, b := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(b); err != nil {
			return "", fmt.Errorf("%s not found; install it with: %s", b, InstallHint)
		}
	}
	return "/usr/bin", nil
}

// Server is a running Redis pod.
type Server struct {
	*pod.Pod
	Port int
	// Password is the default user's (or, with the default user off, the probe user's).
	Password string
	// CA, ClientCert, ClientKey are the chart's CA and client certificate (when issued).
	CA, ClientCert, ClientKey []byte
	daemon                    *proc.Daemon
	logPath                   string
	fullname                  string
}

// Start renders the chart with the given values and runs its Redis pod.
func Start(opts chart.Options) (*Server, error) {
	if _, err := Binaries(); err != nil {
		return nil, err
	}
	u, err := proc.Unprivileged("redis")
	if err != nil {
		return nil, err
	}
	release := opts.ReleaseName
	if release == "" {
		release = "test"
	}
	port, err := proc.FreePort()
	if err != nil {
		return nil, err
	}
	set := map[string]string{"redis.port": strconv.Itoa(port)}
	for k, v := range opts.SetValues {
		set[k] = v
	}
	opts.SetValues = set
	fullname := release + "-redis"
	p, err := pod.New(pod.Options{Chart: opts, Workload: "StatefulSet/" + fullname, User: u, Path: "/usr/bin:/bin", Busybox: true})
	if err != nil {
		return nil, err
	}
	srv := &Server{Pod: p, Port: port, fullname: fullname, logPath: filepath.Join(p.Root, "redis.log")}
	if err := srv.start(); err != nil {
		p.Remove()
		return nil, err
	}
	return srv, nil
}

func (srv *Server) start() error {
	if out, err := srv.PrepareTLS(); err != nil {
		return fmt.Errorf("init container prepare-tls: %v: %s", err, out)
	}
	creds, err := srv.MountPath("credentials")
	if err != nil {
		return err
	}
	pw, err := os.ReadFile(filepath.Join(creds, "password"))
	if err != nil {
		return err
	}
	srv.Password = string(pw)
	tlsDir, err := srv.MountPath("tls")
	if err != nil {
		return err
	}
	if srv.CA, err = os.ReadFile(filepath.Join(tlsDir, "ca.crt")); err != nil {
		return err
	}
	if client, ok := srv.Secret(srv.fullname + "-client-tls"); ok {
		srv.ClientCert, srv.ClientKey = client.Data["tls.crt"], client.Data["tls.key"]
	}
	return srv.run()
}

// run starts the rendered container command and waits until it answers over TLS.
func (srv *Server) run() error {
	c, err := srv.Container("redis")
	if err != nil {
		return err
	}
	logFile, err := os.OpenFile(srv.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := srv.Command(c, srv.Argv(c)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if srv.daemon, err = proc.Start(cmd); err != nil {
		return err
	}
	ready := func() error {
		client, err := srv.Client(Client{Password: srv.Password, User: srv.probeUser(), WithClientCert: true})
		if err != nil {
			return err
		}
		defer client.Close()
		return client.Ping(context.Background()).Err()
	}
	if err := srv.daemon.WaitFor(20*time.Second, ready); err != nil {
		log := srv.Log()
		srv.daemon.Stop(syscall.SIGKILL, time.Second)
		return fmt.Errorf("redis: %v\n%s", err, log)
	}
	return nil
}

// probeUser is the user the rendered probe authenticates as.
func (srv *Server) probeUser() string {
	script, _ := os.ReadFile(filepath.Join(srv.Layout.HostPath("/opt/datastores"), "probe.sh"))
	if strings.Contains(string(script), "--user datastores-probe") {
		return "datastores-probe"
	}
	return ""
}

// Client says how a test connects; every TLS detail is explicit.
type Client struct {
	User, Password string
	// TLS overrides the default: verify-full against the chart's CA for "localhost".
	TLS *tls.Config
	// Plaintext connects without TLS.
	Plaintext bool
	// WithClientCert presents the chart's client certificate (or, when none was issued, the server's).
	WithClientCert bool
}

// CAPool is the pool of the chart's CA.
func (srv *Server) CAPool() (*x509.CertPool, error) { return certs.Pool(srv.CA) }

// Client opens a go-redis client on the server's TLS port.
func (srv *Server) Client(c Client) (*redis.Client, error) {
	opts := &redis.Options{
		Addr:            "127.0.0.1:" + strconv.Itoa(srv.Port),
		Username:        c.User,
		Password:        c.Password,
		DialTimeout:     3 * time.Second,
		ReadTimeout:     3 * time.Second,
		MaxRetries:      -1,
		Protocol:        2,
		DisableIdentity: true,
	}
	if !c.Plaintext {
		cfg := c.TLS
		if cfg == nil {
			pool, err := srv.CAPool()
			if err != nil {
				return nil, err
			}
			cfg = &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}
		}
		if c.WithClientCert {
			certPEM, keyPEM := srv.ClientCert, srv.ClientKey
			if certPEM == nil {
				tlsDir, _ := srv.MountPath("tls")
				certPEM, _ = os.ReadFile(filepath.Join(tlsDir, "tls.crt"))
				keyPEM, _ = os.ReadFile(filepath.Join(tlsDir, "tls.key"))
			}
			pair, err := tls.X509KeyPair(certPEM, keyPEM)
			if err != nil {
				return nil, err
			}
			cfg = cfg.Clone()
			cfg.Certificates = []tls.Certificate{pair}
		}
		opts.TLSConfig = cfg
	}
	return redis.NewClient(opts), nil
}

// Pid is the redis-server process (the start script execs it).
func (srv *Server) Pid() int { return srv.daemon.Pid() }

// Log is the server's output so far.
func (srv *Server) Log() string {
	b, _ := os.ReadFile(srv.logPath)
	return string(b)
}

// Kill stops the server at once (SIGKILL: no shutdown save), keeping its files.
func (srv *Server) Kill() { _ = srv.daemon.Stop(syscall.SIGKILL, time.Second) }

// Restart runs the container again on the same volumes, as a pod restart does.
func (srv *Server) Restart() error {
	if !srv.daemon.Exited() {
		srv.Kill()
	}
	return srv.run()
}

// Probe runs the rendered readiness probe in the container's environment, as the kubelet would.
func (srv *Server) Probe() (string, error) {
	c, err := srv.Container("redis")
	if err != nil {
		return "", err
	}
	argv := srv.Argv(corev1.Container{Command: c.ReadinessProbe.Exec.Command})
	return srv.Exec(c, argv[0], argv[1:]...)
}

// Stop shuts the server down and removes its files.
func (srv *Server) Stop() {
	if srv.daemon != nil {
		_ = srv.daemon.Stop(syscall.SIGTERM, 10*time.Second)
	}
	srv.Remove()
}
