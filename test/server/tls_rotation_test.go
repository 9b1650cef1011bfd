package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/datastores/datastores/test/harness/certs"
	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/test/harness/pgserver"
	"github.com/datastores/datastores/test/harness/pod"
	"github.com/datastores/datastores/test/harness/redisserver"
)

// The rotation proof. While a client loop opens verify-full connections again and again, and one
// long-lived connection keeps querying, the TLS Secret under the running server changes three
// times the way the kubelet changes a mounted Secret: a renewal, a CA bundle (the next CA
// published beside the current one), a certificate from the next CA. The rendered tls-reloader
// sidecar runs beside the server. Every query must succeed, the long-lived connection must stay
// the same connection, each new certificate must be served within a few reload intervals, and the
// server must be the process that started.

const (
	rotationWindow = 60 * time.Second
	reloadInterval = "2" // tls.reload.intervalSeconds of these servers
	servedWithin   = 10 * time.Second
)

// step is one change of the schedule: at offset the Secret's data becomes data, after which the
// server must serve want.
type step struct {
	name   string
	offset time.Duration
	data   map[string][]byte
	want   *x509.Certificate
}

// schedule builds the three steps from the server's first Secret. The chart's CA key is not in the
// server's Secret, so the test's own CAs sign the new certificates; each ca.crt holds the CA of
// the certificate served before the step and the CA of the one after it, which is what a CA
// rollover publishes.
func schedule(t *testing.T, first map[string][]byte) []step {
	t.Helper()
	ca1, err := certs.NewCA("rotation CA 1")
	require.NoError(t, err)
	ca2, err := certs.NewCA("rotation CA 2")
	require.NoError(t, err)
	ips := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}
	renewed, err := ca1.Server("", []string{"localhost"}, ips...)
	require.NoError(t, err)
	next, err := ca2.Server("", []string{"localhost"}, ips...)
	require.NoError(t, err)
	secret := func(p *certs.Pair, cas ...[]byte) map[string][]byte {
		return map[string][]byte{"tls.crt": p.CertPEM, "tls.key": p.KeyPEM, "ca.crt": bytes.Join(cas, nil)}
	}
	return []step{
		{"renewal", 8 * time.Second, secret(renewed, first["ca.crt"], ca1.CertPEM), renewed.Cert},
		{"next CA published", 24 * time.Second, secret(renewed, ca1.CertPEM, ca2.CertPEM), renewed.Cert},
		{"certificate from the next CA", 40 * time.Second, secret(next, ca2.CertPEM, ca1.CertPEM), next.Cert},
	}
}

// datastore is what the rotation proof needs from a running server.
type datastore struct {
	pod    *pod.Pod
	secret string // the TLS Secret's name
	// query opens a new connection with cfg, runs one query and closes it.
	query func(ctx context.Context, cfg *tls.Config) error
	// session opens the long-lived connection; each call of next runs a query on it and returns
	// an identity of the server-side session, which must never change.
	session func(ctx context.Context, cfg *tls.Config) (next func() (string, error), closeIt func(), err error)
	// process is the server's pid and an identity of its run (start time, run id).
	process func(ctx context.Context) (string, error)
}

type seen struct {
	at          time.Duration
	fingerprint string
}

func leafID(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:8])
}

// clientConfig is a verify-full client that reads the CA file at every connection, as libpq reads
// sslrootcert, and reports the certificate the server presented.
func clientConfig(caFile string, served func(*x509.Certificate)) (*tls.Config, error) {
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool, err := certs.Pool(ca)
	if err != nil {
		return nil, err
	}
	return &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12,
		VerifyConnection: func(cs tls.ConnectionState) error {
			served(cs.PeerCertificates[0])
			return nil
		}}, nil
}

func proveRotation(t *testing.T, d datastore) {
	t.Helper()
	ctx := t.Context()
	secretDir, err := d.pod.MountPath("tls-secret")
	require.NoError(t, err)
	caFile := filepath.Join(secretDir, "ca.crt")
	first, ok := d.pod.Secret(d.secret)
	require.True(t, ok)
	steps := schedule(t, first.Data)

	var sidecarLog syncBuffer
	sidecar, err := d.pod.StartSidecar("tls-reloader", &sidecarLog)
	require.NoError(t, err)
	defer sidecar.Stop(syscall.SIGTERM, 5*time.Second)
	before, err := d.process(ctx)
	require.NoError(t, err)

	var mu sync.Mutex
	var observed []seen
	var failures []string
	queries := 0
	start := time.Now()
	fail := func(what string, err error) {
		mu.Lock()
		defer mu.Unlock()
		failures = append(failures, fmt.Sprintf("%s at %s: %v", what, time.Since(start).Round(time.Millisecond), err))
	}

	// The long-lived session, opened before any change.
	cfg, err := clientConfig(caFile, func(*x509.Certificate) {})
	require.NoError(t, err)
	next, closeSession, err := d.session(ctx, cfg)
	require.NoError(t, err)
	defer closeSession()
	identity, err := next()
	require.NoError(t, err)

	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // new connections, one after the other
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			var cert *x509.Certificate
			cfg, err := clientConfig(caFile, func(c *x509.Certificate) { cert = c })
			if err != nil {
				fail("read the CA file", err)
				continue
			}
			if err := d.query(ctx, cfg); err != nil {
				fail("new connection", err)
				continue
			}
			mu.Lock()
			queries++
			observed = append(observed, seen{time.Since(start), leafID(cert)})
			mu.Unlock()
			time.Sleep(50 * time.Millisecond)
		}
	}()
	go func() { // the long-lived session
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case <-time.After(100 * time.Millisecond):
			}
			got, err := next()
			if err == nil && got != identity {
				err = fmt.Errorf("the session is now %s, was %s: the connection was dropped", got, identity)
			}
			if err != nil {
				fail("long-lived session", err)
				continue
			}
			mu.Lock()
			queries++
			mu.Unlock()
		}
	}()
	for _, s := range steps {
		time.Sleep(time.Until(start.Add(s.offset)))
		require.NoError(t, d.pod.UpdateSecret(d.secret, s.data), s.name)
	}
	time.Sleep(time.Until(start.Add(rotationWindow)))
	close(done)
	wg.Wait()

	if !assert.Zero(t, len(failures), "no query may fail during the rotation") {
		t.Logf("first failures: %v", failures[:min(len(failures), 5)])
	}
	assert.Greater(t, queries, 300, "the client loop ran")
	for i, s := range steps {
		end := rotationWindow
		if i+1 < len(steps) {
			end = steps[i+1].offset
		}
		want := leafID(s.want)
		firstSeen, stale := time.Duration(-1), 0
		for _, o := range observed {
			if o.at < s.offset || o.at >= end {
				continue
			}
			if o.fingerprint == want && firstSeen < 0 {
				firstSeen = o.at
			}
			if o.at > s.offset+servedWithin && o.fingerprint != want {
				stale++
			}
		}
		assert.Zero(t, stale, "%s: connections that got another certificate than %s more than %s after the change", s.name, want, servedWithin)
		if assert.GreaterOrEqual(t, firstSeen, time.Duration(0), "%s: the new certificate was never served", s.name) {
			assert.LessOrEqual(t, firstSeen-s.offset, servedWithin, s.name)
			t.Logf("%s: %s served %s after the Secret changed (reload interval %ss)", s.name, want, (firstSeen - s.offset).Round(10*time.Millisecond), reloadInterval)
		}
	}
	after, err := d.process(ctx)
	require.NoError(t, err)
	assert.Equal(t, before, after, "the same server process, never restarted")
	assert.False(t, sidecar.Exited(), "the sidecar keeps running")
	assert.GreaterOrEqual(t, strings.Count(sidecarLog.String(), "the server reloaded its certificate"), len(steps), sidecarLog.String())
	assert.NotContains(t, sidecarLog.String(), "reload failed", "every reload succeeded the first time")
	t.Logf("%d queries, 0 failed; sidecar log:\n%s", queries, sidecarLog.String())
}

// syncBuffer collects a sidecar's output while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestPostgresServesRenewedCertificatesWithoutRestart(t *testing.T) {
	t.Parallel()
	requireBinaries(t, pgserver.Binaries)
	srv, err := pgserver.Start(pgserver.Options{Instance: "app", Chart: chart.Options{ValuesFiles: []string{"values/dev.yaml"},
		SetValues: map[string]string{"postgres.tls.reload.intervalSeconds": reloadInterval}}})
	require.NoError(t, err)
	defer srv.Stop()
	app := func(cfg *tls.Config) pgserver.Client {
		c := srv.AsApp(nil)
		c.TLS = cfg
		return c
	}
	proveRotation(t, datastore{
		pod:    srv.Pod,
		secret: srv.Fullname + "-tls",
		query: func(ctx context.Context, cfg *tls.Config) error {
			conn, err := srv.Connect(ctx, app(cfg))
			if err != nil {
				return err
			}
			defer conn.Close(ctx)
			var ssl bool
			if err := conn.QueryRow(ctx, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&ssl); err != nil {
				return err
			}
			if !ssl {
				return errors.New("connected without TLS")
			}
			return nil
		},
		session: func(ctx context.Context, cfg *tls.Config) (func() (string, error), func(), error) {
			conn, err := srv.Connect(ctx, app(cfg))
			if err != nil {
				return nil, nil, err
			}
			next := func() (string, error) {
				var pid int
				err := conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid)
				return fmt.Sprint(pid), err
			}
			return next, func() { conn.Close(context.Background()) }, nil
		},
		process: func(ctx context.Context) (string, error) {
			dir, _ := srv.MountPath("tls-secret")
			cfg, err := clientConfig(filepath.Join(dir, "ca.crt"), func(*x509.Certificate) {})
			if err != nil {
				return "", err
			}
			admin := srv.AsAdmin(nil)
			admin.TLS = cfg
			conn, err := srv.Connect(ctx, admin)
			if err != nil {
				return "", err
			}
			defer conn.Close(ctx)
			var started time.Time
			if err := conn.QueryRow(ctx, "SELECT pg_postmaster_start_time()").Scan(&started); err != nil {
				return "", err
			}
			return fmt.Sprintf("pid %d, started %s", srv.Pid(), started.Format(time.RFC3339Nano)), nil
		},
	})
}

func TestRedisServesRenewedCertificatesWithoutRestart(t *testing.T) {
	t.Parallel()
	requireBinaries(t, redisserver.Binaries)
	srv, err := redisserver.Start(chart.Options{ValuesFiles: []string{"values/dev.yaml"},
		SetValues: map[string]string{"redis.tls.reload.intervalSeconds": reloadInterval}})
	require.NoError(t, err)
	defer srv.Stop()
	client := func(cfg *tls.Config) (*redis.Client, error) {
		return srv.Client(redisserver.Client{Password: srv.Password, TLS: cfg})
	}
	proveRotation(t, datastore{
		pod:    srv.Pod,
		secret: "test-redis-tls",
		query: func(ctx context.Context, cfg *tls.Config) error {
			c, err := client(cfg)
			if err != nil {
				return err
			}
			defer c.Close()
			if err := c.Set(ctx, "rotation", "on", 0).Err(); err != nil {
				return err
			}
			return c.Get(ctx, "rotation").Err()
		},
		session: func(ctx context.Context, cfg *tls.Config) (func() (string, error), func(), error) {
			c, err := client(cfg)
			if err != nil {
				return nil, nil, err
			}
			conn := c.Conn()
			next := func() (string, error) {
				id, err := conn.ClientID(ctx).Result()
				return fmt.Sprint(id), err
			}
			return next, func() { conn.Close(); c.Close() }, nil
		},
		process: func(ctx context.Context) (string, error) {
			dir, _ := srv.MountPath("tls-secret")
			cfg, err := clientConfig(filepath.Join(dir, "ca.crt"), func(*x509.Certificate) {})
			if err != nil {
				return "", err
			}
			c, err := client(cfg)
			if err != nil {
				return "", err
			}
			defer c.Close()
			info, err := c.Info(ctx, "server").Result()
			if err != nil {
				return "", err
			}
			for _, line := range strings.Split(info, "\n") {
				if strings.HasPrefix(line, "run_id:") {
					return fmt.Sprintf("pid %d, %s", srv.Pid(), strings.TrimSpace(line)), nil
				}
			}
			return "", fmt.Errorf("no run_id in INFO server")
		},
	})
}
