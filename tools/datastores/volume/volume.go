// Package volume grows the data volume of a server the chart deploys. A StatefulSet's
// volumeClaimTemplates cannot change, so a new persistence.size makes `helm upgrade` fail; the
// procedure is to grow the claims themselves (the StorageClass must allow it), then delete the
// StatefulSet without its pods (--cascade=orphan), after which `helm upgrade` with the new size
// creates it again and it adopts the running pods: no restart, no data moved.
package volume

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

// Claim is the name of the chart's data volume claim template.
const Claim = "data"

// Plan is what Expand will do, for the caller to show first.
type Plan struct {
	StatefulSet string
	Claims      []string // the claims to grow, data-<statefulset>-<ordinal>
	From, To    resource.Quantity
}

// Prepare checks everything Expand needs before it changes anything: the StatefulSet and its
// claims exist, the size grows, and every claim's StorageClass allows expansion.
func Prepare(ctx context.Context, client kubernetes.Interface, namespace, statefulSet string, size resource.Quantity) (*Plan, error) {
	sts, err := client.AppsV1().StatefulSets(namespace).Get(ctx, statefulSet, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("StatefulSet %s/%s: %w", namespace, statefulSet, err)
	}
	var template *corev1.PersistentVolumeClaim
	for i := range sts.Spec.VolumeClaimTemplates {
		if sts.Spec.VolumeClaimTemplates[i].Name == Claim {
			template = &sts.Spec.VolumeClaimTemplates[i]
		}
	}
	if template == nil {
		return nil, fmt.Errorf("StatefulSet %s uses an existing claim (persistence.existingClaim): grow that claim with kubectl patch pvc; no StatefulSet change is needed", statefulSet)
	}
	plan := &Plan{StatefulSet: statefulSet, From: template.Spec.Resources.Requests[corev1.ResourceStorage], To: size}
	replicas := int32(1)
	if sts.Spec.Replicas != nil {
		replicas = *sts.Spec.Replicas
	}
	for i := int32(0); i < replicas; i++ {
		name := fmt.Sprintf("%s-%s-%d", Claim, statefulSet, i)
		pvc, err := client.CoreV1().PersistentVolumeClaims(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("claim %s: %w", name, err)
		}
		current := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
		if size.Cmp(current) < 0 {
			return nil, fmt.Errorf("claim %s is %s: a volume cannot shrink to %s", name, current.String(), size.String())
		}
		class := ""
		if pvc.Spec.StorageClassName != nil {
			class = *pvc.Spec.StorageClassName
		}
		if class == "" {
			return nil, fmt.Errorf("claim %s has no StorageClass: a statically provisioned volume is grown by its administrator", name)
		}
		sc, err := client.StorageV1().StorageClasses().Get(ctx, class, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("StorageClass %s of claim %s: %w", class, name, err)
		}
		if sc.AllowVolumeExpansion == nil || !*sc.AllowVolumeExpansion {
			return nil, fmt.Errorf("StorageClass %s does not allow volume expansion (allowVolumeExpansion is not true): its driver may not support it; ask your cluster's administrator, or move the data to a larger volume with a backup and restore", class)
		}
		if size.Cmp(current) > 0 {
			plan.Claims = append(plan.Claims, name)
		}
	}
	return plan, nil
}

// Expand grows the plan's claims, then deletes the StatefulSet and leaves its pods running.
func Expand(ctx context.Context, client kubernetes.Interface, namespace string, plan *Plan, log io.Writer) error {
	patch := fmt.Appendf(nil, `{"spec":{"resources":{"requests":{"storage":%q}}}}`, plan.To.String())
	for _, name := range plan.Claims {
		if _, err := client.CoreV1().PersistentVolumeClaims(namespace).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			return fmt.Errorf("grow claim %s: %w", name, err)
		}
		fmt.Fprintf(log, "claim %s: requested %s\n", name, plan.To.String())
	}
	orphan := metav1.DeletePropagationOrphan
	if err := client.AppsV1().StatefulSets(namespace).Delete(ctx, plan.StatefulSet, metav1.DeleteOptions{PropagationPolicy: &orphan}); err != nil {
		return fmt.Errorf("delete StatefulSet %s (orphaning its pods): %w", plan.StatefulSet, err)
	}
	// The deletion is done once the object is gone; its pods stay, owned by nobody until the
	// StatefulSet comes back.
	err := wait.PollUntilContextTimeout(ctx, time.Second, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := client.AppsV1().StatefulSets(namespace).Get(ctx, plan.StatefulSet, metav1.GetOptions{})
		return err != nil, nil
	})
	if err != nil {
		return fmt.Errorf("StatefulSet %s is still there: %w", plan.StatefulSet, err)
	}
	fmt.Fprintf(log, "StatefulSet %s deleted; its pods keep running\n", plan.StatefulSet)
	return nil
}

// Resized reports each claim's capacity and whether the file system still waits for a pod
// restart (FileSystemResizePending), polling until every claim has the new size or timeout.
func Resized(ctx context.Context, client kubernetes.Interface, namespace string, plan *Plan, timeout time.Duration, log io.Writer) error {
	var last []string
	err := wait.PollUntilContextTimeout(ctx, 2*time.Second, timeout, true, func(ctx context.Context) (bool, error) {
		last = nil
		done := true
		for _, name := range plan.Claims {
			pvc, err := client.CoreV1().PersistentVolumeClaims(namespace).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			capacity := pvc.Status.Capacity[corev1.ResourceStorage]
			state := fmt.Sprintf("%s: %s of %s", name, capacity.String(), plan.To.String())
			for _, c := range pvc.Status.Conditions {
				if c.Type == corev1.PersistentVolumeClaimFileSystemResizePending {
					state += " (the file system grows when the pod restarts: kubectl delete pod)"
				}
			}
			last = append(last, state)
			if capacity.Cmp(plan.To) < 0 {
				done = false
			}
		}
		return done, nil
	})
	for _, l := range last {
		fmt.Fprintln(log, l)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("not every claim reached %s within %s: the driver may still be working (kubectl describe pvc)", plan.To.String(), timeout)
	}
	return err
}
