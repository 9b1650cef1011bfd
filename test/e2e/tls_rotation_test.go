//go:build e2e

package e2e_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/k8s"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/datastores/datastores/test/harness/certs"
	"github.com/datastores/datastores/test/harness/pgclient"
)

// rotatingServer is one server of a running release whose certificate the test changes.
type rotatingServer struct {
	name, pod, service, tlsSecret string
	port                          int
	// served is the certificate the server presents to a new TLS client at addr.
	served func(ctx context.Context, addr string, cfg *tls.Config) (*x509.Certificate, error)
	// session opens a long-lived connection; next queries it and returns the session's identity.
	session func(t *testing.T, r *release) (next func() (string, error))
}

func redisServed(ctx context.Context, addr string, cfg *tls.Config) (*x509.Certificate, error) {
	d := tls.Dialer{Config: cfg, NetDialer: &net.Dialer{Timeout: 10 * time.Second}}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return conn.(*tls.Conn).ConnectionState().PeerCertificates[0], nil
}

func rotatingServers(rel string) []rotatingServer {
	return []rotatingServer{
		{name: "postgres", pod: rel + "-postgres-app-0", service: rel + "-postgres-app", tlsSecret: rel + "-postgres-app-tls", port: 5432,
			served: pgclient.ServedCertificate,
			session: func(t *testing.T, r *release) func() (string, error) {
				conn := r.postgres(t, "app", r.caPool(t), "")
				return func() (string, error) {
					var pid int
					err := conn.QueryRow(t.Context(), "SELECT pg_backend_pid()").Scan(&pid)
					return fmt.Sprint(pid), err
				}
			}},
		{name: "redis", pod: rel + "-redis-0", service: rel + "-redis", tlsSecret: rel + "-redis-tls", port: 6379,
			served: redisServed,
			session: func(t *testing.T, r *release) func() (string, error) {
				conn := r.redis(t, string(r.secret(t, r.name+"-redis-auth").Data["password"]), false).Conn()
				t.Cleanup(func() { conn.Close() })
				return func() (string, error) {
					id, err := conn.ClientID(t.Context()).Result()
					return fmt.Sprint(id), err
				}
			}},
	}
}

// restarts is every container's restart count, and the pod's UID.
func restarts(t *testing.T, r *release, pod string) (types.UID, map[string]int32) {
	t.Helper()
	p := r.pod(t, pod)
	out := map[string]int32{}
	for _, s := range p.Status.ContainerStatuses {
		out[s.Name] = s.RestartCount
	}
	return p.UID, out
}

// waitServed polls new handshakes until the server presents want; it returns how long that took.
func waitServed(t *testing.T, s rotatingServer, addr string, cfg *tls.Config, want string) time.Duration {
	t.Helper()
	start := time.Now()
	var last string
	err := wait.PollUntilContextTimeout(t.Context(), time.Second, 4*time.Minute, true, func(ctx context.Context) (bool, error) {
		cert, err := s.served(ctx, addr, cfg)
		if err != nil {
			last = err.Error()
			return false, nil
		}
		last = fingerprintOf(cert)
		return last == want, nil
	})
	require.NoError(t, err, "%s still serves %s, not %s", s.name, last, want)
	return time.Since(start)
}

// keepQuerying runs queries on a long-lived session until stop is closed; it returns the failures,
// a changed session identity counting as one (the connection was dropped).
func keepQuerying(next func() (string, error)) (stop func() []string) {
	var mu sync.Mutex
	var failures []string
	first, err := next()
	if err != nil {
		failures = append(failures, err.Error())
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-done:
				return
			case <-time.After(500 * time.Millisecond):
			}
			id, err := next()
			mu.Lock()
			if err != nil {
				failures = append(failures, err.Error())
			} else if id != first {
				failures = append(failures, fmt.Sprintf("session %s became %s", first, id))
			}
			mu.Unlock()
		}
	}()
	return func() []string {
		close(done)
		<-finished
		mu.Lock()
		defer mu.Unlock()
		return failures
	}
}

// Updating the TLS Secret of a running release (here with a certificate from the release CA, as
// a renewal would make) reaches both servers without a restart: a new client sees the new
// certificate, an open session keeps working, and no container restarts.
func TestUpdatedTLSSecretIsServedWithoutRestart(t *testing.T) {
	e := newEnv(t, "ds-rotate")
	r := install(t, e, "rot", "dev.yaml", nil)
	caSecret := r.secret(t, "rot-datastores-ca")
	ca, err := certs.Load(caSecret.Data["tls.crt"], caSecret.Data["tls.key"])
	require.NoError(t, err)

	for _, s := range rotatingServers(r.name) {
		t.Run(s.name, func(t *testing.T) {
			addr := r.tunnel(t, s.service, s.port)
			cfg := &tls.Config{RootCAs: r.caPool(t), ServerName: r.serviceDNS(s.service), MinVersion: tls.VersionTLS12}
			secret := r.secret(t, s.tlsSecret)
			old, err := certs.Parse(secret.Data["tls.crt"])
			require.NoError(t, err)
			uid, counts := restarts(t, r, s.pod)
			stop := keepQuerying(s.session(t, r))

			renewed, err := ca.Server("", old.DNSNames, old.IPAddresses...)
			require.NoError(t, err)
			secret.Data["tls.crt"], secret.Data["tls.key"] = renewed.CertPEM, renewed.KeyPEM
			_, err = e.client.CoreV1().Secrets(e.ns).Update(t.Context(), secret, metav1.UpdateOptions{})
			require.NoError(t, err)
			updated := time.Now()
			took := waitServed(t, s, addr, cfg, fingerprint(renewed.CertPEM))
			seen := reloaderSaw(t, e, s.pod, fingerprint(renewed.CertPEM))
			t.Logf("%s: the new certificate was served %s after the Secret update; the tls-reloader saw the new files %s after it",
				s.name, took.Round(time.Second), seen.Sub(updated).Round(time.Second))
			recordTiming("%s: TLS Secret update to new certificate served in %s, of which the kubelet's volume update and the reloader's next look (10 s interval) %s",
				t.Name(), took.Round(time.Second), seen.Sub(updated).Round(time.Second))

			assert.Empty(t, stop(), "the open session kept working through the reload")
			gotUID, gotCounts := restarts(t, r, s.pod)
			assert.Equal(t, uid, gotUID, "the same pod")
			assert.Equal(t, counts, gotCounts, "no container restarted")
		})
	}
}

// reloaderSaw is when the tls-reloader logged that the Secret changed to the certificate with
// fingerprint fp (kubectl logs --timestamps), and checks that it then reloaded the server.
func reloaderSaw(t *testing.T, e *env, pod, fp string) time.Time {
	t.Helper()
	logs, err := k8s.RunKubectlAndGetOutputE(t, e.kubectl, "logs", pod, "-c", "tls-reloader", "--timestamps")
	require.NoError(t, err)
	lines := strings.Split(logs, "\n")
	for i, line := range lines {
		stamp, text, ok := strings.Cut(line, " ")
		if !ok || !strings.Contains(text, "changed: sha256 "+fp) {
			continue
		}
		require.Greater(t, len(lines), i+1, logs)
		assert.Contains(t, lines[i+1], "the server reloaded its certificate", logs)
		at, err := time.Parse(time.RFC3339Nano, stamp)
		require.NoError(t, err)
		return at
	}
	t.Fatalf("the tls-reloader never saw %s:\n%s", fp, logs)
	return time.Time{}
}

// forceRenewal asks cert-manager to renew a Certificate now, as `cmctl renew` does: an Issuing
// condition on its status.
func forceRenewal(t *testing.T, e *env, certificate string) {
	t.Helper()
	now := time.Now().UTC().Format(time.RFC3339)
	patch := fmt.Sprintf(`{"status":{"conditions":[{"type":"Issuing","status":"True","reason":"ManuallyTriggered","message":"renewal forced by the e2e suite","lastTransitionTime":%q}]}}`, now)
	k8s.RunKubectl(t, e.kubectl, "patch", "certificate", certificate, "--subresource=status", "--type=merge", "-p", patch)
}

// certManagerRotation is the cert-manager half of the rotation proof, run by TestCertManagerTLSSource.
func certManagerRotation(t *testing.T, e *env, r *release, pool *x509.CertPool) {
	for _, s := range rotatingServers(r.name) {
		t.Run("renewal reaches "+s.name, func(t *testing.T) {
			addr := r.tunnel(t, s.service, s.port)
			cfg := &tls.Config{RootCAs: pool, ServerName: r.serviceDNS(s.service), MinVersion: tls.VersionTLS12}
			before := fingerprint(r.secret(t, s.tlsSecret).Data["tls.crt"])
			uid, counts := restarts(t, r, s.pod)
			forceRenewal(t, e, s.tlsSecret)
			var renewed string
			require.NoError(t, wait.PollUntilContextTimeout(t.Context(), 2*time.Second, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
				renewed = fingerprint(r.secret(t, s.tlsSecret).Data["tls.crt"])
				return renewed != before, nil
			}), "cert-manager did not renew %s", s.tlsSecret)
			took := waitServed(t, s, addr, cfg, renewed)
			recordTiming("%s: cert-manager renewal to new certificate served in %s", t.Name(), took.Round(time.Second))
			gotUID, gotCounts := restarts(t, r, s.pod)
			assert.Equal(t, uid, gotUID)
			assert.Equal(t, counts, gotCounts, "no container restarted")
		})
	}
}

// The CA rollover of generated certificates on a running release, two upgrades: the first
// publishes the next CA beside the current one, the second lets it sign. A client that trusts the
// bundle published by the first upgrade verifies the servers all along; the servers serve
// certificates from the next CA after the second, with open sessions kept and no restart.
func TestCARolloverWithoutRestart(t *testing.T) {
	e := newEnv(t, "ds-ca-roll")
	r := install(t, e, "roll", "dev.yaml", nil)
	original := r.secret(t, "roll-datastores-ca").Data["tls.crt"]
	servers := rotatingServers(r.name)
	type watched struct {
		uid    types.UID
		counts map[string]int32
		stop   func() []string
	}
	before := map[string]watched{}
	for _, s := range servers {
		uid, counts := restarts(t, r, s.pod)
		before[s.name] = watched{uid, counts, keepQuerying(s.session(t, r))}
	}

	r.upgrade(t, map[string]string{"global.tls.generate.rotateCA": "e2e"})
	ca := r.secret(t, "roll-datastores-ca")
	require.NotEmpty(t, ca.Data["next.crt"], "the first upgrade publishes the next CA")
	assert.Equal(t, original, ca.Data["tls.crt"], "and the current CA still signs")
	next, err := certs.Parse(ca.Data["next.crt"])
	require.NoError(t, err)
	bundle := r.caPool(t) // what a client loads during the overlap: both CAs

	r.upgrade(t, map[string]string{"global.tls.generate.caOverlapDays": "0"})
	ca = r.secret(t, "roll-datastores-ca")
	assert.Equal(t, original, ca.Data["previous.crt"], "the second upgrade retires the old CA")
	nextOnly := x509.NewCertPool()
	nextOnly.AddCert(next)
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			addr := r.tunnel(t, s.service, s.port)
			cfg := &tls.Config{RootCAs: bundle, ServerName: r.serviceDNS(s.service), MinVersion: tls.VersionTLS12}
			reissued, err := certs.Parse(r.secret(t, s.tlsSecret).Data["tls.crt"])
			require.NoError(t, err)
			_, err = reissued.Verify(x509.VerifyOptions{Roots: nextOnly, DNSName: r.serviceDNS(s.service)})
			require.NoError(t, err, "the server certificate was reissued by the next CA")
			took := waitServed(t, s, addr, cfg, fingerprintOf(reissued))
			recordTiming("%s: CA switch (helm upgrade) to the next CA's certificate served in %s", t.Name(), took.Round(time.Second))

			w := before[s.name]
			assert.Empty(t, w.stop(), "the open session kept working through both upgrades")
			uid, counts := restarts(t, r, s.pod)
			assert.Equal(t, w.uid, uid, "the same pod")
			assert.Equal(t, w.counts, counts, "no container restarted")
		})
	}
}
