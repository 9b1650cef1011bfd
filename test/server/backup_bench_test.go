package server_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/test/harness/pgserver"
)

// BenchmarkBackupThroughput measures the backup pipeline on a pgbench database of about 1 GB
// (scale BENCH_PGBENCH_SCALE, default 70). pgbench's rows are mostly blank padding and compress
// fiftyfold; BENCH_DATA=text fills a table of about the same size with hex text and numbers
// instead (compresses about twofold, like much real data). Each pipeline runs over verified TLS
// like the job: pg_dump to
// /dev/null without compression (the baseline), with each compression setting, and the rendered
// backup job itself (compression, age encryption, checksum, written to its volume). It reports
// MB/s of database size and, in its log, each pipeline's ratio to the baseline from this one run.
func BenchmarkBackupThroughput(b *testing.B) {
	if _, err := pgserver.Binaries(); err != nil {
		b.Skip(err)
	}
	if _, err := exec.LookPath("age-keygen"); err != nil {
		b.Skip("age not installed: apt-get install -y age")
	}
	scale := 70
	if s, err := strconv.Atoi(os.Getenv("BENCH_PGBENCH_SCALE")); err == nil {
		scale = s
	}
	recipient := newEncryptionKeysB(b)
	srv, err := pgserver.Start(pgserver.Options{Instance: "app", Chart: chart.Options{ValuesFiles: []string{"values/dev.yaml"}, SetValues: map[string]string{
		"postgres.backup.enabled":                     "true",
		"postgres.backup.encryption.method":           "age",
		"postgres.backup.encryption.ageRecipients[0]": recipient,
	}}})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Stop()

	bin, _ := pgserver.Binaries()
	socket, _ := srv.MountPath("run")
	start := time.Now()
	init := exec.Command(filepath.Join(bin, "pgbench"), "-i", "-q", "-s", strconv.Itoa(scale), "-h", socket, "-p", strconv.Itoa(srv.Port), "-U", srv.AppUser, srv.Database)
	if os.Getenv("BENCH_DATA") == "text" {
		// About 15 MB per scale unit, like pgbench.
		init = exec.Command(filepath.Join(bin, "psql"), "-h", socket, "-p", strconv.Itoa(srv.Port), "-U", srv.AppUser, "-d", srv.Database, "-v", "ON_ERROR_STOP=1", "-c",
			fmt.Sprintf(`CREATE TABLE docs AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS a, md5((g * 13)::text) AS b, (random() * 1e6)::numeric(12,2) AS amount, now() - g * interval '1 second' AS at FROM generate_series(1, %d) g`, scale*100000))
	}
	init.Env = append(os.Environ(), "PGPASSWORD="+srv.Password)
	if out, err := init.CombinedOutput(); err != nil {
		b.Fatalf("loading data: %v: %s", err, out)
	}
	query := exec.Command(filepath.Join(bin, "psql"), "-h", socket, "-p", strconv.Itoa(srv.Port), "-U", srv.AppUser, "-d", srv.Database, "-Atc", "SELECT pg_database_size(current_database())")
	query.Env = init.Env
	sizeOut, err := query.Output()
	if err != nil {
		b.Fatal(err)
	}
	size, _ := strconv.ParseInt(strings.TrimSpace(string(sizeOut)), 10, 64)
	b.Logf("data %q scale %d: database %d MB, generated in %s", os.Getenv("BENCH_DATA"), scale, size>>20, time.Since(start).Round(time.Second))

	job, err := srv.Job(backupWorkload, pgserver.JobOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer job.Remove()
	// pg_dump as the job runs it: verified TLS to the Service's name, password from the Secret.
	dump := func(compress, sink string) string {
		return fmt.Sprintf(`set -euo pipefail
read -r name host port db user < "$BACKUP_TARGETS"
PGPASSWORD="$(cat "$BACKUP_SECRETS/$name/password")" PGSSLMODE=verify-full PGSSLROOTCERT="$BACKUP_SECRETS/$name/ca.crt" \
  pg_dump --host="$host" --port="$port" --username="$user" --dbname="$db" --no-password --format=custom --compress=%s %s`, compress, sink)
	}
	pipelines := []struct{ name, script string }{
		{"raw", dump("0", "> /dev/null")},
		{"gzip-1", dump("1", "> /dev/null")},
		{"gzip-3", dump("3", "> /dev/null")},
		{"gzip-6", dump("6", "> /dev/null")},
		{"gzip-1+age", dump("1", "| age -e -R \"$BACKUP_RECIPIENTS/recipients-age\" > /dev/null")},
	}
	if major := pgDumpMajor(b, bin); major >= 16 {
		pipelines = append(pipelines,
			struct{ name, script string }{"lz4", dump("lz4", "> /dev/null")},
			struct{ name, script string }{"zstd-1", dump("zstd:1", "> /dev/null")})
	} else {
		b.Logf("pg_dump %d: lz4 and zstd need PostgreSQL 16; measured gzip levels only", major)
	}
	// Every pipeline runs BENCH_ROUNDS times (default 3), interleaved, so that cache state and
	// background load fall on all of them alike; each reports its median.
	rounds := 3
	if r, err := strconv.Atoi(os.Getenv("BENCH_ROUNDS")); err == nil && r > 0 {
		rounds = r
	}
	c := job.Spec.Containers[0]
	runs := map[string][]time.Duration{}
	var written int64
	names := append(namesOf(pipelines), "backup-job")
	b.ResetTimer()
	for range rounds {
		for _, p := range pipelines {
			start := time.Now()
			if out, err := job.Command(c, "/bin/bash", "-c", p.script).CombinedOutput(); err != nil {
				b.Fatalf("%s: %v: %s", p.name, err, out)
			}
			runs[p.name] = append(runs[p.name], time.Since(start))
		}
		start := time.Now()
		if out, err := pgserver.RunJob(job); err != nil {
			b.Fatalf("backup job: %v: %s", err, out)
		}
		runs["backup-job"] = append(runs["backup-job"], time.Since(start))
	}
	b.StopTimer()
	dir, _ := job.MountPath("backups")
	files, _ := filepath.Glob(filepath.Join(dir, "app", "*.dump.age"))
	sort.Strings(files)
	if fi, err := os.Stat(files[len(files)-1]); err == nil {
		written = fi.Size()
	}
	mb := float64(size) / (1 << 20)
	rate := func(name string) float64 {
		d := append([]time.Duration{}, runs[name]...)
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return mb / d[len(d)/2].Seconds()
	}
	var lines []string
	for _, name := range names {
		b.ReportMetric(rate(name), name+"-MB/s")
		lines = append(lines, fmt.Sprintf("%-12s %7.1f MB/s  %.2fx raw", name, rate(name), rate(name)/rate("raw")))
	}
	b.ReportMetric(rate("backup-job")/rate("raw"), "job/raw")
	b.ReportMetric(float64(written)/float64(size), "size-ratio")
	b.Logf("median of %d rounds on a %d MB database, dump %.1f%% of it:\n%s", rounds, size>>20, 100*float64(written)/float64(size), strings.Join(lines, "\n"))
}

func namesOf(ps []struct{ name, script string }) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.name)
	}
	return out
}

func pgDumpMajor(b *testing.B, bin string) int {
	out, err := exec.Command(filepath.Join(bin, "pg_dump"), "--version").Output()
	if err != nil {
		b.Fatal(err)
	}
	fields := strings.Fields(string(out))
	major, _ := strconv.Atoi(strings.Split(fields[len(fields)-1], ".")[0])
	return major
}

// newEncryptionKeysB makes an age key pair for the benchmark and returns the public key.
func newEncryptionKeysB(b *testing.B) string {
	out, err := exec.Command("age-keygen", "-o", filepath.Join(b.TempDir(), "key.txt")).CombinedOutput()
	if err != nil {
		b.Fatalf("age-keygen: %v: %s", err, out)
	}
	for _, f := range strings.Fields(string(out)) {
		if strings.HasPrefix(f, "age1") {
			return f
		}
	}
	b.Fatalf("no public key in %s", out)
	return ""
}
