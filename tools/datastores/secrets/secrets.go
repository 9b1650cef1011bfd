// Package secrets makes, once, the Secrets a GitOps install of the chart needs and cannot
// generate: with global.gitops the chart refuses to make passwords at render (a render without a
// cluster would make new ones at every sync), so they are made here, kept in git encrypted
// (Sealed Secrets, SOPS) or pushed to a secret store, and named by the values' existingSecret
// keys. To give applications exactly the connection Secrets the chart would have written, this
// renders the chart itself, without GitOps mode and without the existingSecret names, and keeps
// the Secrets that render generated: each instance's <fullname>-auth (its user's password and
// every connection string) and <fullname>-superuser, Redis's -auth and -user-<name>, and the
// metrics logins' -monitor.
package secrets

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/getter"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// Options say what to render.
type Options struct {
	Chart       string   // the chart directory or package
	ValuesFiles []string // -f
	Release     string
	Namespace   string
	CA          []byte // the CA clients trust, written as each connection Secret's ca.crt (nil: left out)
}

// Make renders the chart and returns its generated password and connection Secrets, sorted by
// name, ready to apply (no Helm ownership labels or annotations).
func Make(o Options) ([]*corev1.Secret, error) {
	chrt, err := loader.Load(o.Chart)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", o.Chart, err)
	}
	vals, err := (&values.Options{ValueFiles: o.ValuesFiles}).MergeValues(getter.Providers{})
	if err != nil {
		return nil, err
	}
	generateEverything(vals)
	if err := chartutil.ProcessDependenciesWithMerge(chrt, vals); err != nil {
		return nil, err
	}
	renderVals, err := chartutil.ToRenderValues(chrt, vals, chartutil.ReleaseOptions{Name: o.Release, Namespace: o.Namespace, IsInstall: true, Revision: 1}, chartutil.DefaultCapabilities.Copy())
	if err != nil {
		return nil, err
	}
	files, err := engine.Render(chrt, renderVals)
	if err != nil {
		return nil, err
	}
	var out []*corev1.Secret
	for name, content := range files {
		if !strings.HasSuffix(name, ".yaml") || strings.Contains(name, "/tests/") {
			continue
		}
		for _, doc := range strings.Split(content, "\n---") {
			s := &corev1.Secret{}
			if err := yaml.Unmarshal([]byte(doc), s); err != nil || s.Kind != "Secret" || !generated(s) {
				continue
			}
			clean(s)
			if isConnection(s) {
				delete(s.Data, "ca.crt")
				if o.CA != nil {
					s.Data["ca.crt"] = o.CA
				}
			}
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	if len(out) == 0 {
		return nil, fmt.Errorf("the values deploy no server whose passwords the chart would generate")
	}
	return out, nil
}

// generateEverything turns off GitOps mode and every existingSecret that names a password, so
// that the chart generates what the GitOps install will reference. TLS is left as it is: the
// certificates come from cert-manager or `datastores certs`.
func generateEverything(vals map[string]any) {
	global := child(vals, "global")
	global["gitops"] = false
	pg := child(vals, "postgres")
	unset(child(pg, "auth"), "existingSecret", "existingSuperuserSecret")
	unset(child(pg, "metrics"), "existingSecret")
	for _, raw := range child(pg, "instances") {
		if i, ok := raw.(map[string]any); ok {
			unset(child(i, "auth"), "existingSecret", "existingSuperuserSecret")
			unset(child(i, "metrics"), "existingSecret")
		}
	}
	redis := child(vals, "redis")
	auth := child(redis, "auth")
	unset(auth, "existingSecret")
	unset(child(redis, "metrics"), "existingSecret")
	if users, ok := auth["users"].([]any); ok {
		for _, raw := range users {
			if u, ok := raw.(map[string]any); ok {
				unset(u, "existingSecret")
				delete(u, "passwordKey")
			}
		}
	}
}

func child(m map[string]any, key string) map[string]any {
	if c, ok := m[key].(map[string]any); ok {
		return c
	}
	c := map[string]any{}
	m[key] = c
	return c
}

func unset(m map[string]any, keys ...string) {
	for _, k := range keys {
		m[k] = ""
	}
}

// generated: the Secrets with passwords the chart makes (TLS material is not among them).
func generated(s *corev1.Secret) bool {
	if s.Type == corev1.SecretTypeTLS || s.Annotations["datastores.io/external"] == "true" {
		return false
	}
	return s.Annotations["helm.sh/resource-policy"] == "keep"
}

func isConnection(s *corev1.Secret) bool {
	_, ok := s.Data["host"]
	return ok
}

// clean removes what ties a Secret to a Helm release.
func clean(s *corev1.Secret) {
	delete(s.Labels, "app.kubernetes.io/managed-by")
	delete(s.Labels, "helm.sh/chart")
	delete(s.Annotations, "helm.sh/resource-policy")
	if len(s.Annotations) == 0 {
		s.Annotations = nil
	}
	s.Labels["app.kubernetes.io/managed-by"] = "datastores-secrets"
}

// Write prints the Secrets as one YAML stream.
func Write(secrets []*corev1.Secret) ([]byte, error) {
	var b bytes.Buffer
	for _, s := range secrets {
		s.APIVersion, s.Kind = "v1", "Secret"
		y, err := yaml.Marshal(s)
		if err != nil {
			return nil, err
		}
		b.WriteString("---\n")
		b.Write(y)
	}
	return b.Bytes(), nil
}
