package chart

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// kinds the chart may render. A kind missing here fails the render: every object is decoded
// into its Go type, so a misspelt or misplaced field is an error, not a silently dropped line.
var kinds = map[string]func() runtime.Object{
	"v1/ConfigMap":                             func() runtime.Object { return &corev1.ConfigMap{} },
	"v1/Secret":                                func() runtime.Object { return &corev1.Secret{} },
	"v1/Service":                               func() runtime.Object { return &corev1.Service{} },
	"v1/ServiceAccount":                        func() runtime.Object { return &corev1.ServiceAccount{} },
	"v1/PersistentVolumeClaim":                 func() runtime.Object { return &corev1.PersistentVolumeClaim{} },
	"v1/Pod":                                   func() runtime.Object { return &corev1.Pod{} },
	"apps/v1/StatefulSet":                      func() runtime.Object { return &appsv1.StatefulSet{} },
	"batch/v1/CronJob":                         func() runtime.Object { return &batchv1.CronJob{} },
	"batch/v1/Job":                             func() runtime.Object { return &batchv1.Job{} },
	"networking.k8s.io/v1/NetworkPolicy":       func() runtime.Object { return &networkingv1.NetworkPolicy{} },
	"policy/v1/PodDisruptionBudget":            func() runtime.Object { return &policyv1.PodDisruptionBudget{} },
	"rbac.authorization.k8s.io/v1/Role":        func() runtime.Object { return &rbacv1.Role{} },
	"rbac.authorization.k8s.io/v1/RoleBinding": func() runtime.Object { return &rbacv1.RoleBinding{} },
	"cert-manager.io/v1/Certificate":           func() runtime.Object { return &Certificate{} },
	"monitoring.coreos.com/v1/ServiceMonitor":  func() runtime.Object { return &ServiceMonitor{} },
	"monitoring.coreos.com/v1/PodMonitor":      func() runtime.Object { return &PodMonitor{} },
	"monitoring.coreos.com/v1/PrometheusRule":  func() runtime.Object { return &PrometheusRule{} },
}

// Decode strictly decodes one rendered document into its typed object.
func Decode(doc string) (runtime.Object, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
		return nil, fmt.Errorf("not a Kubernetes object: %w", err)
	}
	newObj, ok := kinds[tm.APIVersion+"/"+tm.Kind]
	if !ok {
		return nil, fmt.Errorf("kind %s/%s is not known to the test harness; add it to kinds", tm.APIVersion, tm.Kind)
	}
	obj := newObj()
	if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
		return nil, fmt.Errorf("%s: %w", tm.Kind, err)
	}
	return obj, nil
}

// All returns the rendered objects of type T (e.g. *appsv1.StatefulSet), in install order.
func All[T runtime.Object](r *Release) []T {
	var out []T
	for _, o := range r.Objects {
		if typed, ok := o.(T); ok {
			out = append(out, typed)
		}
	}
	return out
}

// Find returns the object of type T with the given name, or false.
func Find[T runtime.Object](r *Release, name string) (T, bool) {
	for _, o := range All[T](r) {
		if m, err := meta.Accessor(o); err == nil && m.GetName() == name {
			return o, true
		}
	}
	var zero T
	return zero, false
}

// FindHook returns the hook (a helm test pod, a post-upgrade Job) of type T with the given name,
// or false.
func FindHook[T runtime.Object](r *Release, name string) (T, bool) {
	for _, o := range r.Hooks {
		if typed, ok := o.(T); ok {
			if m, err := meta.Accessor(typed); err == nil && m.GetName() == name {
				return typed, true
			}
		}
	}
	var zero T
	return zero, false
}

// Get returns the object of type T with the given name and fails the test when there is none.
func Get[T runtime.Object](t interface {
	Helper()
	Fatalf(string, ...any)
}, r *Release, name string) T {
	t.Helper()
	o, ok := Find[T](r, name)
	if !ok {
		var zero T
		t.Fatalf("no %T named %q in the render; have %v", zero, name, Names[T](r))
	}
	return o
}

// Names lists the names of the rendered objects of type T.
func Names[T runtime.Object](r *Release) []string {
	var names []string
	for _, o := range All[T](r) {
		if m, err := meta.Accessor(o); err == nil {
			names = append(names, m.GetName())
		}
	}
	return names
}

// PodTemplate is one pod the chart makes, from whatever workload object carries it.
type PodTemplate struct {
	Owner string // "<Kind>/<name>"
	Meta  metav1.ObjectMeta
	Spec  corev1.PodSpec
}

// PodTemplates returns every pod the chart can start: workload templates, CronJob job templates,
// and hook pods.
func (r *Release) PodTemplates() []PodTemplate {
	var out []PodTemplate
	for _, o := range append(append([]runtime.Object{}, r.Objects...), r.Hooks...) {
		switch w := o.(type) {
		case *appsv1.StatefulSet:
			out = append(out, PodTemplate{"StatefulSet/" + w.Name, w.Spec.Template.ObjectMeta, w.Spec.Template.Spec})
		case *appsv1.Deployment:
			out = append(out, PodTemplate{"Deployment/" + w.Name, w.Spec.Template.ObjectMeta, w.Spec.Template.Spec})
		case *batchv1.Job:
			out = append(out, PodTemplate{"Job/" + w.Name, w.Spec.Template.ObjectMeta, w.Spec.Template.Spec})
		case *batchv1.CronJob:
			out = append(out, PodTemplate{"CronJob/" + w.Name, w.Spec.JobTemplate.Spec.Template.ObjectMeta, w.Spec.JobTemplate.Spec.Template.Spec})
		case *corev1.Pod:
			out = append(out, PodTemplate{"Pod/" + w.Name, w.ObjectMeta, w.Spec})
		}
	}
	return out
}

// StorageClasses returns the storageClassName of every claim the release makes (its PVCs and
// its StatefulSets' claim templates), one entry per claim: nil for a claim that names none (the
// cluster's default), "" for one that asks for no class.
func (r *Release) StorageClasses() []*string {
	var out []*string
	for _, o := range r.Objects {
		switch w := o.(type) {
		case *corev1.PersistentVolumeClaim:
			out = append(out, w.Spec.StorageClassName)
		case *appsv1.StatefulSet:
			for _, c := range w.Spec.VolumeClaimTemplates {
				out = append(out, c.Spec.StorageClassName)
			}
		}
	}
	return out
}

// AllOf returns the rendered objects of type T that belong to one subchart (their
// app.kubernetes.io/name label, e.g. "postgres" or "redis").
func AllOf[T runtime.Object](r *Release, app string) []T {
	var out []T
	for _, o := range All[T](r) {
		if m, err := meta.Accessor(o); err == nil && m.GetLabels()["app.kubernetes.io/name"] == app {
			out = append(out, o)
		}
	}
	return out
}
