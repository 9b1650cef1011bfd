// Package chart renders the datastores umbrella chart in-process the way `helm install` does and
// decodes what it renders into typed Kubernetes objects.
//
// engine.Render alone skips two steps of an install: it neither drops disabled subcharts
// (conditions) nor validates values against the charts' schemas. RenderE runs the same sequence as
// action.Install in client-only mode (ProcessDependenciesWithMerge, ToRenderValuesWithSchemaValidation,
// render, SortManifests), with one difference: `lookup` is answered by a fake cluster holding
// Options.Existing, so tests can prove what happens on `helm upgrade`.
package chart

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/getter"
	"helm.sh/helm/v3/pkg/releaseutil"
	"k8s.io/apimachinery/pkg/runtime"
)

// Options describe one render, like the flags of `helm install`.
type Options struct {
	// ValuesFiles are -f files, relative to the repository root unless absolute.
	ValuesFiles []string
	// SetValues are --set pairs, applied after ValuesFiles.
	SetValues map[string]string
	// ReleaseName defaults to "test"; Namespace to "datastores".
	ReleaseName string
	Namespace   string
	// Existing are the objects already in the cluster, as `lookup` sees them.
	Existing []runtime.Object
	// IsUpgrade renders as `helm upgrade` does (revision 2, .Release.IsUpgrade).
	IsUpgrade bool
	// SkipSchemaValidation renders as --skip-schema-validation does, to reach the templates'
	// own checks behind the schema.
	SkipSchemaValidation bool
	// Chart is the chart directory to render; empty: this repository's chart (ChartDir).
	Chart string
}

// Release is what one render produced.
type Release struct {
	// Manifests are the rendered documents in install order, with their source template.
	Manifests []releaseutil.Manifest
	// Objects are Manifests decoded strictly into typed objects, in the same order.
	Objects []runtime.Object
	// Notes is the umbrella chart's NOTES.txt.
	Notes string
	// Hooks are the documents annotated as Helm hooks (e.g. `helm test` pods).
	Hooks []runtime.Object
}

// Render renders the chart and fails the test on any error.
func Render(t testing.TB, opts Options) *Release {
	t.Helper()
	rel, err := RenderE(opts)
	if err != nil {
		t.Fatalf("render %v: %v", opts.ValuesFiles, err)
	}
	return rel
}

// RenderE renders the chart and returns the error a user of `helm install` would see.
func RenderE(opts Options) (*Release, error) {
	if opts.ReleaseName == "" {
		opts.ReleaseName = "test"
	}
	if opts.Namespace == "" {
		opts.Namespace = "datastores"
	}
	root := RepoRoot()
	dir := opts.Chart
	if dir == "" {
		dir = ChartDir()
	}
	chrt, err := loader.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("load chart: %w", err)
	}

	valueOpts := values.Options{}
	for _, f := range opts.ValuesFiles {
		if !filepath.IsAbs(f) {
			f = filepath.Join(root, f)
		}
		valueOpts.ValueFiles = append(valueOpts.ValueFiles, f)
	}
	keys := make([]string, 0, len(opts.SetValues))
	for k := range opts.SetValues {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		valueOpts.Values = append(valueOpts.Values, k+"="+opts.SetValues[k])
	}
	vals, err := valueOpts.MergeValues(getter.Providers{})
	if err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}

	if err := chartutil.ProcessDependenciesWithMerge(chrt, vals); err != nil {
		return nil, err
	}
	caps := chartutil.DefaultCapabilities.Copy()
	revision := 1
	if opts.IsUpgrade {
		revision = 2
	}
	relOpts := chartutil.ReleaseOptions{
		Name:      opts.ReleaseName,
		Namespace: opts.Namespace,
		Revision:  revision,
		IsInstall: !opts.IsUpgrade,
		IsUpgrade: opts.IsUpgrade,
	}
	renderVals, err := chartutil.ToRenderValuesWithSchemaValidation(chrt, vals, relOpts, caps, opts.SkipSchemaValidation)
	if err != nil {
		return nil, err
	}
	cluster, err := newFakeCluster(opts.Existing)
	if err != nil {
		return nil, err
	}
	files, err := engine.RenderWithClientProvider(chrt, renderVals, cluster)
	if err != nil {
		return nil, err
	}

	rel := &Release{}
	// As action.Install does: only the top chart's NOTES.txt is shown, and no NOTES is a manifest.
	for name, content := range files {
		if strings.HasSuffix(name, "NOTES.txt") {
			if name == chrt.Name()+"/templates/NOTES.txt" {
				rel.Notes = content
			}
			delete(files, name)
		}
	}
	hooks, manifests, err := releaseutil.SortManifests(files, caps.APIVersions, releaseutil.InstallOrder)
	if err != nil {
		return nil, err
	}
	rel.Manifests = manifests
	for _, m := range manifests {
		obj, err := Decode(m.Content)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.Name, err)
		}
		rel.Objects = append(rel.Objects, obj)
	}
	for _, h := range hooks {
		obj, err := Decode(h.Manifest)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", h.Path, err)
		}
		rel.Hooks = append(rel.Hooks, obj)
	}
	if err := rel.validate(); err != nil {
		return nil, err
	}
	return rel, nil
}

var (
	rootOnce sync.Once
	rootDir  string
)

// RepoRoot is the directory holding go.mod, found from the working directory upwards.
func RepoRoot() string {
	rootOnce.Do(func() {
		dir, err := os.Getwd()
		if err != nil {
			panic(err)
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				rootDir = dir
				return
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				panic("go.mod not found above the working directory")
			}
			dir = parent
		}
	})
	return rootDir
}

// ChartDir is the umbrella chart's directory.
func ChartDir() string { return filepath.Join(RepoRoot(), "charts", "datastores") }
