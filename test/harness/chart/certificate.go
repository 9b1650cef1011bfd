package chart

import (
	"encoding/json"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
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
