// Package k8sschema turns the Kubernetes API's own type definitions into the JSON Schema the
// chart types its pass-through values with (tolerations, affinity, extraVolumes, sidecars, ...).
//
// The source is the OpenAPI definitions compiled into k8s.io/kubernetes (pkg/generated/openapi,
// pinned in go.mod), which, unlike the published JSON documents, carry the enums. What the
// definitions do not say, the rules table below adds, each with the API server's validation
// function it comes from: name formats, ranges, exactly-one-of choices are checked where the
// chart's templates can check them too (common.k8s.check walks the same definitions), and the
// chart's own policy narrows a few types (only the volume types the restricted Pod Security
// profile allows, no service-account token projection, no host ports).
//
// The output is used twice from one source: as "definitions" in each subchart's
// values.schema.json (helm install refuses a wrong value before rendering), and as the
// "common.k8s.definitions" template of the library chart, which the templates walk so that a
// render without the schema (--skip-schema-validation) refuses the same values.
package k8sschema

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/kube-openapi/pkg/common"
	"k8s.io/kube-openapi/pkg/validation/spec"
	"k8s.io/kubernetes/pkg/generated/openapi"
)

// Roots are the types the chart's values pass through to rendered objects.
var Roots = []string{
	"io.k8s.api.core.v1.PodSpec",
	"io.k8s.api.core.v1.EnvVar",
	"io.k8s.api.core.v1.Volume",
	"io.k8s.api.core.v1.VolumeMount",
	"io.k8s.api.core.v1.Container",
	"io.k8s.api.core.v1.ResourceRequirements",
	"io.k8s.api.networking.v1.NetworkPolicyPeer",
	"io.k8s.api.networking.v1.NetworkPolicyIngressRule",
	"io.k8s.api.networking.v1.NetworkPolicyEgressRule",
}

// Formats of names and values the API server checks (k8s.io/apimachinery/pkg/util/validation and
// pkg/apis/core/validation), each a pattern, a maximum length and what to tell the user.
type format struct {
	re   string
	max  int
	hint string
}

// orEmpty: the format, or "" (a field whose empty value has a meaning, like a toleration's key).
func (f format) orEmpty() format { f.re = "^$|" + f.re; return f }

func (f format) schema() map[string]any {
	m := map[string]any{"pattern": f.re, "description": f.hint}
	if f.max > 0 {
		m["maxLength"] = f.max
	}
	return m
}

var (
	// IsQualifiedName: an optional DNS subdomain prefix and '/', then a name of at most 63.
	qualifiedName = format{`^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`, 316,
		"a label name: an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit"}
	// IsValidLabelValue: empty, or at most 63 of these, starting and ending alphanumeric.
	labelValue = format{`^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$`, 63,
		"a label value: at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit"}
	// IsDNS1123Label.
	dnsLabel = format{`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`, 63, "a DNS label: lower-case letters, digits and '-', at most 63"}
	// IsDNS1123Subdomain (object names of Secrets, ConfigMaps, claims).
	dnsSubdomain = format{`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`, 253,
		"an object name: lower-case letters, digits, '-' and '.', at most 253"}
	// IsValidPortName (IANA_SVC_NAME): at most 15 of a-z, 0-9 and '-', a letter among them,
	// no '-' at either end or twice in a row.
	portName = format{`^([0-9]+-)*[0-9]*[a-z][a-z0-9]*(-[a-z0-9]+)*$`, 15,
		"a port number, or a port name: at most 15 lower-case letters, digits and '-', with a letter"}
	// IsEnvVarName (relaxed since 1.34 to printable ASCII but '='); the chart keeps the names
	// every shell can use.
	envVarName = format{`^[-._a-zA-Z][-._a-zA-Z0-9]*$`, 256, "an environment variable name: letters, digits, '_', '-' and '.', not starting with a digit"}
	// IsConfigMapKey.
	configMapKey = format{`^[-._a-zA-Z0-9]+$`, 253, "a key: letters, digits, '-', '_' and '.'"}
	// validateLocalDescendingPath: relative, no '..' element.
	relativePath = format{`^(([^/.][^/]*|\.[^/.][^/]*|\.\.[^/]+)(/([^/.][^/]*|\.[^/.][^/]*|\.\.[^/]+))*)$`, 4096,
		"a relative path without '..' elements"}
	// An absolute path without control characters or ':' (the chart compares mount paths
	// cleaned, see common.extras.validate).
	absolutePath = format{`^/[^\x00-\x1f\x7f:]*$`, 4096, "an absolute path"}
	// resource.ParseQuantity, without a sign: requests, limits and sizes are never negative.
	quantity = format{`^([0-9]+(\.[0-9]*)?|\.[0-9]+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?$`, 64, "a quantity such as 100m, 256Mi or 1Gi"}
	// IsValidCIDR, IPv4 or IPv6 (the address itself is checked by common.k8s.cidr).
	cidr = format{`^([0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}|[0-9a-fA-F:]*:[0-9a-fA-F:]*/[0-9]{1,3})$`, 64,
		"a CIDR such as 10.0.0.0/8 or fd00::/8"}
	// The fieldRef paths the API server takes for an environment variable or downward API file.
	fieldPath = format{`^(metadata\.(name|namespace|uid|labels|annotations|labels\['[^'\]]+'\]|annotations\['[^'\]]+'\])|spec\.(nodeName|serviceAccountName)|status\.(hostIP|hostIPs|podIP|podIPs))$`, 316,
		"a pod field: metadata.name, metadata.namespace, metadata.uid, metadata.labels['...'], metadata.annotations['...'], spec.nodeName, spec.serviceAccountName, status.hostIP(s) or status.podIP(s)"}
	// A resource name in requests and limits (validateContainerResourceName).
	resourceName = format{`^(cpu|memory|ephemeral-storage|hugepages-[0-9]+([KMGTPE]i)?)$`, 63, "cpu, memory, ephemeral-storage or hugepages-<size>"}
	// An image reference without white space (the chart also requires it pinned).
	image = format{`^[^\s]+$`, 1024, "an image reference"}
	// An HTTP path.
	httpPath = format{`^/[^\s]*$`, 4096, "an absolute HTTP path"}
	// An HTTP header name (RFC 7230 token).
	headerName = format{"^[-A-Za-z0-9!#$%&'*+.^_`|~]+$", 256, "an HTTP header name"}
)

// A rule narrows one definition: which properties stay, and constraints on some of them.
type rule struct {
	// keep: the only properties kept (nil: all). The others are refused, or with policy true
	// left untyped ({}): the chart's templates refuse them first, with the chart's own reason
	// (a hostPath volume, a host port, a privileged sidecar).
	keep   []string
	policy bool
	// required: properties that must be given, beyond the definition's own.
	required []string
	// props: constraints on a property (pattern, range, enum), as JSON Schema keywords.
	props map[string]map[string]any
	// keys: constraints on the keys of a map-valued property (propertyNames).
	keys map[string]map[string]any
	// values: constraints on the values of a map-valued property.
	values map[string]map[string]any
	// items: constraints on the items of a list-of-strings property.
	items map[string]map[string]any
}

func between(lo, hi int64) map[string]any { return map[string]any{"minimum": lo, "maximum": hi} }

func enum(values ...string) map[string]any {
	out := make([]any, len(values))
	for i, v := range values {
		out[i] = v
	}
	return map[string]any{"enum": out}
}

// rules, by definition name. Each constraint is what the API server's validation (or the
// chart's policy, where it says so) requires; references are to k8s.io/kubernetes
// pkg/apis/core/validation and pkg/apis/networking/validation.
var rules = map[string]rule{
	"io.k8s.api.core.v1.PodSpec": {
		// The scheduling fields values pass through (common.workload.podSpec).
		keep:   []string{"nodeSelector", "tolerations", "affinity", "topologySpreadConstraints"},
		keys:   map[string]map[string]any{"nodeSelector": qualifiedName.schema()},
		values: map[string]map[string]any{"nodeSelector": labelValue.schema()},
	},
	"io.k8s.api.core.v1.Toleration": {
		// validateTolerations: key a qualified name, value a label value; Lt and Gt need the
		// TaintTolerationComparisonOperators feature gate (alpha), so the chart refuses them.
		props: map[string]map[string]any{
			"key":      qualifiedName.orEmpty().schema(),
			"value":    labelValue.schema(),
			"operator": enum("Equal", "Exists"),
		},
	},
	"io.k8s.api.core.v1.TopologySpreadConstraint": {
		// validateTopologySpreadConstraints: maxSkew > 0, minDomains > 0, topologyKey a
		// qualified name; whenUnsatisfiable, nodeAffinityPolicy, nodeTaintsPolicy enums.
		props: map[string]map[string]any{
			"maxSkew":     between(1, 2147483647),
			"minDomains":  between(1, 2147483647),
			"topologyKey": qualifiedName.schema(),
		},
		items: map[string]map[string]any{"matchLabelKeys": qualifiedName.schema()},
	},
	"io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector": {
		// ValidateLabelSelector: label names and values.
		keys:   map[string]map[string]any{"matchLabels": qualifiedName.schema()},
		values: map[string]map[string]any{"matchLabels": labelValue.schema()},
	},
	"io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement": {
		props: map[string]map[string]any{
			"key":      qualifiedName.schema(),
			"operator": enum("In", "NotIn", "Exists", "DoesNotExist"),
		},
		items: map[string]map[string]any{"values": labelValue.schema()},
	},
	"io.k8s.api.core.v1.NodeSelector": {
		props: map[string]map[string]any{"nodeSelectorTerms": {"minItems": 1}},
	},
	"io.k8s.api.core.v1.NodeSelectorRequirement": {
		props: map[string]map[string]any{"key": qualifiedName.schema()},
	},
	"io.k8s.api.core.v1.PreferredSchedulingTerm": {
		props: map[string]map[string]any{"weight": between(1, 100)},
	},
	"io.k8s.api.core.v1.WeightedPodAffinityTerm": {
		props: map[string]map[string]any{"weight": between(1, 100)},
	},
	"io.k8s.api.core.v1.PodAffinityTerm": {
		// validatePodAffinityTerm: topologyKey required, a qualified name.
		props: map[string]map[string]any{
			"topologyKey": qualifiedName.schema(),
		},
		items: map[string]map[string]any{
			"namespaces":        dnsLabel.schema(),
			"matchLabelKeys":    qualifiedName.schema(),
			"mismatchLabelKeys": qualifiedName.schema(),
		},
	},
	"io.k8s.api.core.v1.EnvVar": {
		props: map[string]map[string]any{"name": envVarName.schema()},
	},
	"io.k8s.api.core.v1.EnvVarSource": {
		// fileKeyRef needs the EnvFiles feature gate (alpha).
		keep: []string{"configMapKeyRef", "fieldRef", "resourceFieldRef", "secretKeyRef"},
	},
	"io.k8s.api.core.v1.ConfigMapKeySelector": {
		required: []string{"name"},
		props:    map[string]map[string]any{"name": dnsSubdomain.schema(), "key": configMapKey.schema()},
	},
	"io.k8s.api.core.v1.SecretKeySelector": {
		required: []string{"name"},
		props:    map[string]map[string]any{"name": dnsSubdomain.schema(), "key": configMapKey.schema()},
	},
	"io.k8s.api.core.v1.ObjectFieldSelector": {
		props: map[string]map[string]any{"fieldPath": fieldPath.schema(), "apiVersion": enum("v1")},
	},
	"io.k8s.api.core.v1.ResourceFieldSelector": {
		props: map[string]map[string]any{
			"resource":      enum("limits.cpu", "limits.memory", "limits.ephemeral-storage", "requests.cpu", "requests.memory", "requests.ephemeral-storage"),
			"containerName": dnsLabel.schema(),
		},
	},
	"io.k8s.api.core.v1.EnvFromSource": {
		props: map[string]map[string]any{"prefix": envVarName.schema()},
	},
	"io.k8s.api.core.v1.ConfigMapEnvSource": {
		required: []string{"name"},
		props:    map[string]map[string]any{"name": dnsSubdomain.schema()},
	},
	"io.k8s.api.core.v1.SecretEnvSource": {
		required: []string{"name"},
		props:    map[string]map[string]any{"name": dnsSubdomain.schema()},
	},
	"io.k8s.api.core.v1.Volume": {
		// The chart's policy: the volume types the restricted Pod Security profile allows.
		keep:   []string{"name", "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"},
		policy: true,
		props:  map[string]map[string]any{"name": dnsLabel.schema()},
	},
	"io.k8s.api.core.v1.ConfigMapVolumeSource": {
		required: []string{"name"},
		props:    map[string]map[string]any{"name": dnsSubdomain.schema(), "defaultMode": between(0, 0o777)},
	},
	"io.k8s.api.core.v1.SecretVolumeSource": {
		required: []string{"secretName"},
		props:    map[string]map[string]any{"secretName": dnsSubdomain.schema(), "defaultMode": between(0, 0o777)},
	},
	"io.k8s.api.core.v1.KeyToPath": {
		props: map[string]map[string]any{"key": configMapKey.schema(), "path": relativePath.schema(), "mode": between(0, 0o777)},
	},
	"io.k8s.api.core.v1.DownwardAPIVolumeSource": {
		props: map[string]map[string]any{"defaultMode": between(0, 0o777)},
	},
	"io.k8s.api.core.v1.DownwardAPIVolumeFile": {
		props: map[string]map[string]any{"path": relativePath.schema(), "mode": between(0, 0o777)},
	},
	"io.k8s.api.core.v1.EmptyDirVolumeSource": {
		props: map[string]map[string]any{"medium": enum("", "Memory")},
	},
	"io.k8s.api.core.v1.PersistentVolumeClaimVolumeSource": {
		props: map[string]map[string]any{"claimName": dnsSubdomain.schema()},
	},
	"io.k8s.api.core.v1.CSIVolumeSource": {
		props: map[string]map[string]any{"driver": dnsSubdomain.schema()},
	},
	"io.k8s.api.core.v1.ProjectedVolumeSource": {
		props: map[string]map[string]any{"defaultMode": between(0, 0o777)},
	},
	"io.k8s.api.core.v1.VolumeProjection": {
		// The chart's policy: no service-account token (the chart's pods run without one) and
		// none of the alpha/beta sources.
		keep:   []string{"configMap", "downwardAPI", "secret"},
		policy: true,
	},
	"io.k8s.api.core.v1.ConfigMapProjection": {
		required: []string{"name"},
		props:    map[string]map[string]any{"name": dnsSubdomain.schema()},
	},
	"io.k8s.api.core.v1.SecretProjection": {
		required: []string{"name"},
		props:    map[string]map[string]any{"name": dnsSubdomain.schema()},
	},
	"io.k8s.api.core.v1.PersistentVolumeClaimTemplate": {
		keep: []string{"metadata", "spec"},
	},
	"io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": {
		// A claim template's metadata: labels and annotations only (the rest is the API's own).
		keep:   []string{"labels", "annotations"},
		keys:   map[string]map[string]any{"labels": qualifiedName.schema(), "annotations": qualifiedName.schema()},
		values: map[string]map[string]any{"labels": labelValue.schema()},
	},
	"io.k8s.api.core.v1.PersistentVolumeClaimSpec": {
		keep:     []string{"accessModes", "resources", "storageClassName", "volumeMode", "selector"},
		required: []string{"accessModes", "resources"},
		props: map[string]map[string]any{
			"storageClassName": dnsSubdomain.schema(),
			"accessModes":      {"minItems": 1},
		},
		items: map[string]map[string]any{"accessModes": enum("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")},
	},
	"io.k8s.api.core.v1.VolumeResourceRequirements": {
		required: []string{"requests"},
		keys:     map[string]map[string]any{"requests": enum("storage"), "limits": enum("storage")},
	},
	"io.k8s.api.core.v1.VolumeMount": {
		// Bidirectional propagation needs a privileged container; recursiveReadOnly is left
		// to the API's default.
		keep:  []string{"name", "mountPath", "subPath", "subPathExpr", "readOnly", "mountPropagation"},
		props: map[string]map[string]any{"name": dnsLabel.schema(), "mountPath": absolutePath.schema(), "subPath": relativePath.schema(), "mountPropagation": enum("None", "HostToContainer")},
	},
	"io.k8s.api.core.v1.Container": {
		// The chart's policy for sidecars: what a sidecar needs, without the fields that would
		// leave the pod's restricted profile or belong to init containers.
		keep: []string{"name", "image", "imagePullPolicy", "command", "args", "workingDir", "env", "envFrom", "ports",
			"resources", "volumeMounts", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle", "securityContext",
			"terminationMessagePath", "terminationMessagePolicy"},
		required: []string{"name", "image"},
		props: map[string]map[string]any{
			"name":       dnsLabel.schema(),
			"image":      image.schema(),
			"workingDir": absolutePath.schema(),
		},
	},
	"io.k8s.api.core.v1.SecurityContext": {
		// The chart sets a sidecar's security context to its restricted one; only the user,
		// group and read-only root may be given (common.extras.sidecars).
		keep:   []string{"runAsUser", "runAsGroup", "readOnlyRootFilesystem"},
		policy: true,
		props: map[string]map[string]any{
			"runAsUser":  between(1, 2147483647),
			"runAsGroup": between(1, 2147483647),
		},
	},
	"io.k8s.api.core.v1.ContainerPort": {
		// No host ports: the restricted profile refuses them.
		keep:   []string{"name", "containerPort", "protocol"},
		policy: true,
		props:  map[string]map[string]any{"name": portName.schema(), "containerPort": between(1, 65535)},
	},
	"io.k8s.api.core.v1.Probe": {
		keep: []string{"exec", "httpGet", "tcpSocket", "grpc", "initialDelaySeconds", "timeoutSeconds", "periodSeconds",
			"successThreshold", "failureThreshold"},
		props: map[string]map[string]any{
			"initialDelaySeconds": between(0, 2147483647), "timeoutSeconds": between(0, 2147483647),
			"periodSeconds": between(0, 2147483647), "successThreshold": between(0, 2147483647),
			"failureThreshold": between(0, 2147483647),
		},
	},
	"io.k8s.api.core.v1.LifecycleHandler": {
		keep: []string{"exec", "httpGet", "sleep"},
	},
	"io.k8s.api.core.v1.Lifecycle": {
		keep: []string{"postStart", "preStop"},
	},
	"io.k8s.api.core.v1.HTTPGetAction": {
		required: []string{"port"},
		props:    map[string]map[string]any{"path": httpPath.schema(), "scheme": enum("HTTP", "HTTPS")},
	},
	"io.k8s.api.core.v1.HTTPHeader": {
		props: map[string]map[string]any{"name": headerName.schema()},
	},
	"io.k8s.api.core.v1.GRPCAction": {
		props: map[string]map[string]any{"port": between(1, 65535)},
	},
	"io.k8s.api.core.v1.SleepAction": {
		props: map[string]map[string]any{"seconds": between(1, 3600)},
	},
	"io.k8s.api.core.v1.ResourceRequirements": {
		// validateResourceRequirements: known resource names; claims need DRA.
		keep: []string{"limits", "requests"},
		keys: map[string]map[string]any{
			"limits":   resourceName.schema(),
			"requests": resourceName.schema(),
		},
	},
	"io.k8s.api.networking.v1.IPBlock": {
		props: map[string]map[string]any{"cidr": cidr.schema()},
		items: map[string]map[string]any{"except": cidr.schema()},
	},
	"io.k8s.api.networking.v1.NetworkPolicyPort": {
		props: map[string]map[string]any{"endPort": between(1, 65535)},
	},
}

// Build returns the definitions of Roots and every type they reference, as JSON Schema
// (draft-07) objects keyed by definition name, with every reference written as
// "#/definitions/<name>".
func Build() (map[string]map[string]any, error) {
	defs := openapi.GetOpenAPIDefinitions(func(name string) spec.Ref { return spec.MustCreateRef("#/definitions/" + name) })
	out := map[string]map[string]any{}
	todo := append([]string(nil), Roots...)
	for len(todo) > 0 {
		name := todo[0]
		todo = todo[1:]
		if _, done := out[name]; done {
			continue
		}
		def, ok := defs[name]
		if !ok {
			return nil, fmt.Errorf("no OpenAPI definition %q", name)
		}
		s, refs, err := convertDefinition(name, def)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name] = s
		todo = append(todo, refs...)
	}
	for name := range rules {
		if _, ok := out[name]; !ok {
			return nil, fmt.Errorf("rule for %s, which no root references", name)
		}
	}
	return out, nil
}

// Quantity and IntOrString are strings in the definitions; JSON and YAML also take numbers.
var special = map[string]map[string]any{
	"io.k8s.apimachinery.pkg.api.resource.Quantity": {"type": []any{"string", "number"}, "pattern": quantity.re, "description": quantity.hint, "minimum": 0},
	"io.k8s.apimachinery.pkg.util.intstr.IntOrString": {"type": []any{"integer", "string"}, "pattern": portName.re, "description": portName.hint,
		"minimum": 1, "maximum": 65535},
}

func convertDefinition(name string, def common.OpenAPIDefinition) (map[string]any, []string, error) {
	if s, ok := special[name]; ok {
		return s, nil, nil
	}
	var refs []string
	s, err := convert(def.Schema, &refs)
	if err != nil {
		return nil, nil, err
	}
	r, ok := rules[name]
	if !ok {
		return s, refs, nil
	}
	props, _ := s["properties"].(map[string]any)
	if r.keep != nil {
		kept := map[string]any{}
		for _, k := range r.keep {
			p, ok := props[k]
			if !ok {
				return nil, nil, fmt.Errorf("rule keeps %q, which the definition does not have", k)
			}
			kept[k] = p
		}
		refs = nil
		collectRefs(kept, &refs)
		if r.policy {
			for k := range props {
				if _, ok := kept[k]; !ok {
					kept[k] = map[string]any{}
				}
			}
		}
		props = kept
		s["properties"] = kept
		if req, ok := s["required"].([]any); ok {
			var still []any
			for _, k := range req {
				if _, ok := kept[k.(string)]; ok {
					still = append(still, k)
				}
			}
			if len(still) == 0 {
				delete(s, "required")
			} else {
				s["required"] = still
			}
		}
	}
	if len(r.required) > 0 {
		req, _ := s["required"].([]any)
		for _, k := range r.required {
			if !contains(req, k) {
				req = append(req, k)
			}
		}
		s["required"] = req
	}
	constrain := func(field, what string, c map[string]any, target func(p map[string]any) map[string]any) error {
		p, ok := props[field].(map[string]any)
		if !ok {
			return fmt.Errorf("rule constrains the %s of %q, which the definition does not have", what, field)
		}
		t := target(p)
		if t == nil {
			return fmt.Errorf("rule constrains the %s of %q, which has none", what, field)
		}
		for k, v := range c {
			t[k] = v
		}
		return nil
	}
	for field, c := range r.props {
		if err := constrain(field, "value", c, func(p map[string]any) map[string]any { return p }); err != nil {
			return nil, nil, err
		}
	}
	for field, c := range r.items {
		if err := constrain(field, "items", c, func(p map[string]any) map[string]any { m, _ := p["items"].(map[string]any); return m }); err != nil {
			return nil, nil, err
		}
	}
	for field, c := range r.values {
		if err := constrain(field, "values", c, func(p map[string]any) map[string]any {
			m, _ := p["additionalProperties"].(map[string]any)
			return m
		}); err != nil {
			return nil, nil, err
		}
	}
	for field, c := range r.keys {
		if err := constrain(field, "keys", c, func(p map[string]any) map[string]any {
			if _, ok := p["additionalProperties"]; !ok {
				return nil
			}
			m, _ := p["propertyNames"].(map[string]any)
			if m == nil {
				m = map[string]any{"type": "string"}
				p["propertyNames"] = m
			}
			return m
		}); err != nil {
			return nil, nil, err
		}
	}
	return s, refs, nil
}

func contains(list []any, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// convert writes one OpenAPI schema as JSON Schema: types, enums, required, properties,
// items, maps; formats int32/int64 as ranges. Descriptions and defaults are left out (the
// docs link the Kubernetes reference instead), and every object refuses properties it does
// not define, as the API server's strict field validation does.
func convert(s spec.Schema, refs *[]string) (map[string]any, error) {
	if ref := s.Ref.String(); ref != "" {
		name := strings.TrimPrefix(ref, "#/definitions/")
		*refs = append(*refs, name)
		return map[string]any{"$ref": ref}, nil
	}
	// A reference with a default is written as allOf: [{$ref}].
	if len(s.AllOf) == 1 && len(s.Properties) == 0 && len(s.Type) == 0 {
		return convert(s.AllOf[0], refs)
	}
	if len(s.AllOf)+len(s.OneOf)+len(s.AnyOf) > 0 || s.Not != nil {
		return nil, fmt.Errorf("a composed schema (allOf/oneOf/anyOf/not) is not supported")
	}
	out := map[string]any{}
	switch len(s.Type) {
	case 0:
	case 1:
		out["type"] = s.Type[0]
	default:
		return nil, fmt.Errorf("several types %v", s.Type)
	}
	switch s.Format {
	case "int32":
		out["minimum"], out["maximum"] = int64(-1<<31), int64(1<<31-1)
	case "int64":
		out["minimum"], out["maximum"] = int64(-1<<53), int64(1<<53-1)
	}
	if len(s.Enum) > 0 {
		out["enum"] = append([]any(nil), s.Enum...)
	}
	if len(s.Required) > 0 {
		req := make([]any, len(s.Required))
		for i, r := range s.Required {
			req[i] = r
		}
		out["required"] = req
	}
	if len(s.Properties) > 0 {
		props := map[string]any{}
		for name, p := range s.Properties {
			c, err := convert(p, refs)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			props[name] = c
		}
		out["properties"] = props
		out["additionalProperties"] = false
	}
	if s.Items != nil {
		if s.Items.Schema == nil {
			return nil, fmt.Errorf("tuple items are not supported")
		}
		c, err := convert(*s.Items.Schema, refs)
		if err != nil {
			return nil, fmt.Errorf("items: %w", err)
		}
		out["items"] = c
	}
	if ap := s.AdditionalProperties; ap != nil {
		if ap.Schema != nil {
			c, err := convert(*ap.Schema, refs)
			if err != nil {
				return nil, fmt.Errorf("additionalProperties: %w", err)
			}
			out["additionalProperties"] = c
		} else {
			out["additionalProperties"] = ap.Allows
		}
	}
	return out, nil
}

func collectRefs(v any, refs *[]string) {
	switch x := v.(type) {
	case map[string]any:
		if r, ok := x["$ref"].(string); ok {
			*refs = append(*refs, strings.TrimPrefix(r, "#/definitions/"))
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			collectRefs(x[k], refs)
		}
	case []any:
		for _, e := range x {
			collectRefs(e, refs)
		}
	}
}
