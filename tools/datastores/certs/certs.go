package certs

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Annotations and labels on the Secrets this package writes.
const (
	// RoleAnnotation marks the CA Secret ("ca"); renew finds the CA by it.
	RoleAnnotation = "datastores.io/certs"
	// NotAfterAnnotation is the certificate's expiry, as the chart writes it on its Secrets.
	NotAfterAnnotation = "datastores.io/tls-not-after"
)

// Options of issuing.
type Options struct {
	Release, Namespace string
	// KeyAlgorithm is "ecdsa" (P-256, the default: as strong as RSA-3072 and fast) or "rsa" (2048).
	KeyAlgorithm string
	// Days is the server certificates' validity (825 by default, the chart's), CADays the CA's
	// (3650).
	Days, CADays int
	Now          time.Time
}

func (o *Options) defaults() {
	if o.Days == 0 {
		o.Days = 825
	}
	if o.CADays == 0 {
		o.CADays = 3650
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
}

// CA is a certificate authority with its key.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// Issue makes a CA and a certificate for each server, and returns the CA's Secret
// ("<release>-datastores-certs-ca", not the chart's "<release>-datastores-ca", which Helm owns
// under tls.source: generate) followed by the servers' TLS Secrets.
func Issue(servers []Server, o Options) ([]corev1.Secret, error) {
	o.defaults()
	if o.KeyAlgorithm == "" {
		o.KeyAlgorithm = "ecdsa"
	}
	key, err := newKey(o.KeyAlgorithm)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: truncate(fmt.Sprintf("datastores CA %s %s/%s", o.Now.UTC().Format(time.DateOnly), o.Namespace, o.Release), 64)},
		NotBefore:             o.Now.Add(-time.Hour),
		NotAfter:              o.Now.AddDate(0, 0, o.CADays),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	caCert, err := sign(tmpl, nil, key)
	if err != nil {
		return nil, err
	}
	ca := &CA{Cert: caCert, Key: key}
	caSecret, err := secret(o.Release+"-datastores-certs-ca", o.Namespace, caCert, key, caCert)
	if err != nil {
		return nil, err
	}
	caSecret.Annotations[RoleAnnotation] = "ca"
	out := []corev1.Secret{caSecret}
	for _, s := range servers {
		leaf := &x509.Certificate{Subject: pkix.Name{CommonName: s.CommonName}, DNSNames: s.DNSNames, IPAddresses: s.IPAddresses}
		sec, err := ca.issue(s.Secret, o.Namespace, leaf, o.KeyAlgorithm, o.Days, o.Now)
		if err != nil {
			return nil, err
		}
		out = append(out, sec)
	}
	return out, nil
}

// issue signs a server certificate with the names of tmpl and returns its Secret. It never
// outlives the CA.
func (ca *CA) issue(name, namespace string, tmpl *x509.Certificate, algorithm string, days int, now time.Time) (corev1.Secret, error) {
	key, err := newKey(algorithm)
	if err != nil {
		return corev1.Secret{}, err
	}
	tmpl.NotBefore = now.Add(-time.Hour)
	tmpl.NotAfter = now.AddDate(0, 0, days)
	if tmpl.NotAfter.After(ca.Cert.NotAfter) {
		tmpl.NotAfter = ca.Cert.NotAfter
	}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	if algorithm == "rsa" {
		tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
	}
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	cert, err := sign(tmpl, ca, key)
	if err != nil {
		return corev1.Secret{}, err
	}
	return secret(name, namespace, cert, key, ca.Cert)
}

// Renew reads Secrets written by Issue (or an earlier Renew): the CA's, found by its annotation,
// and the TLS Secrets it signed; it re-issues each of those with the same names, a new key of the
// same kind (or o.KeyAlgorithm, when set) and o.Days of validity, and returns the CA's Secret unchanged
// followed by the renewed ones.
func Renew(in []corev1.Secret, o Options) ([]corev1.Secret, error) {
	o.defaults()
	var ca *CA
	var caSecret corev1.Secret
	for _, s := range in {
		if s.Annotations[RoleAnnotation] != "ca" {
			continue
		}
		cert, err := parseCert(s.Data[corev1.TLSCertKey])
		if err != nil {
			return nil, fmt.Errorf("CA Secret %s: %w", s.Name, err)
		}
		key, err := parseKey(s.Data[corev1.TLSPrivateKeyKey])
		if err != nil {
			return nil, fmt.Errorf("CA Secret %s: %w", s.Name, err)
		}
		ca, caSecret = &CA{Cert: cert, Key: key}, s
	}
	if ca == nil {
		return nil, fmt.Errorf("no CA Secret (annotation %s: ca) among the %d Secrets read: give the file `datastores certs` wrote, or its --ca-out file", RoleAnnotation, len(in))
	}
	out := []corev1.Secret{caSecret}
	for _, s := range in {
		if s.Annotations[RoleAnnotation] == "ca" {
			continue
		}
		old, err := parseCert(s.Data[corev1.TLSCertKey])
		if err != nil || old.CheckSignatureFrom(ca.Cert) != nil {
			continue // not one of this CA's
		}
		algorithm := o.KeyAlgorithm
		if algorithm == "" {
			algorithm = map[bool]string{true: "rsa", false: "ecdsa"}[old.PublicKeyAlgorithm == x509.RSA]
		}
		tmpl := &x509.Certificate{Subject: old.Subject, DNSNames: old.DNSNames, IPAddresses: old.IPAddresses}
		ns := s.Namespace
		if ns == "" {
			ns = o.Namespace
		}
		sec, err := ca.issue(s.Name, ns, tmpl, algorithm, o.Days, o.Now)
		if err != nil {
			return nil, err
		}
		for k, v := range s.Labels {
			if _, ok := sec.Labels[k]; !ok {
				sec.Labels[k] = v
			}
		}
		out = append(out, sec)
	}
	if len(out) == 1 {
		return nil, errors.New("no TLS Secret signed by the CA to renew")
	}
	return out, nil
}

func newKey(algorithm string) (crypto.Signer, error) {
	switch algorithm {
	case "ecdsa":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "rsa":
		return rsa.GenerateKey(rand.Reader, 2048)
	}
	return nil, fmt.Errorf("key algorithm %q: want ecdsa or rsa", algorithm)
}

func sign(tmpl *x509.Certificate, ca *CA, key crypto.Signer) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial
	parent, signer := tmpl, key
	if ca != nil {
		parent, signer = ca.Cert, ca.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// secret is a kubernetes.io/tls Secret: tls.crt, tls.key (PKCS#8) and ca.crt.
func secret(name, namespace string, cert *x509.Certificate, key crypto.Signer, ca *x509.Certificate) (corev1.Secret, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return corev1.Secret{}, err
	}
	return corev1.Secret{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: namespace,
			Labels:      map[string]string{"app.kubernetes.io/managed-by": "datastores-certs", "app.kubernetes.io/part-of": "datastores"},
			Annotations: map[string]string{NotAfterAnnotation: cert.NotAfter.UTC().Format(time.RFC3339)},
		},
		Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{
			corev1.TLSCertKey:       pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}),
			corev1.TLSPrivateKeyKey: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
			"ca.crt":                pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw}),
		},
	}, nil
}

func parseCert(data []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM certificate in tls.crt")
	}
	return x509.ParseCertificate(block.Bytes)
}

func parseKey(data []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM key in tls.key")
	}
	var k any
	var err error
	switch block.Type {
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%T is not a signing key", k)
	}
	return s, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Write writes Secrets as a YAML stream, without the empty fields a typed object would add.
func Write(w io.Writer, secrets []corev1.Secret) error {
	for _, s := range secrets {
		doc := map[string]any{
			"apiVersion": "v1", "kind": "Secret", "type": string(s.Type),
			"metadata": map[string]any{"name": s.Name, "namespace": s.Namespace, "labels": s.Labels, "annotations": s.Annotations},
			"data":     s.Data,
		}
		b, err := yaml.Marshal(doc)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "---\n%s", b); err != nil {
			return err
		}
	}
	return nil
}

// Read reads the Secrets of a YAML stream (other kinds are skipped).
func Read(data []byte) ([]corev1.Secret, error) {
	var out []corev1.Secret
	docs := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := docs.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		var s corev1.Secret
		if err := yaml.Unmarshal(doc, &s); err != nil {
			return nil, err
		}
		if s.Kind == "Secret" {
			out = append(out, s)
		}
	}
}
