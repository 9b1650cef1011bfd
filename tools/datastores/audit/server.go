package audit

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/datastores/datastores/tools/datastores/discover"
	"github.com/datastores/datastores/tools/datastores/grade"
	"github.com/datastores/datastores/tools/datastores/inventory"
)

// minPasswordLength is the checklist's: 32 random characters.
const minPasswordLength = 32

// credentials checks the length of every password the manifests give the server, and that none
// is visible outside a Secret.
func (a *auditor) credentials(s *discover.Server) {
	t, k := s.Target(), s.Kind
	if len(s.Credentials) == 0 {
		a.unknown("password-weak", t, FromConfig, k, "no password found in the manifests")
	}
	for _, c := range s.Credentials {
		who := c.Source
		if c.User != "" {
			who = fmt.Sprintf("%s (user %s)", c.Source, c.User)
		}
		if n := len([]rune(c.Password)); n < minPasswordLength {
			a.fail("password-weak", t, FromConfig, k, "%s: %d characters", who, n)
		} else {
			a.pass("password-weak", t, FromConfig, k, "%s: %d characters", who, n)
		}
	}
	if len(s.Exposed) > 0 {
		a.fail("password-exposed", t, FromConfig, k, "%s", strings.Join(s.Exposed, "; "))
	} else {
		a.pass("password-exposed", t, FromConfig, k, "passwords come from Secrets only")
	}
}

// data checks that the data directory is on a claim.
func (a *auditor) data(s *discover.Server) {
	t, k := s.Target(), s.Kind
	f := s.Data
	switch f.Kind {
	case inventory.KindClaimTemplate, inventory.KindClaim:
		a.pass("data-ephemeral", t, FromConfig, k, "%s is on %s %q", s.DataPath, f.Kind, f.Object)
		return
	case inventory.KindNone:
		a.failData(s, "%s is on no volume: the container's own file system", s.DataPath)
	case inventory.KindEmptyDir, inventory.KindEphemeral:
		a.failData(s, "%s is on %s volume %q", s.DataPath, f.Kind, f.Volume)
	case inventory.KindHostPath:
		a.pass("data-ephemeral", t, FromConfig, k, "%s is on hostPath %s (kept on that node only)", s.DataPath, f.Object)
	default:
		a.pass("data-ephemeral", t, FromConfig, k, "%s is on volume %q", s.DataPath, f.Volume)
	}
}

// failData fails data-ephemeral: critical for PostgreSQL, high for Redis (often a cache that
// can be refilled).
func (a *auditor) failData(s *discover.Server, format string, args ...any) {
	sev := grade.Critical
	if s.Kind == discover.Redis {
		sev = grade.High
	}
	a.failAs(sev, "data-ephemeral", s.Target(), FromConfig, s.Kind, format, args...)
}

// certificate checks a server certificate (from its Secret, or as served) against the CAs
// clients get, the Service names and the clock.
func (a *auditor) certificate(s *discover.Server, source, what string, leaf *x509.Certificate, chain, cas []*x509.Certificate) {
	t, k, now := s.Target(), s.Kind, a.opts.Now
	expired := now.After(leaf.NotAfter)
	switch left := leaf.NotAfter.Sub(now); {
	case expired:
		a.fail("cert-expired", t, source, k, "%s expired on %s", what, leaf.NotAfter.UTC().Format(time.DateOnly))
	case left < 30*24*time.Hour:
		a.pass("cert-expired", t, source, k, "%s is valid until %s", what, leaf.NotAfter.UTC().Format(time.DateOnly))
		a.fail("cert-expiring", t, source, k, "%s expires on %s, in %d days", what, leaf.NotAfter.UTC().Format(time.DateOnly), int(left.Hours()/24))
	default:
		a.pass("cert-expired", t, source, k, "%s is valid until %s (%d days)", what, leaf.NotAfter.UTC().Format(time.DateOnly), int(left.Hours()/24))
	}

	roots := x509.NewCertPool()
	for _, c := range append(append([]*x509.Certificate{}, cas...), a.opts.ExtraCAs...) {
		roots.AddCert(c)
	}
	trusted := "the published CA"
	if len(cas)+len(a.opts.ExtraCAs) == 0 {
		if sys, err := x509.SystemCertPool(); err == nil {
			roots, trusted = sys, "the system's CAs (no ca.crt is published beside it)"
		}
	}
	inter := x509.NewCertPool()
	for _, c := range chain {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	var invalid x509.CertificateInvalidError
	switch {
	case err == nil:
		a.pass("cert-chain", t, source, k, "%s verifies against %s", what, trusted)
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		// Reported as cert-expired. Whether the right CA signed it is still worth knowing: the
		// signature is checked without the clock.
		if signedBy(leaf, append(append(append([]*x509.Certificate{}, chain...), cas...), a.opts.ExtraCAs...)) {
			a.pass("cert-chain", t, source, k, "%s was signed by %s", what, trusted)
		} else {
			a.fail("cert-chain", t, source, k, "%s was not signed by %s", what, trusted)
		}
	default:
		a.fail("cert-chain", t, source, k, "%s does not verify against %s: %v", what, trusted, err)
	}

	if len(s.Names) == 0 {
		a.unknown("cert-names", t, source, k, "no Service selects the pod: no names to check")
		return
	}
	var missing []string
	bare := 0 // Services none of whose names the certificate covers
	for i := 0; i < len(s.Names); i += 4 {
		covered := 0
		for _, n := range s.Names[i : i+4] {
			if leaf.VerifyHostname(n) != nil {
				missing = append(missing, n)
			} else {
				covered++
			}
		}
		if covered == 0 {
			bare++
		}
	}
	switch {
	case len(missing) == 0:
		a.pass("cert-names", t, source, k, "%s covers every Service name (%d)", what, len(s.Names))
	case bare > 0:
		a.fail("cert-names", t, source, k, "%s does not cover %s (it has %s)", what, strings.Join(missing, ", "), sans(leaf))
	default:
		a.failAs(grade.Medium, "cert-names", t, source, k, "%s misses some forms of the Service names: %s", what, strings.Join(missing, ", "))
	}
}

// signedBy reports whether one of the certificates signed c.
func signedBy(c *x509.Certificate, issuers []*x509.Certificate) bool {
	for _, i := range issuers {
		if c.CheckSignatureFrom(i) == nil {
			return true
		}
	}
	return false
}

func sans(c *x509.Certificate) string {
	var out []string
	out = append(out, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	if len(out) == 0 {
		return "no SANs, CN " + c.Subject.CommonName
	}
	return strings.Join(out, ", ")
}

// keyFile checks the private key's mode inside the running container: PostgreSQL refuses a key
// that group or others can read unless root owns it (then 0640 is allowed); a Redis key should
// be no looser. Without exec the check is unknown; a key read straight from a Secret volume is
// judged by the volume's mode.
func (a *auditor) keyFile(ctx context.Context, s *discover.Server) {
	t, k := s.Target(), s.Kind
	if s.KeyFile == "" {
		a.unknown("key-permissions", t, FromConfig, k, "no key file is configured")
		return
	}
	if f := a.inv.Lookup(s.Workload, &s.Container, s.KeyFile); f.Kind == inventory.KindSecret {
		if looseKey(f.Mode, 0) {
			a.fail("key-permissions", t, FromConfig, k, "%s is read straight from Secret %q with mode %04o", s.KeyFile, f.Object, f.Mode)
			return
		}
	}
	if a.opts.Exec == nil {
		a.cannotRun("key-permissions", FromCluster, "the key file's mode is checked in the running pod, in a live namespace only")
		return
	}
	out, err := a.opts.Exec(ctx, s, []string{"stat", "-L", "-c", "%a %u", s.KeyFile})
	fields := strings.Fields(out)
	if err != nil || len(fields) != 2 {
		a.unknown("key-permissions", t, FromCluster, k, "stat %s in the pod: %v %s", s.KeyFile, err, strings.TrimSpace(out))
		return
	}
	mode, err1 := strconv.ParseInt(fields[0], 8, 32)
	uid, err2 := strconv.Atoi(fields[1])
	if err1 != nil || err2 != nil {
		a.unknown("key-permissions", t, FromCluster, k, "stat %s: unexpected output %q", s.KeyFile, out)
		return
	}
	if looseKey(int32(mode), uid) {
		a.fail("key-permissions", t, FromCluster, k, "%s has mode %04o, owner uid %d", s.KeyFile, mode, uid)
	} else {
		a.pass("key-permissions", t, FromCluster, k, "%s has mode %04o, owner uid %d", s.KeyFile, mode, uid)
	}
}

// looseKey is PostgreSQL's rule: no access for group or others, except group read when root owns
// the file (Secret volume files belong to root).
func looseKey(mode int32, uid int) bool {
	if uid == 0 {
		return mode&0o037 != 0
	}
	return mode&0o077 != 0
}

// claims checks, in a live namespace, that the server's claims are Bound.
func (a *auditor) claims(s *discover.Server) {
	t, k := s.Target(), s.Kind
	var names []string
	w := s.Workload
	for _, tmpl := range w.ClaimTemplates {
		for i := int32(0); i < w.Replicas; i++ {
			names = append(names, fmt.Sprintf("%s-%s-%d", tmpl.Name, w.Name, i))
		}
	}
	for _, v := range w.Template.Spec.Volumes {
		if v.PersistentVolumeClaim != nil {
			names = append(names, v.PersistentVolumeClaim.ClaimName)
		}
	}
	if len(names) == 0 {
		return
	}
	if !a.inv.Live {
		a.cannotRun("pvc-unbound", FromCluster, "claim status is checked in a live namespace only")
		return
	}
	for _, n := range names {
		switch c := a.inv.PVC(w.Namespace, n); {
		case c == nil:
			a.fail("pvc-unbound", t, FromCluster, k, "claim %q does not exist", n)
		case c.Status.Phase != corev1.ClaimBound:
			a.fail("pvc-unbound", t, FromCluster, k, "claim %q is %s", n, c.Status.Phase)
		default:
			a.pass("pvc-unbound", t, FromCluster, k, "claim %q is Bound (%s)", n, c.Spec.VolumeName)
		}
	}
}
