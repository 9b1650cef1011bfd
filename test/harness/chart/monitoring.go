package chart

import (
	"encoding/json"

	"regexp"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The Prometheus Operator objects the chart renders (monitoring.coreos.com/v1), as far as it uses
// them. Declared here rather than imported (the operator's module would pull in its controllers);
// a field the chart renders that is not declared fails strict decoding. See
// https://prometheus-operator.dev/docs/api-reference/api/.

// ServiceMonitor is monitoring.coreos.com/v1 ServiceMonitor.
type ServiceMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Selector  metav1.LabelSelector `json:"selector"`
		Endpoints []MonitorEndpoint    `json:"endpoints"`
	} `json:"spec"`
}

// PodMonitor is monitoring.coreos.com/v1 PodMonitor.
type PodMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Selector            metav1.LabelSelector `json:"selector"`
		PodMetricsEndpoints []MonitorEndpoint    `json:"podMetricsEndpoints"`
	} `json:"spec"`
}

// MonitorEndpoint is an endpoint of a ServiceMonitor or PodMonitor.
type MonitorEndpoint struct {
	Port     string `json:"port"`
	Interval string `json:"interval,omitempty"`
}

// PrometheusRule is monitoring.coreos.com/v1 PrometheusRule.
type PrometheusRule struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Groups []RuleGroup `json:"groups"`
	} `json:"spec"`
}

// RuleGroup is a group of alerting rules.
type RuleGroup struct {
	Name  string `json:"name"`
	Rules []Rule `json:"rules"`
}

// Rule is an alerting rule.
type Rule struct {
	Alert       string            `json:"alert"`
	Expr        string            `json:"expr"`
	For         string            `json:"for,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

func deepCopy[T any](in *T) *T {
	out := new(T)
	b, _ := json.Marshal(in)
	_ = json.Unmarshal(b, out)
	return out
}

// DeepCopyObject implements runtime.Object.
func (m *ServiceMonitor) DeepCopyObject() runtime.Object { return deepCopy(m) }

// DeepCopyObject implements runtime.Object.
func (m *PodMonitor) DeepCopyObject() runtime.Object { return deepCopy(m) }

// DeepCopyObject implements runtime.Object.
func (r *PrometheusRule) DeepCopyObject() runtime.Object { return deepCopy(r) }

var (
	// The operator's CRD patterns: durations and Prometheus names.
	promDuration = regexp.MustCompile(`^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$`)
	promName     = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	portName     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
)

func validateEndpoints(path *field.Path, eps []MonitorEndpoint) field.ErrorList {
	var errs field.ErrorList
	if len(eps) == 0 {
		errs = append(errs, field.Required(path, "at least one endpoint"))
	}
	for i, ep := range eps {
		if !portName.MatchString(ep.Port) || len(ep.Port) > 15 {
			errs = append(errs, field.Invalid(path.Index(i).Child("port"), ep.Port, "a port name"))
		}
		if ep.Interval != "" && !promDuration.MatchString(ep.Interval) {
			errs = append(errs, field.Invalid(path.Index(i).Child("interval"), ep.Interval, "a Prometheus duration"))
		}
	}
	return errs
}

// Validate checks what the operator's CRD schema checks of the fields the chart uses.
func (m *ServiceMonitor) Validate() field.ErrorList {
	return validateEndpoints(field.NewPath("spec", "endpoints"), m.Spec.Endpoints)
}

// Validate checks what the operator's CRD schema checks of the fields the chart uses.
func (m *PodMonitor) Validate() field.ErrorList {
	return validateEndpoints(field.NewPath("spec", "podMetricsEndpoints"), m.Spec.PodMetricsEndpoints)
}

// Validate checks the rules' names and durations; the metrics their expressions use are checked
// against the exporters' real output in the server tier.
func (r *PrometheusRule) Validate() field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for gi, g := range r.Spec.Groups {
		gp := field.NewPath("spec", "groups").Index(gi)
		if g.Name == "" || seen[g.Name] {
			errs = append(errs, field.Invalid(gp.Child("name"), g.Name, "a unique group name"))
		}
		seen[g.Name] = true
		for ri, rule := range g.Rules {
			rp := gp.Child("rules").Index(ri)
			if !promName.MatchString(rule.Alert) {
				errs = append(errs, field.Invalid(rp.Child("alert"), rule.Alert, "a Prometheus name"))
			}
			if rule.Expr == "" {
				errs = append(errs, field.Required(rp.Child("expr"), ""))
			}
			if rule.For != "" && !promDuration.MatchString(rule.For) {
				errs = append(errs, field.Invalid(rp.Child("for"), rule.For, "a Prometheus duration"))
			}
			for k := range rule.Labels {
				if !promName.MatchString(k) {
					errs = append(errs, field.Invalid(rp.Child("labels").Key(k), k, "a label name"))
				}
			}
		}
	}
	return errs
}
