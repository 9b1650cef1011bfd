// Package inventory holds the Kubernetes objects an audit looks at, whether they come from
// rendered manifests or from a live namespace, and answers the questions every check asks of
// them: which file a container sees at a path, which Services select a pod, which claim holds a
// volume.
package inventory

import (
	"path"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Inventory is what the audit sees.
type Inventory struct {
	// Live is true for a namespace read from the API server: object status (PVC phase, CronJob
	// runs) and running pods are real. Manifests have neither.
	Live bool
	// DefaultNamespace is the namespace of objects that name none.
	DefaultNamespace string

	Namespaces []corev1.Namespace
	Workloads  []Workload
	Pods       []corev1.Pod // live pods, for exec and port-forward
	Services   []corev1.Service
	Secrets    []corev1.Secret
	ConfigMaps []corev1.ConfigMap
	PVCs       []corev1.PersistentVolumeClaim
	CronJobs   []batchv1.CronJob
	Jobs       []batchv1.Job
}

// Workload is anything that runs a pod: a StatefulSet, Deployment, DaemonSet or bare Pod.
type Workload struct {
	Kind, Name, Namespace string
	Template              corev1.PodTemplateSpec
	// ClaimTemplates are a StatefulSet's volumeClaimTemplates; Replicas its replica count.
	ClaimTemplates []corev1.PersistentVolumeClaim
	Replicas       int32
}

// ID is "<Kind>/<namespace>/<name>".
func (w *Workload) ID() string { return w.Kind + "/" + w.Namespace + "/" + w.Name }

// Add appends a typed object; kinds the audit does not read are ignored.
func (inv *Inventory) Add(obj any) {
	switch o := obj.(type) {
	case *corev1.Namespace:
		inv.Namespaces = append(inv.Namespaces, *o)
	case *corev1.Service:
		inv.Services = append(inv.Services, *o)
	case *corev1.Secret:
		inv.Secrets = append(inv.Secrets, *o)
	case *corev1.ConfigMap:
		inv.ConfigMaps = append(inv.ConfigMaps, *o)
	case *corev1.PersistentVolumeClaim:
		inv.PVCs = append(inv.PVCs, *o)
	case *batchv1.CronJob:
		inv.CronJobs = append(inv.CronJobs, *o)
	case *batchv1.Job:
		inv.Jobs = append(inv.Jobs, *o)
	case *appsv1.StatefulSet:
		replicas := int32(1)
		if o.Spec.Replicas != nil {
			replicas = *o.Spec.Replicas
		}
		inv.Workloads = append(inv.Workloads, Workload{Kind: "StatefulSet", Name: o.Name, Namespace: o.Namespace,
			Template: o.Spec.Template, ClaimTemplates: o.Spec.VolumeClaimTemplates, Replicas: replicas})
	case *appsv1.Deployment:
		inv.Workloads = append(inv.Workloads, Workload{Kind: "Deployment", Name: o.Name, Namespace: o.Namespace, Template: o.Spec.Template})
	case *appsv1.DaemonSet:
		inv.Workloads = append(inv.Workloads, Workload{Kind: "DaemonSet", Name: o.Name, Namespace: o.Namespace, Template: o.Spec.Template})
	case *corev1.Pod:
		if inv.Live {
			inv.Pods = append(inv.Pods, *o)
		}
		// A pod that no controller owns is a workload of its own; Helm test hooks are clients.
		if len(o.OwnerReferences) == 0 && o.Annotations["helm.sh/hook"] == "" {
			inv.Workloads = append(inv.Workloads, Workload{Kind: "Pod", Name: o.Name, Namespace: o.Namespace,
				Template: corev1.PodTemplateSpec{ObjectMeta: o.ObjectMeta, Spec: o.Spec}})
		}
	}
}

// Normalize gives every object without a namespace the default one.
func (inv *Inventory) Normalize() {
	ns := func(s *string) {
		if *s == "" {
			*s = inv.DefaultNamespace
		}
	}
	for i := range inv.Workloads {
		ns(&inv.Workloads[i].Namespace)
	}
	for i := range inv.Services {
		ns(&inv.Services[i].Namespace)
	}
	for i := range inv.Secrets {
		ns(&inv.Secrets[i].Namespace)
	}
	for i := range inv.ConfigMaps {
		ns(&inv.ConfigMaps[i].Namespace)
	}
	for i := range inv.PVCs {
		ns(&inv.PVCs[i].Namespace)
	}
	for i := range inv.CronJobs {
		ns(&inv.CronJobs[i].Namespace)
	}
	for i := range inv.Jobs {
		ns(&inv.Jobs[i].Namespace)
	}
}

// Secret returns a Secret by namespace and name.
func (inv *Inventory) Secret(ns, name string) *corev1.Secret {
	for i := range inv.Secrets {
		if s := &inv.Secrets[i]; s.Namespace == ns && s.Name == name {
			return s
		}
	}
	return nil
}

// ConfigMap returns a ConfigMap by namespace and name.
func (inv *Inventory) ConfigMap(ns, name string) *corev1.ConfigMap {
	for i := range inv.ConfigMaps {
		if c := &inv.ConfigMaps[i]; c.Namespace == ns && c.Name == name {
			return c
		}
	}
	return nil
}

// PVC returns a claim by namespace and name.
func (inv *Inventory) PVC(ns, name string) *corev1.PersistentVolumeClaim {
	for i := range inv.PVCs {
		if c := &inv.PVCs[i]; c.Namespace == ns && c.Name == name {
			return c
		}
	}
	return nil
}

// Namespace returns a namespace object, or nil when the inventory does not hold it.
func (inv *Inventory) Namespace(name string) *corev1.Namespace {
	for i := range inv.Namespaces {
		if inv.Namespaces[i].Name == name {
			return &inv.Namespaces[i]
		}
	}
	return nil
}

// ServicesFor returns the Services whose selector matches the workload's pods.
func (inv *Inventory) ServicesFor(w *Workload) []corev1.Service {
	var out []corev1.Service
	for _, s := range inv.Services {
		if s.Namespace != w.Namespace || len(s.Spec.Selector) == 0 {
			continue
		}
		if labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(w.Template.Labels)) {
			out = append(out, s)
		}
	}
	return out
}

// PodsFor returns the workload's live pods, running ones first.
func (inv *Inventory) PodsFor(w *Workload) []corev1.Pod {
	var running, other []corev1.Pod
	for _, p := range inv.Pods {
		if p.Namespace != w.Namespace || !ownedBy(p, w) {
			continue
		}
		if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
			running = append(running, p)
		} else {
			other = append(other, p)
		}
	}
	return append(running, other...)
}

// ownedBy matches a pod to its workload: by name for a bare pod and a StatefulSet
// (<name>-<ordinal>), by labels otherwise (a Deployment's pods belong to a ReplicaSet).
func ownedBy(p corev1.Pod, w *Workload) bool {
	switch w.Kind {
	case "Pod":
		return p.Name == w.Name
	case "StatefulSet":
		rest, ok := strings.CutPrefix(p.Name, w.Name+"-")
		return ok && rest != "" && strings.Trim(rest, "0123456789") == ""
	}
	if len(w.Template.Labels) == 0 {
		return false
	}
	return labels.SelectorFromSet(w.Template.Labels).Matches(labels.Set(p.Labels))
}

// VolumeKind says what backs a path in a container.
type VolumeKind string

const (
	KindNone          VolumeKind = "none" // no mount: the container's own file system
	KindConfigMap     VolumeKind = "configMap"
	KindSecret        VolumeKind = "secret"
	KindEmptyDir      VolumeKind = "emptyDir"
	KindClaim         VolumeKind = "persistentVolumeClaim"
	KindClaimTemplate VolumeKind = "volumeClaimTemplate"
	KindEphemeral     VolumeKind = "ephemeral" // a generic ephemeral volume: a claim that dies with the pod
	KindHostPath      VolumeKind = "hostPath"
	KindOther         VolumeKind = "other"
)

// File is what a container finds at a path.
type File struct {
	Kind      VolumeKind
	Volume    string // the pod volume's name
	Object    string // the ConfigMap, Secret or claim behind it
	Key       string // the ConfigMap or Secret key
	Mode      int32  // file mode of a Secret or ConfigMap file
	Data      []byte // content, for ConfigMap and Secret files found in the inventory
	Found     bool   // Data is the real content
	MountPath string
}

// Lookup resolves a path in a container of the workload: the mount that holds it (longest mount
// path first) and, for ConfigMap and Secret volumes, the key and content. A StatefulSet's claim
// templates take precedence over pod volumes of the same name, as the controller does.
func (inv *Inventory) Lookup(w *Workload, c *corev1.Container, p string) File {
	p = path.Clean(p)
	var best *corev1.VolumeMount
	for i := range c.VolumeMounts {
		m := &c.VolumeMounts[i]
		mp := path.Clean(m.MountPath)
		if p == mp || strings.HasPrefix(p, mp+"/") || mp == "/" {
			if best == nil || len(mp) > len(path.Clean(best.MountPath)) {
				best = m
			}
		}
	}
	if best == nil {
		return File{Kind: KindNone}
	}
	rel := strings.TrimPrefix(strings.TrimPrefix(p, path.Clean(best.MountPath)), "/")
	if best.SubPath != "" {
		rel = path.Join(best.SubPath, rel)
	}
	f := File{Volume: best.Name, MountPath: best.MountPath}
	for _, t := range w.ClaimTemplates {
		if t.Name == best.Name {
			f.Kind, f.Object = KindClaimTemplate, t.Name
			return f
		}
	}
	var vol *corev1.Volume
	for i := range w.Template.Spec.Volumes {
		if w.Template.Spec.Volumes[i].Name == best.Name {
			vol = &w.Template.Spec.Volumes[i]
		}
	}
	switch {
	case vol == nil:
		f.Kind = KindOther
	case vol.EmptyDir != nil:
		f.Kind = KindEmptyDir
	case vol.PersistentVolumeClaim != nil:
		f.Kind, f.Object = KindClaim, vol.PersistentVolumeClaim.ClaimName
	case vol.Ephemeral != nil:
		f.Kind = KindEphemeral
	case vol.HostPath != nil:
		f.Kind, f.Object = KindHostPath, vol.HostPath.Path
	case vol.ConfigMap != nil:
		f.Kind, f.Object = KindConfigMap, vol.ConfigMap.Name
		f.Key, f.Mode = itemKey(vol.ConfigMap.Items, rel, vol.ConfigMap.DefaultMode)
		if cm := inv.ConfigMap(w.Namespace, f.Object); cm != nil {
			if v, ok := cm.Data[f.Key]; ok {
				f.Data, f.Found = []byte(v), true
			} else if v, ok := cm.BinaryData[f.Key]; ok {
				f.Data, f.Found = v, true
			}
		}
	case vol.Secret != nil:
		f.Kind, f.Object = KindSecret, vol.Secret.SecretName
		f.Key, f.Mode = itemKey(vol.Secret.Items, rel, vol.Secret.DefaultMode)
		if s := inv.Secret(w.Namespace, f.Object); s != nil {
			f.Data, f.Found = secretValue(s, f.Key)
		}
	case vol.Projected != nil:
		f = inv.projected(w, vol, rel, f)
	default:
		f.Kind = KindOther
	}
	return f
}

func (inv *Inventory) projected(w *Workload, vol *corev1.Volume, rel string, f File) File {
	f.Kind = KindOther
	for _, src := range vol.Projected.Sources {
		switch {
		case src.Secret != nil:
			key, mode := itemKey(src.Secret.Items, rel, vol.Projected.DefaultMode)
			if s := inv.Secret(w.Namespace, src.Secret.Name); s != nil {
				if data, ok := secretValue(s, key); ok {
					return File{Kind: KindSecret, Volume: f.Volume, Object: s.Name, Key: key, Mode: mode, Data: data, Found: true, MountPath: f.MountPath}
				}
			}
		case src.ConfigMap != nil:
			key, mode := itemKey(src.ConfigMap.Items, rel, vol.Projected.DefaultMode)
			if cm := inv.ConfigMap(w.Namespace, src.ConfigMap.Name); cm != nil {
				if v, ok := cm.Data[key]; ok {
					return File{Kind: KindConfigMap, Volume: f.Volume, Object: cm.Name, Key: key, Mode: mode, Data: []byte(v), Found: true, MountPath: f.MountPath}
				}
			}
		}
	}
	return f
}

// itemKey maps a file name in a ConfigMap or Secret volume to its key and mode (Kubernetes'
// default mode is 0644).
func itemKey(items []corev1.KeyToPath, rel string, defaultMode *int32) (string, int32) {
	mode := int32(0o644)
	if defaultMode != nil {
		mode = *defaultMode
	}
	for _, it := range items {
		if path.Clean(it.Path) == rel {
			if it.Mode != nil {
				mode = *it.Mode
			}
			return it.Key, mode
		}
	}
	if len(items) > 0 {
		return "", mode // the volume projects only its items; this file is not one of them
	}
	return rel, mode
}

func secretValue(s *corev1.Secret, key string) ([]byte, bool) {
	if v, ok := s.Data[key]; ok {
		return v, true
	}
	if v, ok := s.StringData[key]; ok {
		return []byte(v), true
	}
	return nil, false
}

// SecretValue is a Secret key's value, from data or stringData.
func SecretValue(s *corev1.Secret, key string) ([]byte, bool) { return secretValue(s, key) }

// MountedFiles lists the ConfigMap files a container mounts, with their pod paths.
func (inv *Inventory) MountedFiles(w *Workload, c *corev1.Container) map[string]File {
	out := map[string]File{}
	for _, m := range c.VolumeMounts {
		for _, v := range w.Template.Spec.Volumes {
			if v.Name != m.Name {
				continue
			}
			var keys []string
			switch {
			case v.ConfigMap != nil:
				keys = volumeKeys(v.ConfigMap.Items, func() []string { return inv.configMapKeys(w.Namespace, v.ConfigMap.Name) })
			case v.Projected != nil:
				for _, src := range v.Projected.Sources {
					if src.ConfigMap != nil {
						keys = append(keys, volumeKeys(src.ConfigMap.Items, func() []string { return inv.configMapKeys(w.Namespace, src.ConfigMap.Name) })...)
					}
				}
			}
			for _, rel := range keys {
				p := path.Join(m.MountPath, rel)
				if m.SubPath != "" {
					if rel != m.SubPath {
						continue
					}
					p = m.MountPath
				}
				if f := inv.Lookup(w, c, p); f.Found {
					out[p] = f
				}
			}
		}
	}
	return out
}

func volumeKeys(items []corev1.KeyToPath, all func() []string) []string {
	if len(items) == 0 {
		return all()
	}
	var out []string
	for _, it := range items {
		out = append(out, it.Path)
	}
	return out
}

func (inv *Inventory) configMapKeys(ns, name string) []string {
	cm := inv.ConfigMap(ns, name)
	if cm == nil {
		return nil
	}
	var out []string
	for k := range cm.Data {
		out = append(out, k)
	}
	return out
}
