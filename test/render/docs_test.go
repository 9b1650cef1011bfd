package render_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/datastores/datastores/test/harness/chart"
)

// The docs (README.md, ARCHITECTURE.md, docs/*.md and the generated chart README) are held to
// what the repository is: their links resolve, the files and tests they name exist, the object
// names of the install guide are the ones the chart renders, and the counts they state hold.
// That the chart README is what helm-docs generates is checked by `make lint` (docs-check).

// docs returns every Markdown document a reader of the repository gets, by path relative to the
// repository root.
func docs(t *testing.T) map[string]string {
	t.Helper()
	root := chart.RepoRoot()
	paths := []string{"README.md", "ARCHITECTURE.md", "charts/datastores/README.md", "charts/datastores/CHANGELOG.md"}
	more, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	require.NoError(t, err)
	require.NotEmpty(t, more, "docs/ holds the user guides")
	for _, p := range more {
		rel, err := filepath.Rel(root, p)
		require.NoError(t, err)
		paths = append(paths, rel)
	}
	out := map[string]string{}
	for _, p := range paths {
		b, err := os.ReadFile(filepath.Join(root, p))
		require.NoError(t, err)
		out[filepath.ToSlash(p)] = string(b)
	}
	return out
}

var fence = regexp.MustCompile("(?ms)^```.*?^```")

// prose is a document without its fenced code blocks.
func prose(doc string) string { return fence.ReplaceAllString(doc, "") }

// anchors are the heading anchors GitHub gives a document.
func anchors(doc string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	for _, line := range strings.Split(prose(doc), "\n") {
		if !strings.HasPrefix(line, "#") {
			continue
		}
		title := strings.TrimSpace(strings.TrimLeft(line, "#"))
		var b strings.Builder
		for _, r := range strings.ToLower(title) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9'):
				b.WriteRune(r)
			}
		}
		slug := b.String()
		if n := seen[slug]; n > 0 {
			out[fmt.Sprintf("%s-%d", slug, n)] = true
		} else {
			out[slug] = true
		}
		seen[slug]++
	}
	return out
}

var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// Every link between the docs points at a file that exists, and at a heading it has.
func TestDocsLinksResolve(t *testing.T) {
	root := chart.RepoRoot()
	all := docs(t)
	const repoURL = "https://github.com/datastores/datastores/blob/main/"
	for path, doc := range all {
		for _, m := range mdLink.FindAllStringSubmatch(prose(doc), -1) {
			target := m[1]
			var file string
			switch {
			case strings.HasPrefix(target, repoURL):
				file = strings.TrimPrefix(target, repoURL) // the packaged README links into the repository
			case strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:"):
				continue
			case strings.HasPrefix(target, "#"):
				file = path
			default:
				file = filepath.ToSlash(filepath.Join(filepath.Dir(path), target))
			}
			file, anchor, _ := strings.Cut(file, "#")
			if _, err := os.Stat(filepath.Join(root, file)); !assert.NoError(t, err, "%s links to %s", path, target) {
				continue
			}
			if anchor == "" || !strings.HasSuffix(file, ".md") {
				continue
			}
			b, err := os.ReadFile(filepath.Join(root, file))
			require.NoError(t, err)
			assert.True(t, anchors(string(b))[anchor], "%s links to %s: %s has no heading #%s", path, target, file, anchor)
		}
	}
}

var codeSpan = regexp.MustCompile("`([^`\n]+)`")

// Every repository path the docs name in code (`test/render/tls_test.go`, `values/dev.yaml`,
// `postgres/templates/_config.tpl` below charts/datastores/charts) exists, so a moved file cannot
// leave a guide pointing at nothing.
func TestDocsNameFilesThatExist(t *testing.T) {
	root := chart.RepoRoot()
	roots := []string{"charts/", "test/", "values/", "ci/", "internal/", "docs/", ".ci/", ".github/"}
	subcharts := []string{"postgres/templates", "redis/templates", "common/templates"}
	for path, doc := range docs(t) {
		for _, m := range codeSpan.FindAllStringSubmatch(prose(doc), -1) {
			name := m[1]
			if strings.ContainsAny(name, " <>*$=") || strings.Contains(name, "...") {
				continue
			}
			var file string
			for _, r := range roots {
				if strings.HasPrefix(name, r) {
					file = name
				}
			}
			for _, s := range subcharts {
				if strings.HasPrefix(name, s) {
					file = "charts/datastores/charts/" + name
				}
			}
			if file == "" {
				continue
			}
			_, err := os.Stat(filepath.Join(root, file))
			assert.NoError(t, err, "%s names %s", path, name)
		}
	}
}

var testName = regexp.MustCompile("`((?:Test|Fuzz|Benchmark)[A-Z][A-Za-z0-9_]*)`")

// Every test the docs cite as a proof exists under that name somewhere in the repository.
func TestDocsNameTestsThatExist(t *testing.T) {
	root := chart.RepoRoot()
	declared := map[string]bool{}
	decl := regexp.MustCompile(`(?m)^func ((?:Test|Fuzz|Benchmark)[A-Za-z0-9_]*)\(`)
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "bin") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(p, "_test.go") {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			for _, m := range decl.FindAllStringSubmatch(string(b), -1) {
				declared[m[1]] = true
			}
		}
		return nil
	}))
	for path, doc := range docs(t) {
		for _, m := range testName.FindAllStringSubmatch(doc, -1) {
			assert.True(t, declared[m[1]], "%s cites %s, which no test file declares", path, m[1])
		}
	}
}

// The names in docs/install.md's table of objects are the names the chart renders, each for an
// object of the kinds its row names: release "test", instance "app", Redis user "app", with every
// feature that adds objects turned on.
func TestInstallGuideNamesWhatTheChartRenders(t *testing.T) {
	rel := chart.Render(t, chart.Options{ValuesFiles: []string{devValues, chart.ValuesFile(t, `
postgres:
  extensions: [pgcrypto, hstore]
  metrics: {enabled: true, serviceMonitor: {enabled: true}, podMonitor: {enabled: true}, prometheusRule: {enabled: true}}
  instances:
    app: {tls: {clientCertificates: true}}
    other: {database: other_db, user: other_user}
  backup: {enabled: true, instances: [other], verify: {enabled: true}}
  external:
    app-ext:
      url: postgresql://u@db.example.com:5432/db
      existingSecret: {name: db, key: password}
      ca: {system: true}
redis:
  tls: {authClients: "yes"}
  auth: {users: [{name: app, rules: "~app:* +@read"}]}
  metrics: {enabled: true, serviceMonitor: {enabled: true}, podMonitor: {enabled: true}, prometheusRule: {enabled: true}}
`)}})
	kindsOf := map[string]map[string]bool{} // object name -> its kinds
	for _, o := range append(append([]runtime.Object{}, rel.Objects...), rel.Hooks...) {
		m, err := meta.Accessor(o)
		require.NoError(t, err)
		if kindsOf[m.GetName()] == nil {
			kindsOf[m.GetName()] = map[string]bool{}
		}
		kindsOf[m.GetName()][reflect.TypeOf(o).Elem().Name()] = true
	}
	rendered := func(name string) []string { // the rendered names a documented name stands for
		if prefix, ok := strings.CutSuffix(name, "<hash>"); ok {
			var out []string
			for n := range kindsOf {
				if strings.HasPrefix(n, prefix) {
					out = append(out, n)
				}
			}
			return out
		}
		if _, ok := kindsOf[name]; ok {
			return []string{name}
		}
		return nil
	}
	kindWord := regexp.MustCompile(`\b(StatefulSet|ServiceAccount|ConfigMap|NetworkPolicy|PodDisruptionBudget|Service|Secret|Pod|Job|CronJob|ServiceMonitor|PodMonitor|PrometheusRule)\b`)
	names := regexp.MustCompile("`([^`]+)`")
	placeholders := strings.NewReplacer("<release>", "test", "<name>", "app", "<user>", "app")

	b, err := os.ReadFile(filepath.Join(chart.RepoRoot(), "docs", "install.md"))
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(b), "\n## Objects the chart creates\n")
	require.True(t, ok, "docs/install.md has a section \"Objects the chart creates\"")
	section, _, _ = strings.Cut(section, "\n## ")
	rows := 0
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, " | ")
		if len(cells) != 2 || !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| Object") {
			continue
		}
		rows++
		object, nameCell := cells[0], cells[1]
		// The kinds a row is about: those before its first explanation, or else all it names.
		head, _, _ := strings.Cut(strings.SplitN(object, "(", 2)[0], ":")
		kinds := kindWord.FindAllString(head, -1)
		if len(kinds) == 0 {
			kinds = kindWord.FindAllString(object, -1)
		}
		var documented []string
		for _, m := range names.FindAllStringSubmatch(nameCell, -1) {
			documented = append(documented, placeholders.Replace(m[1]))
		}
		require.NotEmpty(t, documented, "a row without a name: %s", line)
		if claim, ok := strings.CutPrefix(documented[0], "data-"); ok && len(documented) == 1 {
			// A claim from a StatefulSet's template is not rendered; its template is.
			sts := chart.Get[*appsv1.StatefulSet](t, rel, strings.TrimSuffix(claim, "-0"))
			var templates []string
			for _, c := range sts.Spec.VolumeClaimTemplates {
				templates = append(templates, c.Name)
			}
			assert.Contains(t, templates, "data", line)
			continue
		}
		for _, d := range documented {
			assert.NotEmpty(t, rendered(d), "docs/install.md names %s; the chart renders no object of that name (%s)", d, object)
		}
		for _, kind := range kinds {
			found := false
			for _, d := range documented {
				for _, n := range rendered(d) {
					found = found || kindsOf[n][kind]
				}
			}
			assert.True(t, found, "docs/install.md: no %s named %v is rendered (%s)", kind, documented, object)
		}
	}
	assert.Greater(t, rows, 10, "the table was read")
}

// hostileCaseCount: the hostile values files TestHostileValues renders.
func hostileCaseCount() int {
	n := 0
	for _, cases := range [][]hostile{injectionCases(), weakeningCases(), collisionCases(), manifestCases(),
		crashCases(), combinationCases(), passThroughCases(), secondPassCases()} {
		n += len(cases)
	}
	return n
}

// The counts the docs state. Counts of test cases are written as floors ("more than 500
// hostile values files"), which must stay below what the tests run; facts of the values files
// are written exactly, and must match the file.
func TestDocumentedCountsHold(t *testing.T) {
	var bakery struct {
		Postgres struct {
			Instances map[string]any `json:"instances"`
		} `json:"postgres"`
		Redis struct {
			Enabled bool `json:"enabled"`
		} `json:"redis"`
	}
	b, err := os.ReadFile(filepath.Join(chart.RepoRoot(), bakeryValues))
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, &bakery))
	require.True(t, bakery.Redis.Enabled)
	databases := len(bakery.Postgres.Instances)

	counts := []struct {
		pattern string
		exact   bool // the number is the count; otherwise it is a floor below it
		count   int
	}{
		{`more than (\d+) hostile values files`, false, hostileCaseCount()},
		{`more than (\d+) free-text values`, false, len(fuzzKeys)},
		{`more than (\d+) places in the pass-through`, false, len(fuzzStructures)},
		// values/bakery-ia.yaml: its databases, and with Redis its servers (passwords, test pods).
		{`\b(\d+)[ -](?:PostgreSQL )?(?:databases?|instances?)\b`, true, databases},
		{`\b(?:all|the) (\d+) (?:passwords|test pods)\b`, true, databases + 1},
	}
	all := docs(t)
	paths := make([]string, 0, len(all))
	for p := range all {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, c := range counts {
		re := regexp.MustCompile(c.pattern)
		stated := 0
		for _, p := range paths {
			if strings.HasSuffix(p, "CHANGELOG.md") {
				continue // history: each entry is true of its version
			}
			text := strings.Join(strings.Fields(all[p]), " ")
			for _, m := range re.FindAllStringSubmatch(text, -1) {
				stated++
				n, err := strconv.Atoi(m[1])
				require.NoError(t, err)
				if c.exact {
					assert.Equal(t, c.count, n, "%s: %q, but the count is %d", p, m[0], c.count)
				} else {
					assert.Less(t, n, c.count, "%s: %q, but the tests have %d", p, m[0], c.count)
				}
			}
		}
		assert.NotZero(t, stated, "no doc states %q any more: remove it from this list", c.pattern)
	}
}
