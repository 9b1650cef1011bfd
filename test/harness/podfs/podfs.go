// Package podfs lays out, in a host directory, the file system a rendered pod sees: every volume
// at its mount path, Secret and ConfigMap volumes written the way the kubelet writes them.
//
// This is the one place where pod paths become host paths. A mount at /tls in the pod is
// Root+"/tls" on the host; HostPath and Rewrite apply that mapping to a path or to a rendered file
// (postgresql.conf, init.sql, an env value) so that tests run the chart's own files unedited
// except for this prefix.
package podfs

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Sources are the objects volumes are filled from, by name.
type Sources struct {
	Secrets    map[string]*corev1.Secret
	ConfigMaps map[string]*corev1.ConfigMap
}

// Owner is who the kubelet would make the pod's files belong to: the pod's fsGroup as group.
type Owner struct{ UID, GID int }

// Layout is a pod file system under Root.
type Layout struct {
	Root   string
	mounts []string // pod mount paths, longest first
}

// New writes every volume mounted by the containers into root. ConfigMap files pass through
// Rewrite, so postgresql.conf or an init script names host paths. A Secret or ConfigMap volume
// whose object is missing is left empty when the volume is optional and is an error otherwise, as
// the kubelet would keep the pod waiting.
func New(root string, spec corev1.PodSpec, src Sources, owner Owner) (*Layout, error) {
	l := &Layout{Root: root}
	volumes := map[string]corev1.Volume{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = v
	}
	type mount struct {
		path   string
		volume string
	}
	var mounts []mount
	seen := map[string]bool{}
	for _, c := range append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...) {
		for _, m := range c.VolumeMounts {
			if !seen[m.MountPath] {
				seen[m.MountPath] = true
				mounts = append(mounts, mount{m.MountPath, m.Name})
				l.mounts = append(l.mounts, m.MountPath)
			}
		}
	}
	sort.Slice(l.mounts, func(i, j int) bool { return len(l.mounts[i]) > len(l.mounts[j]) })

	for _, m := range mounts {
		dir := l.HostPath(m.path)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		v, ok := volumes[m.volume]
		if !ok {
			// A claim template's volume: a persistent disk, empty at first start.
			if err := chownDir(dir, owner, 0o775); err != nil {
				return nil, err
			}
			continue
		}
		if err := l.fill(dir, v, src, owner); err != nil {
			return nil, fmt.Errorf("volume %s at %s: %w", v.Name, m.path, err)
		}
	}
	return l, nil
}

func (l *Layout) fill(dir string, v corev1.Volume, src Sources, owner Owner) error {
	switch {
	case v.Secret != nil:
		s, ok := src.Secrets[v.Secret.SecretName]
		if !ok {
			if v.Secret.Optional != nil && *v.Secret.Optional {
				return nil
			}
			return fmt.Errorf("Secret %q does not exist", v.Secret.SecretName)
		}
		return writeAtomic(dir, s.Data, v.Secret.Items, v.Secret.DefaultMode, owner)
	case v.ConfigMap != nil:
		cm, ok := src.ConfigMaps[v.ConfigMap.Name]
		if !ok {
			if v.ConfigMap.Optional != nil && *v.ConfigMap.Optional {
				return nil
			}
			return fmt.Errorf("ConfigMap %q does not exist", v.ConfigMap.Name)
		}
		data := map[string][]byte{}
		for k, s := range cm.Data {
			data[k] = []byte(l.Rewrite(s))
		}
		return writeAtomic(dir, data, v.ConfigMap.Items, v.ConfigMap.DefaultMode, owner)
	case v.EmptyDir != nil:
		// The kubelet makes emptyDirs world-writable; fsGroup owns them.
		return chownDir(dir, owner, 0o777)
	case v.PersistentVolumeClaim != nil:
		return chownDir(dir, owner, 0o775)
	case v.Projected != nil:
		// Secrets and ConfigMaps projected into one directory, with the volume's mode; a source
		// without items projects every key under its own name; an optional source may be missing.
		data := map[string][]byte{}
		var items []corev1.KeyToPath
		for _, source := range v.Projected.Sources {
			var kind, name string
			var srcData map[string][]byte
			var srcItems []corev1.KeyToPath
			var optional *bool
			switch {
			case source.Secret != nil:
				kind, name, srcItems, optional = "Secret", source.Secret.Name, source.Secret.Items, source.Secret.Optional
				if s, ok := src.Secrets[name]; ok {
					srcData = s.Data
				}
			case source.ConfigMap != nil:
				kind, name, srcItems, optional = "ConfigMap", source.ConfigMap.Name, source.ConfigMap.Items, source.ConfigMap.Optional
				if cm, ok := src.ConfigMaps[name]; ok {
					srcData = map[string][]byte{}
					for k, v := range cm.Data {
						srcData[k] = []byte(l.Rewrite(v))
					}
				}
			default:
				return fmt.Errorf("only Secret and ConfigMap projections are supported")
			}
			if srcData == nil {
				if optional != nil && *optional {
					continue
				}
				return fmt.Errorf("%s %q does not exist", kind, name)
			}
			if len(srcItems) == 0 {
				for k := range srcData {
					srcItems = append(srcItems, corev1.KeyToPath{Key: k, Path: k})
				}
				sort.Slice(srcItems, func(i, j int) bool { return srcItems[i].Key < srcItems[j].Key })
			}
			for _, it := range srcItems {
				v, ok := srcData[it.Key]
				if !ok {
					return fmt.Errorf("%s %q has no key %q", kind, name, it.Key)
				}
				data[it.Path] = v
				items = append(items, corev1.KeyToPath{Key: it.Path, Path: it.Path, Mode: it.Mode})
			}
		}
		return writeAtomic(dir, data, items, v.Projected.DefaultMode, owner)
	default:
		return fmt.Errorf("volume type not supported by podfs")
	}
}

// writeAtomic writes files as the kubelet's AtomicWriter does: the data in a timestamped
// directory, "..data" pointing at it, and each visible name a symlink through "..data".
func writeAtomic(dir string, data map[string][]byte, items []corev1.KeyToPath, defaultMode *int32, owner Owner) error {
	mode := os.FileMode(0o644)
	if defaultMode != nil {
		mode = os.FileMode(*defaultMode)
	}
	type file struct {
		path string
		mode os.FileMode
		data []byte
	}
	var files []file
	if len(items) == 0 {
		for k, v := range data {
			files = append(files, file{k, mode, v})
		}
	} else {
		for _, it := range items {
			v, ok := data[it.Key]
			if !ok {
				return fmt.Errorf("no key %q", it.Key)
			}
			m := mode
			if it.Mode != nil {
				m = os.FileMode(*it.Mode)
			}
			files = append(files, file{it.Path, m, v})
		}
	}
	// A new timestamped directory on every write, as the kubelet names them.
	ts, err := os.MkdirTemp(dir, time.Now().UTC().Format("..2006_01_02_15_04_05."))
	if err != nil {
		return err
	}
	if err := os.Chmod(ts, 0o755); err != nil {
		return err
	}
	previous, _ := os.Readlink(filepath.Join(dir, "..data"))
	for _, f := range files {
		p := filepath.Join(ts, f.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.data, 0o600); err != nil {
			return err
		}
		if err := chown(p, owner); err != nil {
			return err
		}
		if err := os.Chmod(p, f.mode); err != nil {
			return err
		}
	}
	// The switch is one rename of "..data": a reader sees the old files or the new ones, never a mix.
	tmp := filepath.Join(dir, "..data_tmp")
	_ = os.Remove(tmp)
	if err := os.Symlink(filepath.Base(ts), tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
		return err
	}
	if previous != "" {
		if err := os.RemoveAll(filepath.Join(dir, previous)); err != nil {
			return err
		}
	}
	for _, f := range files {
		top := strings.SplitN(f.path, "/", 2)[0]
		link := filepath.Join(dir, top)
		if _, err := os.Lstat(link); err == nil {
			continue
		}
		if err := os.Symlink(filepath.Join("..data", top), link); err != nil {
			return err
		}
	}
	return nil
}

// UpdateSecret writes a Secret's new data into every volume of spec made from it, the way the
// kubelet updates a mounted Secret in place: a new data directory and one atomic switch of
// "..data" (files the new data lacks disappear, new keys appear).
func (l *Layout) UpdateSecret(spec corev1.PodSpec, name string, data map[string][]byte, owner Owner) error {
	updated := map[string]bool{}
	for _, v := range spec.Volumes {
		if v.Secret == nil || v.Secret.SecretName != name {
			continue
		}
		for _, c := range append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...) {
			for _, m := range c.VolumeMounts {
				if m.Name != v.Name || updated[m.MountPath] {
					continue
				}
				if err := writeAtomic(l.HostPath(m.MountPath), data, v.Secret.Items, v.Secret.DefaultMode, owner); err != nil {
					return fmt.Errorf("volume %s at %s: %w", v.Name, m.MountPath, err)
				}
				updated[m.MountPath] = true
			}
		}
	}
	if len(updated) == 0 {
		return fmt.Errorf("no volume of the pod is made from Secret %q", name)
	}
	return nil
}

func chownDir(dir string, owner Owner, mode os.FileMode) error {
	if err := chown(dir, owner); err != nil {
		return err
	}
	return os.Chmod(dir, mode|os.ModeSetgid)
}

// chown gives a volume's file to root and the pod's fsGroup, as the kubelet does. Without root
// the files stay the current user's, which is who runs the containers then.
func chown(path string, owner Owner) error {
	if os.Geteuid() != 0 {
		return nil
	}
	return os.Chown(path, 0, owner.GID)
}

// HostPath maps a path inside the pod to the host.
func (l *Layout) HostPath(podPath string) string {
	return filepath.Join(l.Root, podPath)
}

// Rewrite replaces every mount path in a rendered file with its host path, in one pass. Only
// whole paths match: /tls does not rewrite /tls-secret, nor /data the end of /var/lib/data.
func (l *Layout) Rewrite(text string) string {
	if len(l.mounts) == 0 {
		return text
	}
	quoted := make([]string, len(l.mounts))
	for i, m := range l.mounts {
		quoted[i] = regexp.QuoteMeta(m)
	}
	re := regexp.MustCompile(strings.Join(quoted, "|"))
	var b strings.Builder
	last := 0
	for _, loc := range re.FindAllStringIndex(text, -1) {
		start, end := loc[0], loc[1]
		if (start > 0 && isPathChar(text[start-1])) || (end < len(text) && isPathChar(text[end]) && text[end] != '/') {
			continue
		}
		b.WriteString(text[last:start])
		b.WriteString(l.HostPath(text[start:end]))
		last = end
	}
	b.WriteString(text[last:])
	return b.String()
}

func isPathChar(c byte) bool {
	return c == '/' || c == '.' || c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// Env is a container's environment with literal values mapped to host paths.
func (l *Layout) Env(c corev1.Container) []string {
	var out []string
	for _, e := range c.Env {
		out = append(out, e.Name+"="+l.Rewrite(e.Value))
	}
	return out
}
