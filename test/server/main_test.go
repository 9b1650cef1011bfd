// Package server_test is the second test tier: the chart's rendered configuration runs on real
// PostgreSQL (and Redis) servers, and real clients prove what the first tier only reads.
//
// Each server configuration starts once and is shared by every test that needs it; all of them
// stop when the package's tests end (and with the test process, should it die).
package server_test

import (
	"context"
	"crypto/x509"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datastores/datastores/test/harness/certs"
	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/test/harness/pgserver"
)

func TestMain(m *testing.M) {
	code := m.Run()
	servers.stopAll()
	os.Exit(code)
}

// target is one instance of one values file; every PostgreSQL check runs on each.
type target struct {
	name     string
	values   string
	release  string
	instance string
}

var targets = []target{
	{"dev/app", "values/dev.yaml", "test", "app"},
	{"bakery-ia/auth", "values/bakery-ia.yaml", "bakery", "auth"},
	{"bakery-ia/alert-processor", "values/bakery-ia.yaml", "bakery", "alert-processor"},
}

// Server configurations beyond the chart's defaults.
var (
	defaults     = map[string]string{}
	tls13Minimum = map[string]string{"postgres.tls.minProtocolVersion": "TLSv1.3"}
	clientCerts  = map[string]string{"postgres.tls.clientCertificates": "true"}
)

func (tg target) options(set map[string]string) pgserver.Options {
	return pgserver.Options{
		Chart:    chart.Options{ValuesFiles: []string{tg.values}, ReleaseName: tg.release, SetValues: set},
		Instance: tg.instance,
	}
}

// requireBinaries skips the test when the server binaries are missing, except in CI
// (CI=true), where a missing binary is a failure of the CI set-up.
func requireBinaries(t *testing.T, find func() (string, error)) {
	t.Helper()
	if _, err := find(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true: %v", err)
		}
		t.Skip(err)
	}
}

// pool shares started servers between tests.
type pool struct {
	mu      sync.Mutex
	entries map[string]*entry
}

type entry struct {
	once sync.Once
	srv  interface{ Stop() }
	err  error
}

var servers = &pool{entries: map[string]*entry{}}

// shared starts a server once per key and returns it to every caller.
func shared[S interface{ Stop() }](key string, start func() (S, error)) (S, error) {
	servers.mu.Lock()
	e, ok := servers.entries[key]
	if !ok {
		e = &entry{}
		servers.entries[key] = e
	}
	servers.mu.Unlock()
	e.once.Do(func() {
		srv, err := start()
		if err == nil {
			e.srv = srv
		}
		e.err = err
	})
	if e.err != nil {
		var zero S
		return zero, e.err
	}
	return e.srv.(S), nil
}

func (p *pool) stopAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.entries {
		if e.srv != nil {
			e.srv.Stop()
		}
	}
}

// postgresServers starts (once) the given configuration for every target, in parallel, and
// returns the servers in target order.
func postgresServers(t *testing.T, config string, set map[string]string) []*pgserver.Server {
	t.Helper()
	requireBinaries(t, pgserver.Binaries)
	out := make([]*pgserver.Server, len(targets))
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, tg := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = shared(config+"/"+tg.name, func() (*pgserver.Server, error) { return pgserver.Start(tg.options(set)) })
		}()
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "start %s (%s)", targets[i].name, config)
	}
	return out
}

// forEachServer runs check as a subtest on each target's server of one configuration.
func forEachServer(t *testing.T, config string, set map[string]string, check func(t *testing.T, srv *pgserver.Server)) {
	t.Helper()
	for i, srv := range postgresServers(t, config, set) {
		t.Run(targets[i].name, func(t *testing.T) { check(t, srv) })
	}
}

// caPool is the pool of the CA in the server's TLS Secret: what a client of the chart trusts.
func caPool(t *testing.T, srv *pgserver.Server) *x509.CertPool {
	t.Helper()
	pool, err := certs.Pool(srv.CA)
	require.NoError(t, err)
	return pool
}

func ctx(t *testing.T) context.Context {
	return t.Context()
}
