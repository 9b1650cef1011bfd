package render_test

import (
	"bytes"
	"crypto/x509"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/datastores/datastores/test/harness/certs"
	"github.com/datastores/datastores/test/harness/chart"
)

// The CA rollover of generated certificates, one `helm upgrade` at a time: the CA Secret in the
// cluster is set to each state a rollover passes through, and the upgrade's render is checked.

func days(n int) time.Time { return time.Now().Add(time.Duration(n) * 24 * time.Hour) }

// caState is the CA Secret a test puts in the cluster.
type caState struct {
	current, next, previous *certs.Pair
	published               time.Time // when next was published
}

// installedWithCA is a first install's objects with the CA Secret replaced by state; the servers'
// Secrets are left as the first install made them (signed by another CA, so they are reissued).
func installedWithCA(t *testing.T, state caState) []runtime.Object {
	t.Helper()
	objs := installed(renderDev(t, nil))
	s := secretIn(t, objs, caName)
	s.Data = map[string][]byte{"tls.crt": state.current.CertPEM, "tls.key": state.current.KeyPEM}
	s.Annotations = map[string]string{}
	if state.next != nil {
		s.Data["next.crt"], s.Data["next.key"] = state.next.CertPEM, state.next.KeyPEM
		s.Annotations["datastores.io/ca-next-published"] = state.published.UTC().Format(time.RFC3339)
	}
	if state.previous != nil {
		s.Data["previous.crt"] = state.previous.CertPEM
	}
	return objs
}

func upgradeWith(t *testing.T, objs []runtime.Object, set map[string]string) *chart.Release {
	t.Helper()
	return chart.Render(t, chart.Options{ValuesFiles: []string{devValues}, Existing: objs, IsUpgrade: true, SetValues: set})
}

func newCA(t *testing.T, name string, notAfter time.Time) *certs.Pair {
	t.Helper()
	ca, err := certs.NewCAUntil(name, notAfter)
	require.NoError(t, err)
	return ca
}

// bundleOf parses a CA bundle into its certificates, in order.
func bundleOf(t *testing.T, pemData []byte) []*x509.Certificate {
	t.Helper()
	var out []*x509.Certificate
	for rest := pemData; len(bytes.TrimSpace(rest)) > 0; {
		cert, err := certs.Parse(rest)
		require.NoError(t, err)
		out = append(out, cert)
		rest = rest[bytes.Index(rest, []byte("-----END CERTIFICATE-----"))+len("-----END CERTIFICATE-----"):]
	}
	return out
}

// verifies says whether the server certificate of rel verifies for its Service name under roots.
func verifies(t *testing.T, rel *chart.Release, roots []byte) error {
	t.Helper()
	cert, err := certs.Parse(chart.Get[*corev1.Secret](t, rel, tlsSecret).Data["tls.crt"])
	require.NoError(t, err)
	pool, err := certs.Pool(roots)
	require.NoError(t, err)
	_, err = cert.Verify(x509.VerifyOptions{DNSName: devInstance + ".datastores.svc.cluster.local", Roots: pool})
	return err
}

// Within caRenewBeforeDays of the CA's expiry, an upgrade publishes the next CA beside it: the
// bundle (CA Secret, ConfigMap, each server Secret) holds both, and the current CA still signs.
func TestNextCAIsPublishedBeforeTheCAExpires(t *testing.T) {
	current := newCA(t, "current", days(200))
	rel := upgradeWith(t, installedWithCA(t, caState{current: current}), nil)

	ca := chart.Get[*corev1.Secret](t, rel, caName)
	assert.Equal(t, current.CertPEM, ca.Data["tls.crt"], "the current CA still signs")
	require.NotEmpty(t, ca.Data["next.crt"])
	require.NotEmpty(t, ca.Data["next.key"])
	published, err := time.Parse(time.RFC3339, ca.Annotations["datastores.io/ca-next-published"])
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now(), published, time.Minute)
	bundle := bundleOf(t, ca.Data["ca.crt"])
	require.Len(t, bundle, 2)
	assert.Equal(t, current.Cert.Raw, bundle[0].Raw)
	next, err := certs.Parse(ca.Data["next.crt"])
	require.NoError(t, err)
	assert.Equal(t, next.Raw, bundle[1].Raw)
	assert.True(t, next.IsCA)
	assert.NotEqual(t, current.Cert.Subject.CommonName, next.Subject.CommonName, "the two CAs are told apart by name")

	assert.Equal(t, string(ca.Data["ca.crt"]), chart.Get[*corev1.ConfigMap](t, rel, caName).Data["ca.crt"], "clients get the bundle")
	assert.Equal(t, ca.Data["ca.crt"], chart.Get[*corev1.Secret](t, rel, tlsSecret).Data["ca.crt"])
	assert.NoError(t, verifies(t, rel, current.CertPEM), "signed by the current CA")
	server, err := certs.Parse(chart.Get[*corev1.Secret](t, rel, tlsSecret).Data["tls.crt"])
	require.NoError(t, err)
	assert.False(t, server.NotAfter.After(current.Cert.NotAfter), "a certificate never outlives its CA")
}

// caOverlapDays after the next CA was published, an upgrade lets it sign: every server certificate
// is reissued by it, and a client that loaded the bundle of the overlap verifies them, while the
// old CA stays in the bundle for certificates clients may still be shown.
func TestNextCASignsAfterTheOverlap(t *testing.T) {
	current := newCA(t, "current", days(300))
	next := newCA(t, "next", days(3650))
	rel := upgradeWith(t, installedWithCA(t, caState{current: current, next: next, published: days(-31)}), nil)

	ca := chart.Get[*corev1.Secret](t, rel, caName)
	assert.Equal(t, next.CertPEM, ca.Data["tls.crt"])
	assert.Equal(t, next.KeyPEM, ca.Data["tls.key"])
	assert.Equal(t, current.CertPEM, ca.Data["previous.crt"])
	assert.Empty(t, ca.Data["next.crt"])
	assert.NotContains(t, ca.Annotations, "datastores.io/ca-next-published")
	bundle := bundleOf(t, ca.Data["ca.crt"])
	require.Len(t, bundle, 2)
	assert.Equal(t, next.Cert.Raw, bundle[0].Raw)
	assert.Equal(t, current.Cert.Raw, bundle[1].Raw)

	overlapBundle := append(append([]byte{}, current.CertPEM...), next.CertPEM...)
	assert.NoError(t, verifies(t, rel, overlapBundle), "a client with the overlap's bundle")
	assert.NoError(t, verifies(t, rel, next.CertPEM))
	assert.Error(t, verifies(t, rel, current.CertPEM), "reissued by the next CA")
	for _, s := range chart.All[*corev1.Secret](rel) {
		if s.Type == corev1.SecretTypeTLS && s.Name != caName {
			assert.Equal(t, ca.Data["ca.crt"], s.Data["ca.crt"], s.Name)
		}
	}
}

// The state of the rollover after one upgrade, for each starting point.
func TestCARolloverSteps(t *testing.T) {
	tests := []struct {
		name      string
		state     func(t *testing.T) caState
		set       map[string]string
		signer    string // the CA that signs after the upgrade: current or next, or new for a CA not in the state
		next      bool   // a next CA is published
		previous  string // the CA kept as previous, "" for none
		bundleLen int
	}{
		{"far from expiry: nothing changes", func(t *testing.T) caState {
			return caState{current: newCA(t, "current", days(1000))}
		}, nil, "current", false, "", 1},
		{"inside the overlap: the next CA waits", func(t *testing.T) caState {
			return caState{current: newCA(t, "current", days(300)), next: newCA(t, "next", days(3650)), published: days(-10)}
		}, nil, "current", true, "", 2},
		{"no overlap asked: the next CA signs at the next upgrade", func(t *testing.T) caState {
			return caState{current: newCA(t, "current", days(300)), next: newCA(t, "next", days(3650)), published: days(0)}
		}, map[string]string{"global.tls.generate.caOverlapDays": "0"}, "next", false, "current", 2},
		{"a longer caRenewBeforeDays starts the rollover earlier", func(t *testing.T) caState {
			return caState{current: newCA(t, "current", days(1000))}
		}, map[string]string{"global.tls.generate.caRenewBeforeDays": "1500"}, "current", true, "", 2},
		{"an expired previous CA leaves the bundle", func(t *testing.T) caState {
			return caState{current: newCA(t, "current", days(3000)), previous: newCA(t, "old", days(-1))}
		}, nil, "current", false, "", 1},
		{"a previous CA still valid stays", func(t *testing.T) caState {
			return caState{current: newCA(t, "current", days(3000)), previous: newCA(t, "old", days(20))}
		}, nil, "current", false, "previous", 2},
		{"a CA about to expire with no next one is replaced at once", func(t *testing.T) caState {
			return caState{current: newCA(t, "current", days(10))}
		}, nil, "new", false, "current", 2},
		{"an expired CA is replaced at once", func(t *testing.T) caState {
			return caState{current: newCA(t, "current", days(-1))}
		}, nil, "new", false, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state := tt.state(t)
			rel := upgradeWith(t, installedWithCA(t, state), tt.set)
			ca := chart.Get[*corev1.Secret](t, rel, caName)

			known := map[string]*certs.Pair{"current": state.current, "next": state.next, "previous": state.previous}
			switch tt.signer {
			case "new":
				for name, p := range known {
					if p != nil {
						assert.NotEqual(t, p.CertPEM, ca.Data["tls.crt"], "a new CA, not %s", name)
					}
				}
			default:
				assert.Equal(t, known[tt.signer].CertPEM, ca.Data["tls.crt"])
			}
			assert.Equal(t, tt.next, len(ca.Data["next.crt"]) > 0, "next CA published")
			if tt.previous == "" {
				assert.Empty(t, ca.Data["previous.crt"])
			} else {
				assert.Equal(t, known[tt.previous].CertPEM, ca.Data["previous.crt"])
			}
			assert.Len(t, bundleOf(t, ca.Data["ca.crt"]), tt.bundleLen)
			assert.NoError(t, verifies(t, rel, ca.Data["tls.crt"]), "server certificates chain to the signing CA")
			assert.NoError(t, verifies(t, rel, ca.Data["ca.crt"]))
		})
	}
}

// The rollover settings are checked against each other: the next CA must sign while the current
// one still has more than renewBeforeDays.
func TestCARolloverSettingsAreChecked(t *testing.T) {
	tests := []struct {
		name string
		set  map[string]string
		want string
	}{
		{"rollover starts after the renewal window", map[string]string{"global.tls.generate.caRenewBeforeDays": "20"}, "global.tls.generate.caRenewBeforeDays is 20: give a whole number from 31 to 3649"},
		{"overlap too long", map[string]string{"global.tls.generate.caOverlapDays": "340"}, "global.tls.generate.caOverlapDays is 340: give a whole number from 0 to 334"},
		{"rollover as long as the CA", map[string]string{"global.tls.generate.caRenewBeforeDays": "3650"}, "global.tls.generate.caRenewBeforeDays"},
		{"a rotation token with a line break", map[string]string{"global.tls.generate.rotateCA": "a\nb"}, "rotateCA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := chart.RenderE(chart.Options{ValuesFiles: []string{devValues}, SetValues: tt.set})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// NOTES say when the CA expires and, during a rollover, from when the next CA signs.
func TestNotesShowTheCARollover(t *testing.T) {
	rel := upgradeWith(t, installedWithCA(t, caState{current: newCA(t, "current", days(300)), next: newCA(t, "next", days(3650)), published: days(-10)}), nil)
	assert.Contains(t, rel.Notes, "release CA expires ")
	assert.Contains(t, rel.Notes, "CA rollover: the next CA was published "+days(-10).UTC().Format("2006-01-02"))
	assert.Contains(t, rel.Notes, "from the first helm upgrade after "+days(20).UTC().Format("2006-01-02"))

	assert.NotContains(t, renderDev(t, nil).Notes, "CA rollover")
}

// A new rotateCA value starts a rollover at once, whatever the CA's age; the value is recorded,
// so the next upgrade with the same value starts no other.
func TestRotateCAStartsARolloverOnce(t *testing.T) {
	current := newCA(t, "current", days(3000))
	rel := upgradeWith(t, installedWithCA(t, caState{current: current}), map[string]string{"global.tls.generate.rotateCA": "2026-12-04"})
	ca := chart.Get[*corev1.Secret](t, rel, caName)
	require.NotEmpty(t, ca.Data["next.crt"], "the next CA is published")
	assert.Equal(t, current.CertPEM, ca.Data["tls.crt"])
	assert.Equal(t, "2026-12-04", ca.Annotations["datastores.io/ca-rotate"])

	// After the switch, the same value must not start another rollover.
	objs := installedWithCA(t, caState{current: newCA(t, "next", days(3650)), previous: current})
	secretIn(t, objs, caName).Annotations["datastores.io/ca-rotate"] = "2026-12-04"
	again := chart.Get[*corev1.Secret](t, upgradeWith(t, objs, map[string]string{"global.tls.generate.rotateCA": "2026-12-04"}), caName)
	assert.Empty(t, again.Data["next.crt"])

	fresh := chart.Get[*corev1.Secret](t, renderDev(t, map[string]string{"global.tls.generate.rotateCA": "2026-12-04"}), caName)
	assert.Empty(t, fresh.Data["next.crt"], "a new install has nothing to rotate")
	assert.Equal(t, "2026-12-04", fresh.Annotations["datastores.io/ca-rotate"])
}
