package audit

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/datastores/datastores/tools/datastores/conf"
	"github.com/datastores/datastores/tools/datastores/inventory"
)

// podSecurity checks that the namespace enforces the restricted profile.
func (a *auditor) podSecurity(ns string) {
	t := "namespace " + ns
	n := a.inv.Namespace(ns)
	if n == nil {
		a.unknown("psa-not-restricted", t, FromConfig, "", "the Namespace object is not in the manifests: audit the live namespace, or add it")
		return
	}
	source := FromConfig
	if a.inv.Live {
		source = FromCluster
	}
	if v := n.Labels["pod-security.kubernetes.io/enforce"]; v == "restricted" {
		a.pass("psa-not-restricted", t, source, "", "pod-security.kubernetes.io/enforce=restricted")
	} else {
		a.fail("psa-not-restricted", t, source, "", "pod-security.kubernetes.io/enforce is %q", v)
	}
}

// backups checks the CronJobs that dump the namespace's PostgreSQL servers: that there is one,
// that it encrypts, and (live) that it succeeded recently.
func (a *auditor) backups(ns string) {
	t := "namespace " + ns
	found := false
	for i := range a.inv.CronJobs {
		cj := &a.inv.CronJobs[i]
		if cj.Namespace != ns || !dumps(a.inv, cj) {
			continue
		}
		found = true
		target := fmt.Sprintf("cronjob %s/%s", ns, cj.Name)
		if enc, how := encrypts(a.inv, cj); enc {
			a.pass("backup-unencrypted", target, FromConfig, "", "dumps are encrypted (%s)", how)
		} else {
			a.fail("backup-unencrypted", target, FromConfig, "", "dumps are written unencrypted (%s)", how)
		}
		a.backupRuns(cj, target)
	}
	if found {
		a.pass("backup-missing", t, FromConfig, "", "a CronJob runs pg_dump")
	} else {
		a.fail("backup-missing", t, FromConfig, "", "no CronJob runs pg_dump")
	}
}

// cronJobWorkload lets the inventory resolve a CronJob's pod like a workload's.
func cronJobWorkload(cj *batchv1.CronJob) *inventory.Workload {
	return &inventory.Workload{Kind: "CronJob", Name: cj.Name, Namespace: cj.Namespace, Template: cj.Spec.JobTemplate.Spec.Template}
}

// words are a container's command line and the scripts it runs from ConfigMaps, as words.
func words(inv *inventory.Inventory, w *inventory.Workload, c *corev1.Container) []string {
	out := conf.ShellWords(append(append([]string{}, c.Command...), c.Args...))
	for _, word := range out {
		if strings.HasPrefix(word, "/") {
			if f := inv.Lookup(w, c, word); f.Kind == inventory.KindConfigMap && f.Found {
				out = append(out, conf.ShellWords(strings.Split(string(f.Data), "\n"))...)
			}
		}
	}
	return out
}

// dumps reports whether a CronJob runs pg_dump (or pg_dumpall) with arguments, in its command or
// a script it runs; a mere mention ("not a pg_dump archive") does not count.
func dumps(inv *inventory.Inventory, cj *batchv1.CronJob) bool {
	w := cronJobWorkload(cj)
	for i := range w.Template.Spec.Containers {
		ws := words(inv, w, &w.Template.Spec.Containers[i])
		for j := 0; j+1 < len(ws); j++ {
			if (ws[j] == "pg_dump" || ws[j] == "pg_dumpall") && (strings.HasPrefix(ws[j+1], "-") || strings.HasPrefix(ws[j+1], "$")) {
				return true
			}
		}
	}
	return false
}

// encrypts says whether a backup encrypts: a variable naming the encryption (the chart's
// BACKUP_ENCRYPTION) decides; otherwise an age, gpg or openssl encryption in its scripts.
func encrypts(inv *inventory.Inventory, cj *batchv1.CronJob) (bool, string) {
	w := cronJobWorkload(cj)
	for i := range w.Template.Spec.Containers {
		c := &w.Template.Spec.Containers[i]
		for _, e := range c.Env {
			if strings.Contains(strings.ToUpper(e.Name), "ENCRYPT") && e.ValueFrom == nil {
				switch strings.ToLower(e.Value) {
				case "", "none", "no", "false", "off", "0":
					return false, fmt.Sprintf("%s=%q", e.Name, e.Value)
				}
				return true, fmt.Sprintf("%s=%s", e.Name, e.Value)
			}
		}
		ws := words(inv, w, c)
		for j := 0; j+1 < len(ws); j++ {
			switch {
			case ws[j] == "age" && (ws[j+1] == "-e" || ws[j+1] == "--encrypt" || ws[j+1] == "-r" || ws[j+1] == "-R" || strings.HasPrefix(ws[j+1], "--recipient")):
				return true, "age"
			case ws[j] == "gpg" && strings.Contains(strings.Join(ws[j+1:min(j+8, len(ws))], " "), "--encrypt"):
				return true, "gpg"
			case ws[j] == "openssl" && ws[j+1] == "enc":
				return true, "openssl enc"
			}
		}
	}
	return false, "no encryption step found"
}

// backupRuns checks, live, when the backup last succeeded and how its last run ended.
func (a *auditor) backupRuns(cj *batchv1.CronJob, target string) {
	if !a.inv.Live {
		a.unknown("backup-failing", target, FromCluster, "", "runs are checked in a live namespace only")
		return
	}
	if cj.Spec.Suspend != nil && *cj.Spec.Suspend {
		a.fail("backup-failing", target, FromCluster, "", "the CronJob is suspended")
		return
	}
	var last *batchv1.Job
	var success time.Time
	if cj.Status.LastSuccessfulTime != nil {
		success = cj.Status.LastSuccessfulTime.Time
	}
	jobs := a.jobsOf(cj)
	for i := range jobs {
		j := &jobs[i]
		if last == nil || j.CreationTimestamp.After(last.CreationTimestamp.Time) {
			last = j
		}
		if j.Status.Succeeded > 0 && j.Status.CompletionTime != nil && j.Status.CompletionTime.After(success) {
			success = j.Status.CompletionTime.Time
		}
	}
	now, maxAge := a.opts.Now, a.opts.BackupMaxAge
	switch {
	case last != nil && failed(last):
		a.fail("backup-failing", target, FromCluster, "", "the last run, job %q, failed", last.Name)
	case !success.IsZero() && now.Sub(success) > maxAge:
		a.fail("backup-failing", target, FromCluster, "", "the last success was %s ago (more than %s)", now.Sub(success).Round(time.Hour), maxAge)
	case !success.IsZero():
		a.pass("backup-failing", target, FromCluster, "", "the last success was %s ago", now.Sub(success).Round(time.Second))
	case now.Sub(cj.CreationTimestamp.Time) > maxAge:
		a.fail("backup-failing", target, FromCluster, "", "no run has succeeded since the CronJob was created %s ago", now.Sub(cj.CreationTimestamp.Time).Round(time.Hour))
	default:
		a.unknown("backup-failing", target, FromCluster, "", "no run yet: the CronJob was created %s ago", now.Sub(cj.CreationTimestamp.Time).Round(time.Second))
	}
}

func (a *auditor) jobsOf(cj *batchv1.CronJob) []batchv1.Job {
	var out []batchv1.Job
	for _, j := range a.inv.Jobs {
		for _, o := range j.OwnerReferences {
			if j.Namespace == cj.Namespace && o.Kind == "CronJob" && o.Name == cj.Name {
				out = append(out, j)
			}
		}
	}
	return out
}

func failed(j *batchv1.Job) bool {
	for _, c := range j.Status.Conditions {
		if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// Connection settings that skip verification of the server, in any URL, DSN or key=value text.
var (
	weakSSLMode = regexp.MustCompile(`(?i)\b(?:pg)?sslmode\s*=\s*'?(disable|allow|prefer|require)\b`)
	weakCertReq = regexp.MustCompile(`(?i)\bssl_cert_reqs\s*=\s*'?(none|cert_none|optional|cert_optional)\b`)
	urlPattern  = regexp.MustCompile(`(?i)\b(postgres(?:ql)?(?:\+[a-z0-9]+)?|redis)://[^\s"'<>]+`)
)

// clientSettings checks every Secret, ConfigMap and literal env value ("key=value", so that a key
// named sslmode counts) for connection settings that turn verification off: sslmode below
// verify-ca, ssl_cert_reqs=none, asyncpg's ssl=require, plaintext redis:// URLs.
func (a *auditor) clientSettings() {
	type item struct{ where, text string }
	var items []item
	for _, s := range a.inv.Secrets {
		for _, k := range sortedKeysBytes(s.Data) {
			items = append(items, item{fmt.Sprintf("secret %s/%s key %s", s.Namespace, s.Name, k), k + "=" + string(s.Data[k])})
		}
		for k, v := range s.StringData {
			items = append(items, item{fmt.Sprintf("secret %s/%s key %s", s.Namespace, s.Name, k), k + "=" + v})
		}
	}
	for _, c := range a.inv.ConfigMaps {
		for k, v := range c.Data {
			items = append(items, item{fmt.Sprintf("configmap %s/%s key %s", c.Namespace, c.Name, k), k + "=" + v})
		}
	}
	for _, w := range a.inv.Workloads {
		for _, c := range append(append([]corev1.Container{}, w.Template.Spec.InitContainers...), w.Template.Spec.Containers...) {
			for _, e := range c.Env {
				if e.ValueFrom == nil {
					items = append(items, item{fmt.Sprintf("%s container %s env %s", strings.ToLower(w.Kind)+" "+w.Namespace+"/"+w.Name, c.Name, e.Name), e.Name + "=" + e.Value})
				}
			}
		}
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].where < items[j].where })
	bad := 0
	for _, it := range items {
		if why := weakClient(it.text); why != "" {
			a.fail("client-verify-disabled", it.where, FromConfig, "", "%s", why)
			bad++
		}
	}
	if bad == 0 && len(items) > 0 {
		a.pass("client-verify-disabled", "connection settings", FromConfig, "", "no Secret, ConfigMap or env value skips server verification")
	}
}

// weakClient says what in text skips server verification, or "".
func weakClient(text string) string {
	if m := weakSSLMode.FindString(text); m != "" {
		return m + ": the client does not verify the server's certificate"
	}
	if m := weakCertReq.FindString(text); m != "" {
		return m + ": the client does not verify the server's certificate"
	}
	for _, raw := range urlPattern.FindAllString(text, -1) {
		u, err := url.Parse(raw)
		if err != nil {
			continue
		}
		if strings.EqualFold(u.Scheme, "redis") {
			return "redis://" + u.Host + ": a plaintext Redis URL (use rediss://)"
		}
		// asyncpg reads ssl=<mode>; ssl=require encrypts without verifying.
		switch strings.ToLower(u.Query().Get("ssl")) {
		case "require", "prefer", "allow", "disable", "true":
			return "ssl=" + u.Query().Get("ssl") + " in a " + u.Scheme + " URL: the client does not verify the server's certificate"
		}
	}
	return ""
}

func sortedKeysBytes(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
