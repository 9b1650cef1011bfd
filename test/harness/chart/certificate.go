package chart

import (
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Certificate is the part of cert-manager's Certificate (cert-manager.io/v1) the chart renders.
// Declared here rather than imported: cert-manager's module would pull in its controllers. A field
// the chart renders that is not declared here fails strict decoding, so keep it in step with
// https://cert-manager.io/docs/reference/api-docs/#cert-manager.io/v1.CertificateSpec.
type Certificate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              CertificateSpec `json:"spec"`
}

// CertificateSpec is cert-manager's CertificateSpec, as far as the chart uses it.
type CertificateSpec struct {
	SecretName  string                 `json:"secretName"`
	CommonName  string                 `json:"commonName,omitempty"`
	DNSNames    []string               `json:"dnsNames,omitempty"`
	IPAddresses []string               `json:"ipAddresses,omitempty"`
	Duration    string                 `json:"duration,omitempty"`
	RenewBefore string                 `json:"renewBefore,omitempty"`
	PrivateKey  *CertificatePrivateKey `json:"privateKey,omitempty"`
	Usages      []string               `json:"usages,omitempty"`
	IsCA        bool                   `json:"isCA,omitempty"`
	IssuerRef   IssuerReference        `json:"issuerRef"`
}

// CertificatePrivateKey is cert-manager's CertificatePrivateKey.
type CertificatePrivateKey struct {
	Algorithm      string `json:"algorithm,omitempty"`
	Size           int    `json:"size,omitempty"`
	RotationPolicy string `json:"rotationPolicy,omitempty"`
	Encoding       string `json:"encoding,omitempty"`
}

// IssuerReference is cert-manager's ObjectReference to an Issuer.
type IssuerReference struct {
	Name  string `json:"name"`
	Kind  string `json:"kind,omitempty"`
	Group string `json:"group,omitempty"`
}

// DeepCopyObject implements runtime.Object.
func (c *Certificate) DeepCopyObject() runtime.Object {
	out := &Certificate{}
	b, _ := json.Marshal(c)
	_ = json.Unmarshal(b, out)
	return out
}

// Validate checks the Certificate against what cert-manager's webhook and its issuers refuse
// (https://cert-manager.io/docs/usage/certificate/ and the CertificateSpec reference): a secretName
// that is a valid Secret name, at least one of commonName and dnsNames/ipAddresses, a commonName
// of at most 64 bytes (the X.509 upper bound, ub-common-name), valid DNS names and IPs, a duration
// of at least one hour, renewBefore shorter than duration, an issuer, a known key algorithm and
// size, and never a CA.
func (c *Certificate) Validate() field.ErrorList {
	var errs field.ErrorList
	spec := field.NewPath("spec")
	for _, msg := range validation.IsDNS1123Subdomain(c.Name) {
		errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), c.Name, msg))
	}
	if c.Namespace == "" {
		errs = append(errs, field.Required(field.NewPath("metadata", "namespace"), ""))
	}
	for _, msg := range validation.IsDNS1123Subdomain(c.Spec.SecretName) {
		errs = append(errs, field.Invalid(spec.Child("secretName"), c.Spec.SecretName, msg))
	}
	if c.Spec.CommonName == "" && len(c.Spec.DNSNames) == 0 && len(c.Spec.IPAddresses) == 0 {
		errs = append(errs, field.Required(spec, "at least one of commonName, dnsNames or ipAddresses"))
	}
	if len(c.Spec.CommonName) > 64 {
		errs = append(errs, field.TooLong(spec.Child("commonName"), c.Spec.CommonName, 64))
	}
	for i, name := range c.Spec.DNSNames {
		for _, msg := range validation.IsDNS1123Subdomain(strings.TrimPrefix(name, "*.")) {
			errs = append(errs, field.Invalid(spec.Child("dnsNames").Index(i), name, msg))
		}
	}
	for i, ip := range c.Spec.IPAddresses {
		if net.ParseIP(ip) == nil {
			errs = append(errs, field.Invalid(spec.Child("ipAddresses").Index(i), ip, "not an IP address"))
		}
	}
	duration := 90 * 24 * time.Hour // cert-manager's default
	if c.Spec.Duration != "" {
		d, err := time.ParseDuration(c.Spec.Duration)
		switch {
		case err != nil:
			errs = append(errs, field.Invalid(spec.Child("duration"), c.Spec.Duration, err.Error()))
		case d < time.Hour:
			errs = append(errs, field.Invalid(spec.Child("duration"), c.Spec.Duration, "cert-manager refuses a duration under 1h"))
		default:
			duration = d
		}
	}
	if c.Spec.RenewBefore != "" {
		d, err := time.ParseDuration(c.Spec.RenewBefore)
		switch {
		case err != nil:
			errs = append(errs, field.Invalid(spec.Child("renewBefore"), c.Spec.RenewBefore, err.Error()))
		case d < 5*time.Minute:
			errs = append(errs, field.Invalid(spec.Child("renewBefore"), c.Spec.RenewBefore, "cert-manager refuses a renewBefore under 5m"))
		case d >= duration:
			errs = append(errs, field.Invalid(spec.Child("renewBefore"), c.Spec.RenewBefore, "must be shorter than duration"))
		}
	}
	if c.Spec.IssuerRef.Name == "" {
		errs = append(errs, field.Required(spec.Child("issuerRef", "name"), ""))
	}
	if c.Spec.IsCA {
		errs = append(errs, field.Forbidden(spec.Child("isCA"), "a server or client certificate must not be a CA"))
	}
	if k := c.Spec.PrivateKey; k != nil {
		sizes := map[string][]int{"RSA": {0, 2048, 3072, 4096}, "ECDSA": {0, 256, 384, 521}, "Ed25519": {0}}
		allowed, ok := sizes[k.Algorithm]
		if !ok {
			errs = append(errs, field.NotSupported(spec.Child("privateKey", "algorithm"), k.Algorithm, []string{"RSA", "ECDSA", "Ed25519"}))
		} else if !slices.Contains(allowed, k.Size) {
			errs = append(errs, field.Invalid(spec.Child("privateKey", "size"), k.Size, fmt.Sprintf("%s keys take %v", k.Algorithm, allowed[1:])))
		}
		if k.RotationPolicy != "" && k.RotationPolicy != "Always" && k.RotationPolicy != "Never" {
			errs = append(errs, field.NotSupported(spec.Child("privateKey", "rotationPolicy"), k.RotationPolicy, []string{"Always", "Never"}))
		}
	}
	return errs
}
