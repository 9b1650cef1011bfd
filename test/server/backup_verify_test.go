package server_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/datastores/datastores/test/harness/pgserver"
	"github.com/datastores/datastores/test/harness/pod"
)

const verifyWorkload = "CronJob/test-postgres-backup-verify"

// runVerify lays out the restore drill's pod with the backup job's dumps and runs it.
func runVerify(t *testing.T, srv *pgserver.Server, backup *pod.Pod, secrets map[string]map[string][]byte) (string, error) {
	t.Helper()
	verify, err := srv.Job(verifyWorkload, pgserver.JobOptions{Secrets: secrets})
	require.NoError(t, err)
	t.Cleanup(verify.Remove)
	copyBackups(t, backup, verify)
	return pgserver.RunJob(verify)
}

// The restore drill restores the newest dump into a throwaway server of its own, never the live
// one, and passes only when it restores; each way a backup goes bad fails it, naming the target.
func TestRestoreDrill(t *testing.T) {
	tests := []struct {
		name    string
		breakIt func(t *testing.T, path string)
		want    string
		ok      bool
	}{
		{"a good dump restores", nil, "app: app_app_db_", true},
		{"a damaged dump", func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			require.NoError(t, err)
			_, err = f.Write([]byte("tampered"))
			require.NoError(t, err)
			require.NoError(t, f.Close())
		}, "checksum mismatch; the dump is damaged", false},
		{"a dump cut short, with a checksum to match", func(t *testing.T, path string) {
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(path, data[:len(data)/2], 0o600))
			rewriteChecksum(t, path)
		}, "does not restore", false},
		{"a stale dump", func(t *testing.T, path string) {
			old := time.Now().Add(-48 * time.Hour)
			require.NoError(t, os.Chtimes(path, old, old))
		}, "is older than 36 hours", false},
		{"no dump", func(t *testing.T, path string) {
			require.NoError(t, os.Remove(path))
			require.NoError(t, os.Remove(path+".sha256"))
		}, "app: no dump in", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := backupServer(t, map[string]string{"postgres.backup.verify.enabled": "true"})
			seed(t, srv)
			job, dump := runBackup(t, srv)
			if tt.breakIt != nil {
				tt.breakIt(t, dumpPath(t, job, dump))
			}
			before := srv.Log()

			out, err := runVerify(t, srv, job, nil)
			assert.Contains(t, out, tt.want)
			if !tt.ok {
				require.Error(t, err, out)
				assert.Contains(t, out, "verify: failed: app")
				return
			}
			require.NoError(t, err, out)
			assert.Regexp(t, `restored: 1 tables, about 5000 rows`, out)
			assert.Equal(t, before, srv.Log(), "the drill never touches the live server")
		})
	}
}

// Encrypted dumps are drilled with the identity Secret the values name.
func TestRestoreDrillDecryptsWithTheIdentitySecret(t *testing.T) {
	for _, method := range []string{"age", "gpg"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			keys := newEncryptionKeys(t, method)
			set := map[string]string{"postgres.backup.verify.enabled": "true", "postgres.backup.verify.identitySecret": "drill-identity"}
			for k, v := range keys.set {
				set[k] = v
			}
			srv := backupServer(t, set, keys.files...)
			seed(t, srv)
			job, _ := runBackup(t, srv)
			identity := map[string]map[string][]byte{"drill-identity": keys.identitySecret["test-postgres-restore-identity"]}

			out, err := runVerify(t, srv, job, identity)
			require.NoError(t, err, out)
			assert.Regexp(t, `app: app_app_db_\d{8}T\d{6}Z\.dump\.`+method+` restored: 1 tables, about 5000 rows`, out)
		})
	}
}

// rewriteChecksum writes the .sha256 of a changed dump, as a backup that went wrong before its
// checksum was taken would.
func rewriteChecksum(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	require.NoError(t, os.WriteFile(path+".sha256", []byte(hex.EncodeToString(sum[:])+"  "+filepath.Base(path)+"\n"), 0o600))
	verifyChecksum(t, path)
}
