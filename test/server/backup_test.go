package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/test/harness/pgserver"
	"github.com/datastores/datastores/test/harness/pod"
	"github.com/datastores/datastores/test/harness/proc"
)

const (
	backupWorkload  = "CronJob/test-postgres-backup"
	restoreWorkload = "CronJob/test-postgres-restore"
)

// backupServer starts a values/dev.yaml server with backups on (and more values, if given).
func backupServer(t *testing.T, set map[string]string, files ...string) *pgserver.Server {
	t.Helper()
	requireBinaries(t, pgserver.Binaries)
	values := map[string]string{"postgres.backup.enabled": "true"}
	for k, v := range set {
		values[k] = v
	}
	srv, err := pgserver.Start(pgserver.Options{Chart: chart.Options{ValuesFiles: append([]string{"values/dev.yaml"}, files...), SetValues: values}, Instance: "app"})
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	return srv
}

func seed(t *testing.T, srv *pgserver.Server) {
	t.Helper()
	conn, err := srv.Connect(ctx(t), srv.AsApp(caPool(t, srv)))
	require.NoError(t, err)
	defer conn.Close(ctx(t))
	_, err = conn.Exec(ctx(t), `CREATE TABLE orders (id int PRIMARY KEY, item text NOT NULL, card bytea);
		INSERT INTO orders SELECT g, 'item ' || g, pgp_sym_encrypt('4111-' || g, 'k', 's2k-count=1024') FROM generate_series(1, 5000) g`)
	require.NoError(t, err)
}

// fingerprint is the row count and a checksum of the orders table's contents (the card column
// decrypted, since pgp_sym_encrypt output differs each time).
func fingerprint(t *testing.T, srv *pgserver.Server) (int, string) {
	t.Helper()
	conn, err := srv.Connect(ctx(t), srv.AsApp(caPool(t, srv)))
	require.NoError(t, err)
	defer conn.Close(ctx(t))
	var n int
	var sum string
	require.NoError(t, conn.QueryRow(ctx(t), `SELECT count(*), md5(string_agg(id || ':' || item || ':' || pgp_sym_decrypt(card, 'k'), ',' ORDER BY id)) FROM orders`).Scan(&n, &sum))
	return n, sum
}

func backupJob(t *testing.T, srv *pgserver.Server, path string) *pod.Pod {
	t.Helper()
	job, err := srv.Job(backupWorkload, pgserver.JobOptions{Path: path})
	require.NoError(t, err)
	t.Cleanup(job.Remove)
	return job
}

// runBackup runs the backup job once, successfully, and returns it with the name of its dump.
func runBackup(t *testing.T, srv *pgserver.Server) (*pod.Pod, string) {
	t.Helper()
	job := backupJob(t, srv, "")
	out, err := pgserver.RunJob(job)
	require.NoError(t, err, out)
	files := dumps(t, job)
	require.NotEmpty(t, files, out)
	return job, files[0]
}

// dumps lists the files the job wrote for instance app, by name.
func dumps(t *testing.T, job *pod.Pod) []string {
	t.Helper()
	dir, err := job.MountPath("backups")
	require.NoError(t, err)
	entries, _ := os.ReadDir(filepath.Join(dir, "app"))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func dumpPath(t *testing.T, job *pod.Pod, name string) string {
	t.Helper()
	dir, err := job.MountPath("backups")
	require.NoError(t, err)
	return filepath.Join(dir, "app", name)
}

// verifyChecksum checks a dump against the .sha256 beside it, as sha256sum -c would.
func verifyChecksum(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	line, err := os.ReadFile(path + ".sha256")
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	assert.Equal(t, hex.EncodeToString(sum[:])+"  "+filepath.Base(path)+"\n", string(line))
}

// pgRestoreList runs pg_restore --list on a file (or stdin), as a check that it is a dump.
func pgRestoreList(t *testing.T, stdin []byte) (string, error) {
	t.Helper()
	bin, err := pgserver.Binaries()
	require.NoError(t, err)
	cmd := exec.Command(filepath.Join(bin, "pg_restore"), "--list")
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

var dumpName = regexp.MustCompile(`^app_app_db_\d{8}T\d{6}Z\.dump$`)

func TestBackupWritesAVerifiedDumpWithItsChecksum(t *testing.T) {
	t.Parallel()
	srv := backupServer(t, nil)
	seed(t, srv)
	job := backupJob(t, srv, "")

	out, err := pgserver.RunJob(job)
	require.NoError(t, err, out)

	files := dumps(t, job)
	require.Len(t, files, 2, "a dump and its checksum, no leftovers: %v", files)
	assert.Regexp(t, dumpName, files[0])
	assert.Equal(t, files[0]+".sha256", files[1])
	path := dumpPath(t, job, files[0])
	verifyChecksum(t, path)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	toc, err := pgRestoreList(t, data)
	require.NoError(t, err, toc)
	assert.Contains(t, toc, "TABLE DATA public orders")
	assert.Contains(t, srv.Log(), "connection authorized: user=app_user database=app_db SSL enabled", "pg_dump came over TLS")
}

// The restore command, run from a fresh server's release, recreates the data.
func TestBackupRestoresIntoAFreshServer(t *testing.T) {
	for _, tt := range []struct {
		name       string
		encryption string
	}{{"plain", "none"}, {"age", "age"}, {"gpg", "gpg"}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			keys := newEncryptionKeys(t, tt.encryption)
			srv := backupServer(t, keys.set, keys.files...)
			seed(t, srv)
			wantRows, wantSum := fingerprint(t, srv)
			job, dump := runBackup(t, srv)
			data, err := os.ReadFile(dumpPath(t, job, dump))
			require.NoError(t, err)
			if tt.encryption != "none" {
				assert.True(t, strings.HasSuffix(dump, "."+tt.encryption), dump)
				_, err := pgRestoreList(t, data)
				assert.Error(t, err, "an encrypted dump is not readable as a dump")
				assert.NotContains(t, string(data), "item 42", "no clear text on the volume")
				plain := keys.decrypt(t, data)
				toc, err := pgRestoreList(t, plain)
				require.NoError(t, err, toc)
			}

			// Named as an operator does, in the restore request ConfigMap (the plain case), or on
			// the command line.
			fresh := backupServer(t, keys.set, keys.files...)
			jo := pgserver.JobOptions{Secrets: keys.identitySecret}
			var args []string
			if tt.encryption == "none" {
				jo.ConfigMaps = map[string]map[string]string{"test-postgres-restore-request": {"file": "app/" + dump, "instance": "app"}}
			} else {
				args = []string{"app/" + dump}
			}
			restore, err := fresh.Job(restoreWorkload, jo)
			require.NoError(t, err)
			t.Cleanup(restore.Remove)
			copyBackups(t, job, restore)
			out, err := pgserver.RunJob(restore, args...)
			require.NoError(t, err, out)
			assert.Contains(t, out, "checksum verified")

			rows, sum := fingerprint(t, fresh)
			assert.Equal(t, wantRows, rows)
			assert.Equal(t, wantSum, sum)
		})
	}
}

func TestRestoreRefusesADamagedDump(t *testing.T) {
	t.Parallel()
	srv := backupServer(t, nil)
	seed(t, srv)
	job, dump := runBackup(t, srv)
	f, err := os.OpenFile(dumpPath(t, job, dump), os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.Write([]byte("tampered"))
	require.NoError(t, err)
	f.Close()

	restore, err := srv.Job(restoreWorkload, pgserver.JobOptions{})
	require.NoError(t, err)
	t.Cleanup(restore.Remove)
	copyBackups(t, job, restore)
	out, err := pgserver.RunJob(restore, "app/"+dump)
	require.Error(t, err)
	assert.Contains(t, out, "checksum mismatch")
}

func TestBackupFailsWithoutTheServerAndKeepsOlderDumps(t *testing.T) {
	t.Parallel()
	srv := backupServer(t, nil)
	job := backupJob(t, srv, "")
	out, err := pgserver.RunJob(job)
	require.NoError(t, err, out)
	before := dumps(t, job)
	beforeStat, err := os.Stat(dumpPath(t, job, before[0]))
	require.NoError(t, err)

	srv.Shutdown()
	out, err = pgserver.RunJob(job)
	require.Error(t, err, "the job must fail when the server is down")
	assert.Contains(t, out, "app: FAILED; its older dumps are untouched")

	assert.Equal(t, before, dumps(t, job), "nothing added, nothing removed, no partial file left")
	afterStat, err := os.Stat(dumpPath(t, job, before[0]))
	require.NoError(t, err)
	assert.Equal(t, beforeStat.ModTime(), afterStat.ModTime())
}

func TestBackupPrunesOnlyWhatRetentionAllows(t *testing.T) {
	t.Parallel()
	srv := backupServer(t, map[string]string{"postgres.backup.retentionDays": "14", "postgres.backup.keepLast": "3"})
	job := backupJob(t, srv, "")
	dir := filepath.Dir(dumpPath(t, job, "x"))
	require.NoError(t, os.MkdirAll(dir, 0o777))
	now := time.Now()
	aged := map[string]time.Duration{
		"app_app_db_20250101T020000Z.dump": 60 * 24 * time.Hour, // old, beyond keepLast: pruned
		"app_app_db_20250201T020000Z.dump": 40 * 24 * time.Hour, // old, beyond keepLast: pruned
		"app_app_db_20250301T020000Z.dump": 20 * 24 * time.Hour, // old, but among the newest 3: kept
		"app_app_db_20250401T020000Z.dump": 13 * 24 * time.Hour, // within retention: kept
	}
	for name, age := range aged {
		for _, f := range []string{name, name + ".sha256"} {
			require.NoError(t, os.WriteFile(filepath.Join(dir, f), []byte("old"), 0o600))
			require.NoError(t, os.Chtimes(filepath.Join(dir, f), now.Add(-age), now.Add(-age)))
		}
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a dump"), 0o600))
	require.NoError(t, os.Chtimes(filepath.Join(dir, "notes.txt"), now.Add(-90*24*time.Hour), now.Add(-90*24*time.Hour)))
	chownTree(t, dir, job)

	out, err := pgserver.RunJob(job)
	require.NoError(t, err, out)

	files := dumps(t, job)
	assert.NotContains(t, files, "app_app_db_20250101T020000Z.dump")
	assert.NotContains(t, files, "app_app_db_20250101T020000Z.dump.sha256")
	assert.NotContains(t, files, "app_app_db_20250201T020000Z.dump")
	assert.Contains(t, files, "app_app_db_20250301T020000Z.dump", "the newest keepLast stay, however old")
	assert.Contains(t, files, "app_app_db_20250401T020000Z.dump")
	assert.Contains(t, files, "notes.txt", "only dumps are pruned")
	assert.Len(t, files, 2+2+2+1, "new dump + 2 kept, each with its checksum, and notes.txt: %v", files)
}

func TestBackupImageWithoutTheEncryptionToolFailsClearly(t *testing.T) {
	t.Parallel()
	keys := newEncryptionKeys(t, "age")
	srv := backupServer(t, keys.set, keys.files...)
	bin, err := pgserver.Binaries()
	require.NoError(t, err)
	job := backupJob(t, srv, bin) // PostgreSQL's binaries only: no age

	out, err := pgserver.RunJob(job)
	require.Error(t, err)
	assert.Contains(t, out, "encryption is age, but the backup image")
	assert.Contains(t, out, "has no age binary")
	assert.Empty(t, dumps(t, job))
}

func copyBackups(t *testing.T, from, to *pod.Pod) {
	t.Helper()
	src, err := from.MountPath("backups")
	require.NoError(t, err)
	dst, err := to.MountPath("backups")
	require.NoError(t, err)
	out, err := exec.Command("cp", "-a", src+"/.", dst+"/").CombinedOutput()
	require.NoError(t, err, string(out))
	chownTree(t, dst, to)
}

// chownTree gives files the test made to the job's user, as if an earlier job had written them.
func chownTree(t *testing.T, dir string, job *pod.Pod) {
	t.Helper()
	if os.Geteuid() != 0 {
		return
	}
	require.NoError(t, filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, job.User.UID, job.User.GID)
	}))
}

// encryptionKeys are a key pair made for one test: the public half goes into the values, the
// private half only into the restore job's identity Secret.
type encryptionKeys struct {
	set            map[string]string
	files          []string
	identitySecret map[string]map[string][]byte
	decrypt        func(t *testing.T, data []byte) []byte
}

func newEncryptionKeys(t *testing.T, method string) encryptionKeys {
	t.Helper()
	dir := t.TempDir()
	switch method {
	case "age":
		identity := filepath.Join(dir, "key.txt")
		out, err := exec.Command("age-keygen", "-o", identity).CombinedOutput()
		require.NoError(t, err, "age-keygen (apt-get install -y age): %s", out)
		pub := regexp.MustCompile(`age1[0-9a-z]+`).FindString(string(out))
		require.NotEmpty(t, pub, string(out))
		key, err := os.ReadFile(identity)
		require.NoError(t, err)
		return encryptionKeys{
			set:            map[string]string{"postgres.backup.encryption.method": "age", "postgres.backup.encryption.ageRecipients[0]": pub},
			identitySecret: map[string]map[string][]byte{"test-postgres-restore-identity": {"identity": key}},
			decrypt: func(t *testing.T, data []byte) []byte {
				cmd := exec.Command("age", "--decrypt", "--identity", identity)
				cmd.Stdin = bytes.NewReader(data)
				plain, err := cmd.Output()
				require.NoError(t, err)
				return plain
			},
		}
	case "gpg":
		gpg := func(args ...string) []byte {
			cmd := exec.Command("gpg", append([]string{"--batch", "--no-tty", "--homedir", dir, "--passphrase", ""}, args...)...)
			out, err := cmd.Output()
			require.NoError(t, err, "gpg %v", args)
			return out
		}
		gpg("--quick-gen-key", "--pinentry-mode", "loopback", "backup test <backup@example.com>", "ed25519", "cert", "never")
		fpr := regexp.MustCompile(`(?m)^fpr:+([0-9A-F]{40}):`).FindSubmatch(gpg("--list-keys", "--with-colons"))
		require.NotNil(t, fpr)
		gpg("--pinentry-mode", "loopback", "--quick-add-key", string(fpr[1]), "cv25519", "encr", "never")
		public := gpg("--armor", "--export", string(fpr[1]))
		secret := gpg("--pinentry-mode", "loopback", "--armor", "--export-secret-keys", string(fpr[1]))
		values := chart.ValuesFile(t, "postgres:\n  backup:\n    encryption:\n      method: gpg\n      gpgPublicKeys:\n        - |\n"+indent(string(public), "          "))
		return encryptionKeys{
			files:          []string{values},
			identitySecret: map[string]map[string][]byte{"test-postgres-restore-identity": {"identity": secret}},
			decrypt: func(t *testing.T, data []byte) []byte {
				cmd := exec.Command("gpg", "--batch", "--no-tty", "--homedir", dir, "--decrypt")
				cmd.Stdin = bytes.NewReader(data)
				plain, err := cmd.Output()
				require.NoError(t, err)
				return plain
			},
		}
	default:
		return encryptionKeys{}
	}
}

func indent(s, prefix string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		fmt.Fprintf(&b, "%s%s\n", prefix, line)
	}
	return b.String()
}

// bindJobPod lays out the Job that binds the backup claim at install, as the backup's user.
func bindJobPod(t *testing.T) *pod.Pod {
	t.Helper()
	requireBinaries(t, pod.Busybox)
	rel := chart.Render(t, chart.Options{ValuesFiles: []string{"values/dev.yaml"}, SetValues: map[string]string{"postgres.backup.enabled": "true"}})
	var workload string
	for _, p := range rel.PodTemplates() {
		if strings.HasPrefix(p.Owner, "Job/test-postgres-backup-volume-") {
			workload = p.Owner
		}
	}
	require.NotEmpty(t, workload, "no Job binds the backup claim")
	user, err := proc.Unprivileged()
	require.NoError(t, err)
	job, err := pod.New(pod.Options{Release: rel, Workload: workload, User: user, Path: "/usr/bin:/bin", Busybox: true})
	require.NoError(t, err)
	t.Cleanup(job.Remove)
	return job
}

func TestBackupClaimConsumerChecksTheVolumeIsWritable(t *testing.T) {
	job := bindJobPod(t)
	out, err := pgserver.RunJob(job)
	require.NoError(t, err, out)
	assert.Contains(t, out, "ok: backup volume bound and writable")
	dir, err := job.MountPath("backups")
	require.NoError(t, err)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "the check leaves nothing behind")
}

func TestBackupClaimConsumerFailsOnAVolumeTheBackupCannotWrite(t *testing.T) {
	job := bindJobPod(t)
	dir, err := job.MountPath("backups")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dir, 0o555))
	out, err := pgserver.RunJob(job)
	require.Error(t, err, out)
	assert.Contains(t, out, "FAIL: uid ")
	assert.Contains(t, out, "cannot write to the backup volume /")
}
