// Package apivalidation checks rendered objects the way the Kubernetes API server does when they
// are created: each object is defaulted and converted to its internal type with the API server's
// own scheme, then passed to the validation functions its registry strategy calls on create
// (k8s.io/kubernetes/pkg/apis/<group>/validation, with the options the strategy computes).
//
// Why these packages and not JSON schemas (kubeconform): the OpenAPI schemas check types and
// required fields, but not what the chart most often gets wrong under hostile values: names that
// are not DNS labels, label values over 63 characters, Secrets over 1 MiB, quantities, cron
// schedules, selector/template mismatches, duplicate ports or volume names. Those rules live only
// in the validation code, which is pinned here with the rest of Kubernetes (k8s.io/kubernetes at
// the version of k8s.io/api in go.mod). The registry strategies themselves are not imported: they
// pull in the API server's storage layers and double the build time for the same checks.
//
// The pinned version is newer than many clusters the chart runs on; where a newer API server is
// more lenient (Service names that start with a digit are accepted since the relaxed
// Service-name validation), the chart's templates keep the older rule themselves.
//
// Kinds of other projects bring their own checks (a Validate() field.ErrorList method: cert-manager's
// documented limits for the harness's Certificate); duplicate objects are refused by All.
package apivalidation

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/kubernetes/pkg/api/legacyscheme"
	podutil "k8s.io/kubernetes/pkg/api/pod"
	"k8s.io/kubernetes/pkg/apis/apps"
	_ "k8s.io/kubernetes/pkg/apis/apps/install"
	appsvalidation "k8s.io/kubernetes/pkg/apis/apps/validation"
	"k8s.io/kubernetes/pkg/apis/batch"
	_ "k8s.io/kubernetes/pkg/apis/batch/install"
	batchvalidation "k8s.io/kubernetes/pkg/apis/batch/validation"
	"k8s.io/kubernetes/pkg/apis/core"
	_ "k8s.io/kubernetes/pkg/apis/core/install"
	corevalidation "k8s.io/kubernetes/pkg/apis/core/validation"
	"k8s.io/kubernetes/pkg/apis/networking"
	_ "k8s.io/kubernetes/pkg/apis/networking/install"
	networkingvalidation "k8s.io/kubernetes/pkg/apis/networking/validation"
	"k8s.io/kubernetes/pkg/apis/policy"
	_ "k8s.io/kubernetes/pkg/apis/policy/install"
	policyvalidation "k8s.io/kubernetes/pkg/apis/policy/validation"
	"k8s.io/kubernetes/pkg/apis/rbac"
	_ "k8s.io/kubernetes/pkg/apis/rbac/install"
	rbacvalidation "k8s.io/kubernetes/pkg/apis/rbac/validation"
)

// Validate returns the API server's objections to creating obj, or nil.
func Validate(obj runtime.Object) error {
	var errs field.ErrorList
	var err error
	switch o := obj.(type) {
	case *corev1.ConfigMap:
		errs, err = check(o, &core.ConfigMap{}, func(in *core.ConfigMap) field.ErrorList { return corevalidation.ValidateConfigMap(in) })
	case *corev1.Secret:
		errs, err = check(o, &core.Secret{}, func(in *core.Secret) field.ErrorList { return corevalidation.ValidateSecret(in) })
	case *corev1.Service:
		errs, err = check(o, &core.Service{}, func(in *core.Service) field.ErrorList {
			// The Service REST storage fills clusterIPs from clusterIP before validating.
			if in.Spec.ClusterIP != "" && len(in.Spec.ClusterIPs) == 0 {
				in.Spec.ClusterIPs = []string{in.Spec.ClusterIP}
			}
			return corevalidation.ValidateServiceCreate(in)
		})
	case *corev1.ServiceAccount:
		errs, err = check(o, &core.ServiceAccount{}, func(in *core.ServiceAccount) field.ErrorList { return corevalidation.ValidateServiceAccount(in) })
	case *corev1.PersistentVolumeClaim:
		errs, err = check(o, &core.PersistentVolumeClaim{}, func(in *core.PersistentVolumeClaim) field.ErrorList {
			return corevalidation.ValidatePersistentVolumeClaim(in, corevalidation.ValidationOptionsForPersistentVolumeClaim(in, nil))
		})
	case *corev1.Pod:
		errs, err = check(o, &core.Pod{}, func(in *core.Pod) field.ErrorList {
			opts := podutil.GetValidationOptionsFromPodSpecAndMeta(&in.Spec, nil, &in.ObjectMeta, nil)
			opts.ResourceIsPod = true
			return corevalidation.ValidatePodCreate(in, opts)
		})
	case *appsv1.StatefulSet:
		errs, err = check(o, &apps.StatefulSet{}, func(in *apps.StatefulSet) field.ErrorList {
			return appsvalidation.ValidateStatefulSet(in, appsvalidation.StatefulSetValidationOptions{}, podutil.GetValidationOptionsFromPodTemplate(&in.Spec.Template, nil))
		})
	case *batchv1.Job:
		errs, err = check(o, &batch.Job{}, func(in *batch.Job) field.ErrorList {
			prepareJob(in)
			return batchvalidation.ValidateJobCreate(in, batchvalidation.JobValidationOptions{
				PodValidationOptions: podutil.GetValidationOptionsFromPodTemplate(&in.Spec.Template, nil), RequirePrefixedLabels: true})
		})
	case *batchv1.CronJob:
		errs, err = check(o, &batch.CronJob{}, func(in *batch.CronJob) field.ErrorList {
			return batchvalidation.ValidateCronJobCreate(in, podutil.GetValidationOptionsFromPodTemplate(&in.Spec.JobTemplate.Spec.Template, nil))
		})
	case *networkingv1.NetworkPolicy:
		errs, err = check(o, &networking.NetworkPolicy{}, func(in *networking.NetworkPolicy) field.ErrorList {
			return networkingvalidation.ValidateNetworkPolicy(in, networkingvalidation.ValidationOptionsForNetworking(in, nil))
		})
	case *policyv1.PodDisruptionBudget:
		errs, err = check(o, &policy.PodDisruptionBudget{}, func(in *policy.PodDisruptionBudget) field.ErrorList {
			return policyvalidation.ValidatePodDisruptionBudget(in, policyvalidation.PodDisruptionBudgetValidationOptions{})
		})
	case *rbacv1.Role:
		errs, err = check(o, &rbac.Role{}, func(in *rbac.Role) field.ErrorList { return rbacvalidation.ValidateRole(in) })
	case *rbacv1.RoleBinding:
		errs, err = check(o, &rbac.RoleBinding{}, func(in *rbac.RoleBinding) field.ErrorList { return rbacvalidation.ValidateRoleBinding(in) })
	default:
		if c, ok := obj.(interface{ Validate() field.ErrorList }); ok {
			errs = c.Validate()
			break
		}
		return fmt.Errorf("%T: no API validation is known for this kind; add it to apivalidation.Validate", obj)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", describe(obj), err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s: the API server would refuse it: %w", describe(obj), errs.ToAggregate())
	}
	return nil
}

// All validates every object and refuses two objects of one kind with one namespace and name
// (Helm would apply the second over the first).
func All(objs []runtime.Object) error {
	var problems []string
	seen := map[string]bool{}
	for _, o := range objs {
		if err := Validate(o); err != nil {
			problems = append(problems, err.Error())
		}
		id := describe(o)
		if seen[id] {
			problems = append(problems, id+": rendered twice")
		}
		seen[id] = true
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return nil
}

// check defaults the external object as the API server does on decode, converts it to its
// internal type and validates that.
func check[E runtime.Object, I runtime.Object](external E, internal I, validate func(I) field.ErrorList) (field.ErrorList, error) {
	in := external.DeepCopyObject()
	legacyscheme.Scheme.Default(in)
	if err := legacyscheme.Scheme.Convert(in, internal, nil); err != nil {
		return nil, fmt.Errorf("converting to the internal type: %w", err)
	}
	return validate(internal), nil
}

// prepareJob does what the Job strategy's PrepareForCreate does before validation: a generated
// selector on the controller's uid, and the labels that go with it.
func prepareJob(job *batch.Job) {
	if job.Spec.ManualSelector != nil && *job.Spec.ManualSelector {
		return
	}
	const uid = "00000000-0000-0000-0000-000000000000"
	job.UID = uid // set by the API server before the strategy runs
	labels := map[string]string{}
	for k, v := range job.Spec.Template.Labels {
		labels[k] = v
	}
	labels[batch.ControllerUidLabel] = uid
	labels[batch.LegacyControllerUidLabel] = uid
	labels[batch.JobNameLabel] = job.Name
	labels[batch.LegacyJobNameLabel] = job.Name
	job.Spec.Template.Labels = labels
	job.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{batch.ControllerUidLabel: uid}}
}

func describe(obj runtime.Object) string {
	kind := fmt.Sprintf("%T", obj)
	if i := strings.LastIndex(kind, "."); i >= 0 {
		kind = kind[i+1:]
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return kind
	}
	return fmt.Sprintf("%s %s/%s", kind, m.GetNamespace(), m.GetName())
}
