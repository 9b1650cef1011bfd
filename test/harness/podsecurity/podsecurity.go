// Package podsecurity checks pod specs against the Kubernetes "restricted" Pod Security Standard,
// with the checks the API server itself runs (k8s.io/pod-security-admission), plus the rules this
// project adds on top: a read-only root file system and explicit resource requests.
package podsecurity

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

var evaluator = func() policy.Evaluator {
	e, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		panic(err)
	}
	return e
}()

// Restricted returns why the pod would be refused in a namespace labelled
// pod-security.kubernetes.io/enforce=restricted (latest version); empty when it is admitted.
func Restricted(meta *metav1.ObjectMeta, spec *corev1.PodSpec) []string {
	var reasons []string
	lv := api.LevelVersion{Level: api.LevelRestricted, Version: api.LatestVersion()}
	for _, r := range evaluator.EvaluatePod(lv, meta, spec) {
		if !r.Allowed {
			reasons = append(reasons, fmt.Sprintf("%s: %s", r.ForbiddenReason, r.ForbiddenDetail))
		}
	}
	return reasons
}

// Hardened returns the project's rules the restricted profile does not cover: every container
// has a read-only root file system, runs with a non-zero uid, and declares its resources.
func Hardened(spec *corev1.PodSpec) []string {
	var reasons []string
	all := append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...)
	for _, c := range all {
		sc := c.SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			reasons = append(reasons, fmt.Sprintf("container %q: root file system is writable", c.Name))
		}
		var uid *int64
		if spec.SecurityContext != nil {
			uid = spec.SecurityContext.RunAsUser
		}
		if sc != nil && sc.RunAsUser != nil {
			uid = sc.RunAsUser
		}
		if uid == nil || *uid == 0 {
			reasons = append(reasons, fmt.Sprintf("container %q: no non-zero runAsUser", c.Name))
		}
		if sc != nil && sc.Privileged != nil && *sc.Privileged {
			reasons = append(reasons, fmt.Sprintf("container %q: privileged", c.Name))
		}
		if c.Resources.Requests == nil || c.Resources.Limits.Memory().IsZero() {
			reasons = append(reasons, fmt.Sprintf("container %q: no resource requests or memory limit", c.Name))
		}
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		reasons = append(reasons, "pod mounts a service account token")
	}
	return reasons
}
