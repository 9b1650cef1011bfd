// Package drivers runs the client drivers applications connect with (psql, psycopg2, SQLAlchemy
// over psycopg2 and asyncpg, pgjdbc on Java, redis-py, redis-cli) against the test servers, each
// given a connection string exactly as the chart's connection Secret holds it. The Service names
// in those strings resolve to loopback through nss_wrapper (NSS_WRAPPER_HOSTS) for programs that
// resolve through libc, and a hosts file for Java; nothing else of the string is touched.
package drivers

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// InstallHint is the Debian command that installs every driver this package runs.
const InstallHint = "apt-get install python3-psycopg2 python3-sqlalchemy python3-asyncpg python3-redis libpostgresql-jdbc-java default-jre-headless libnss-wrapper"

const (
	python   = "/usr/bin/python3" // Debian's, which has the python3-* driver packages
	pgjdbc   = "/usr/share/java/postgresql.jar"
	nssLib   = "libnss_wrapper.so"
	nssPaths = "/usr/lib/x86_64-linux-gnu:/usr/lib/aarch64-linux-gnu:/usr/lib"
)

// Available says what is missing to run every driver, naming the package to install.
func Available() error {
	var missing []string
	if out, err := exec.Command(python, "-c", "import psycopg2, sqlalchemy, asyncpg, redis").CombinedOutput(); err != nil {
		missing = append(missing, fmt.Sprintf("Python drivers (%s)", strings.TrimSpace(string(out))))
	}
	if _, err := exec.LookPath("java"); err != nil {
		missing = append(missing, "java")
	}
	if _, err := os.Stat(pgjdbc); err != nil {
		missing = append(missing, pgjdbc)
	}
	if nssWrapper() == "" {
		missing = append(missing, nssLib)
	}
	if len(missing) > 0 {
		return fmt.Errorf("client drivers missing: %s; install them with: %s", strings.Join(missing, ", "), InstallHint)
	}
	return nil
}

func nssWrapper() string {
	for _, dir := range filepath.SplitList(nssPaths) {
		if p := filepath.Join(dir, nssLib); fileExists(p) {
			return p
		}
	}
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// Env resolves the given host names to 127.0.0.1 for every program it runs.
type Env struct {
	hosts string
	extra []string
}

// New writes a hosts file under dir that maps names to 127.0.0.1.
func New(dir string, names ...string) (*Env, error) {
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "127.0.0.1 %s\n", n)
	}
	hosts := filepath.Join(dir, "hosts")
	if err := os.WriteFile(hosts, []byte(b.String()), 0o644); err != nil {
		return nil, err
	}
	return &Env{hosts: hosts}, nil
}

// With returns a copy of e whose programs also get the environment variables kv ("K=V").
func (e *Env) With(kv ...string) *Env {
	return &Env{hosts: e.hosts, extra: append(append([]string{}, e.extra...), kv...)}
}

// Command is name with args, resolving through the hosts file.
func (e *Env) Command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "LD_PRELOAD="+nssWrapper(), "NSS_WRAPPER_HOSTS="+e.hosts, "HOME="+filepath.Dir(e.hosts))
	cmd.Env = append(cmd.Env, e.extra...)
	return cmd
}

// Run runs a command of e and returns its combined output, trimmed.
func (e *Env) Run(name string, args ...string) (string, error) {
	out, err := e.Command(name, args...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// Python runs one of this package's Python driver programs (postgres_drivers.py, redis_py.py).
func (e *Env) Python(script string, args ...string) (string, error) {
	return e.Run(python, append([]string{filepath.Join(dir(), script)}, args...)...)
}

// JDBC connects with pgjdbc to jdbcURI and runs the probe query (PgJdbc.java).
func (e *Env) JDBC(jdbcURI string) (string, error) {
	return e.Run("java", "-Djdk.net.hosts.file="+e.hosts, "-cp", pgjdbc, filepath.Join(dir(), "PgJdbc.java"), jdbcURI)
}

// dir is this package's directory, where the driver programs are.
func dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}
