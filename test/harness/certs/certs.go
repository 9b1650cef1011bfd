// Package certs reads the certificates the chart renders and makes the ones tests need: a CA, and
// server and client certificates signed by it, ECDSA P-256 like the chart's defaults.
package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"
)

// Parse decodes the first PEM certificate in data.
func Parse(data []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("no PEM certificate")
	}
	return x509.ParseCertificate(block.Bytes)
}

// ParseKey decodes a PEM private key in any of the forms the chart or cert-manager write
// (PKCS#8, SEC 1 "EC PRIVATE KEY", PKCS#1 "RSA PRIVATE KEY").
func ParseKey(data []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("no PEM key")
	}
	switch block.Type {
	case "EC PRIVATE KEY":
		return x509.ParseECPrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		signer, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("%T is not a signing key", k)
		}
		return signer, nil
	}
}

// Pool is a CertPool holding the PEM certificates in data.
func Pool(data []byte) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("no certificate in the CA bundle")
	}
	return pool, nil
}

// Pair is a certificate and its key, in PEM.
type Pair struct {
	CertPEM, KeyPEM []byte
	Cert            *x509.Certificate
	Key             *ecdsa.PrivateKey
}

// NewCA makes a self-signed CA, valid for a day.
func NewCA(commonName string) (*Pair, error) {
	return NewCAUntil(commonName, time.Time{})
}

// NewCAUntil makes a self-signed CA that expires at notAfter.
func NewCAUntil(commonName string, notAfter time.Time) (*Pair, error) {
	return issue(&x509.Certificate{
		NotAfter:              notAfter,
		Subject:               pkix.Name{CommonName: commonName},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}, nil)
}

// Server issues a server certificate for the given DNS names and IP addresses.
func (ca *Pair) Server(commonName string, dnsNames []string, ips ...net.IP) (*Pair, error) {
	return issue(&x509.Certificate{
		Subject:     pkix.Name{CommonName: commonName},
		DNSNames:    dnsNames,
		IPAddresses: ips,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, ca)
}

// Reissue signs a certificate with the names and usages of old that expires at notAfter: what a
// renewal makes, or, with a date in the near past or future, a certificate about to expire.
func (ca *Pair) Reissue(old *x509.Certificate, notAfter time.Time) (*Pair, error) {
	return issue(&x509.Certificate{
		Subject:     old.Subject,
		DNSNames:    old.DNSNames,
		IPAddresses: old.IPAddresses,
		KeyUsage:    old.KeyUsage,
		ExtKeyUsage: old.ExtKeyUsage,
		NotAfter:    notAfter,
	}, ca)
}

// Client issues a client certificate whose CN is the user name.
func (ca *Pair) Client(user string) (*Pair, error) {
	return issue(&x509.Certificate{
		Subject:     pkix.Name{CommonName: user},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, ca)
}

func issue(tmpl *x509.Certificate, parent *Pair) (*Pair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	if tmpl.NotAfter.IsZero() {
		tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	}
	if tmpl.NotAfter.Before(tmpl.NotBefore) {
		tmpl.NotBefore = tmpl.NotAfter.Add(-time.Hour)
	}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent.Cert, parent.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	return &Pair{
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
		Cert:    cert,
		Key:     key,
	}, nil
}

// Load makes a Pair of an existing certificate and its ECDSA key (for instance the chart's CA
// from its Secret), so tests can issue certificates from it.
func Load(certPEM, keyPEM []byte) (*Pair, error) {
	cert, err := Parse(certPEM)
	if err != nil {
		return nil, err
	}
	key, err := ParseKey(keyPEM)
	if err != nil {
		return nil, err
	}
	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("the CA key is %T, not ECDSA", key)
	}
	return &Pair{CertPEM: certPEM, KeyPEM: keyPEM, Cert: cert, Key: ec}, nil
}

// TLSCertificate is the pair as a crypto/tls client or server certificate.
func (p *Pair) TLSCertificate() (tls.Certificate, error) {
	return tls.X509KeyPair(p.CertPEM, p.KeyPEM)
}
