package render_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/datastores/datastores/test/harness/chart"
)

const (
	backupName  = "test-postgres-backup"
	restoreName = "test-postgres-restore"
	ageKey      = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
)

func renderBackup(t *testing.T, set map[string]string) *chart.Release {
	t.Helper()
	values := map[string]string{"postgres.backup.enabled": "true"}
	for k, v := range set {
		values[k] = v
	}
	return chart.Render(t, chart.Options{ValuesFiles: []string{devValues}, SetValues: values})
}

func jobContainer(t *testing.T, cj *batchv1.CronJob) corev1.Container {
	t.Helper()
	cs := cj.Spec.JobTemplate.Spec.Template.Spec.Containers
	require.Len(t, cs, 1)
	return cs[0]
}

func jobVolume(t *testing.T, cj *batchv1.CronJob, name string) corev1.Volume {
	t.Helper()
	for _, v := range cj.Spec.JobTemplate.Spec.Template.Spec.Volumes {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("CronJob %s has no volume %q", cj.Name, name)
	return corev1.Volume{}
}

func TestBackupIsOffByDefault(t *testing.T) {
	rel := renderDev(t, nil)
	_, found := chart.Find[*batchv1.CronJob](rel, backupName)
	assert.False(t, found)
}

func TestBackupCronJobSchedule(t *testing.T) {
	cj := chart.Get[*batchv1.CronJob](t, renderBackup(t, map[string]string{
		"postgres.backup.schedule": "0 */6 * * *", "postgres.backup.timeZone": "Europe/Madrid",
		"postgres.backup.suspend": "true", "postgres.backup.activeDeadlineSeconds": "7200",
		"postgres.backup.backoffLimit": "2", "postgres.backup.successfulJobsHistoryLimit": "5",
		"postgres.backup.failedJobsHistoryLimit": "4", "postgres.backup.startingDeadlineSeconds": "300",
	}), backupName)

	assert.Equal(t, "0 */6 * * *", cj.Spec.Schedule)
	assert.Equal(t, "Europe/Madrid", *cj.Spec.TimeZone)
	assert.Equal(t, batchv1.ForbidConcurrent, cj.Spec.ConcurrencyPolicy, "two dumps of one database never overlap")
	assert.True(t, *cj.Spec.Suspend)
	assert.Equal(t, int64(300), *cj.Spec.StartingDeadlineSeconds)
	assert.Equal(t, int32(5), *cj.Spec.SuccessfulJobsHistoryLimit)
	assert.Equal(t, int32(4), *cj.Spec.FailedJobsHistoryLimit)
	assert.Equal(t, int64(7200), *cj.Spec.JobTemplate.Spec.ActiveDeadlineSeconds)
	assert.Equal(t, int32(2), *cj.Spec.JobTemplate.Spec.BackoffLimit)
	assert.Equal(t, corev1.RestartPolicyNever, cj.Spec.JobTemplate.Spec.Template.Spec.RestartPolicy)
}

// Every connection the job makes verifies the server: the env says verify-full, the script
// insists on it again, each target's line of the targets file says verify-full with its CA, and
// each target's CA comes from its instance's TLS Secret. (Only an external server with
// tlsEnforce: false may have a weaker mode in its line: TestBackupDumpsExternalServers.)
func TestBackupConnectsWithVerifyFull(t *testing.T) {
	rel := chart.Render(t, chart.Options{ValuesFiles: []string{bakeryValues}, SetValues: map[string]string{"postgres.backup.enabled": "true"}})
	for _, name := range []string{backupName, restoreName} {
		cj := chart.Get[*batchv1.CronJob](t, rel, name)
		assert.Equal(t, "verify-full", env(jobContainer(t, cj))["PGSSLMODE"], name)
	}
	scripts := configFile(t, rel, backupName, "backup.sh") + configFile(t, rel, backupName, "restore.sh")
	assert.Equal(t, 2, strings.Count(scripts, "export PGSSLMODE=verify-full"))
	assert.NotRegexp(t, `sslmode=(disable|allow|prefer|require)`, scripts)

	targets := strings.Split(strings.TrimSpace(configFile(t, rel, backupName, "targets")), "\n")
	require.Len(t, targets, 14)
	assert.Contains(t, targets, "alert-processor test-postgres-alert-processor.datastores.svc.cluster.local 5432 alert_processor_db alert_processor_user verify-full /run/secrets/backup/alert-processor/ca.crt",
		"the host is the Service's cluster DNS name, one the certificate carries")

	secrets := jobVolume(t, chart.Get[*batchv1.CronJob](t, rel, backupName), "secrets").Projected
	require.NotNil(t, secrets)
	var paths []string
	for _, s := range secrets.Sources {
		for _, it := range s.Secret.Items {
			paths = append(paths, s.Secret.Name+":"+it.Key+"->"+it.Path)
		}
	}
	assert.Contains(t, paths, "test-postgres-auth-auth:password->auth/password")
	assert.Contains(t, paths, "test-postgres-auth-tls:ca.crt->auth/ca.crt", "only the CA of the TLS Secret, never its key")
	for _, p := range paths {
		assert.NotContains(t, p, "tls.key")
	}
}

func TestBackupOfChosenInstances(t *testing.T) {
	rel := chart.Render(t, chart.Options{ValuesFiles: []string{bakeryValues}, SetValues: map[string]string{
		"postgres.backup.enabled": "true", "postgres.backup.instances[0]": "orders", "postgres.backup.instances[1]": "auth",
	}})
	targets := strings.Split(strings.TrimSpace(configFile(t, rel, backupName, "targets")), "\n")

	require.Len(t, targets, 2)
	assert.True(t, strings.HasPrefix(targets[0], "orders "))
	assert.True(t, strings.HasPrefix(targets[1], "auth "))
}

func TestBackupScriptNeverPassesThePasswordAsAnArgument(t *testing.T) {
	script := configFile(t, renderBackup(t, nil), backupName, "backup.sh")

	assert.Contains(t, script, `PGPASSWORD="$(tr -d '\r\n' < "$BACKUP_SECRETS/$name/password")"`)
	assert.NotContains(t, script, "--password")
	assert.NotRegexp(t, `pg_dump[^\n]*(password=|:\$PGPASSWORD)`, script)
	assert.Contains(t, script, "set -euo pipefail")
	assert.Contains(t, script, "--format=custom --compress=")
}

func TestBackupStorage(t *testing.T) {
	t.Run("a chart-made claim by default, kept on uninstall", func(t *testing.T) {
		rel := renderBackup(t, map[string]string{"postgres.backup.storage.size": "50Gi", "postgres.backup.storage.storageClass": "standard"})
		pvc := chart.Get[*corev1.PersistentVolumeClaim](t, rel, backupName)
		assert.Equal(t, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}, pvc.Spec.AccessModes)
		assert.True(t, resource.MustParse("50Gi").Equal(pvc.Spec.Resources.Requests[corev1.ResourceStorage]))
		assert.Equal(t, "standard", *pvc.Spec.StorageClassName)
		assert.Equal(t, "keep", pvc.Annotations["helm.sh/resource-policy"])
		assert.Equal(t, backupName, jobVolume(t, chart.Get[*batchv1.CronJob](t, rel, backupName), "backups").PersistentVolumeClaim.ClaimName)
	})
	t.Run("an existing claim", func(t *testing.T) {
		rel := renderBackup(t, map[string]string{"postgres.backup.storage.existingClaim": "nfs-backups"})
		_, made := chart.Find[*corev1.PersistentVolumeClaim](rel, backupName)
		assert.False(t, made)
		assert.Equal(t, "nfs-backups", jobVolume(t, chart.Get[*batchv1.CronJob](t, rel, backupName), "backups").PersistentVolumeClaim.ClaimName)
	})
	t.Run("an emptyDir only when allowed, with a warning", func(t *testing.T) {
		_, err := chart.RenderE(chart.Options{ValuesFiles: []string{devValues}, SetValues: map[string]string{"postgres.backup.enabled": "true", "postgres.backup.storage.size": ""}})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "postgres.backup.storage: set existingClaim or size for a durable volume")

		rel := renderBackup(t, map[string]string{"postgres.backup.storage.size": "", "postgres.backup.storage.allowEphemeral": "true"})
		assert.NotNil(t, jobVolume(t, chart.Get[*batchv1.CronJob](t, rel, backupName), "backups").EmptyDir)
		assert.Contains(t, rel.Notes, "WARNING: backups are on an emptyDir")
		assert.Contains(t, rel.Notes, "they are NOT durable")
	})
}

func TestBackupImageDefaultsToTheServerImage(t *testing.T) {
	tests := []struct {
		set  map[string]string
		want string
	}{
		{nil, "docker.io/library/postgres:17.6-alpine"},
		{map[string]string{"postgres.backup.image.repository": "acme/postgres-age", "postgres.backup.image.tag": "17.6-1"}, "docker.io/acme/postgres-age:17.6-1"},
		{map[string]string{"global.imageRegistry": "mirror.local"}, "mirror.local/library/postgres:17.6-alpine"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			rel := renderBackup(t, tt.set)
			assert.Equal(t, tt.want, jobContainer(t, chart.Get[*batchv1.CronJob](t, rel, backupName)).Image)
			assert.Equal(t, tt.want, jobContainer(t, chart.Get[*batchv1.CronJob](t, rel, restoreName)).Image)
		})
	}
}

func TestBackupEncryptionRecipients(t *testing.T) {
	t.Run("age", func(t *testing.T) {
		rel := renderBackup(t, map[string]string{"postgres.backup.encryption.method": "age", "postgres.backup.encryption.ageRecipients[0]": ageKey})
		assert.Equal(t, ageKey+"\n", configFile(t, rel, backupName, "recipients-age"))
		assert.Equal(t, "age", env(jobContainer(t, chart.Get[*batchv1.CronJob](t, rel, backupName)))["BACKUP_ENCRYPTION"])
	})
	t.Run("gpg", func(t *testing.T) {
		key := "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ...\n-----END PGP PUBLIC KEY BLOCK-----"
		rel := chart.Render(t, chart.Options{ValuesFiles: []string{devValues, chart.ValuesFile(t,
			"postgres:\n  backup:\n    enabled: true\n    encryption:\n      method: gpg\n      gpgPublicKeys:\n        - |\n          "+strings.ReplaceAll(key, "\n", "\n          ")+"\n")}})
		assert.Equal(t, key+"\n", configFile(t, rel, backupName, "recipients-gpg-0.asc"))
	})
}

func TestRestoreJobIsATemplateThatNeverRunsOnItsOwn(t *testing.T) {
	rel := renderBackup(t, nil)
	cj := chart.Get[*batchv1.CronJob](t, rel, restoreName)

	assert.True(t, *cj.Spec.Suspend)
	assert.Equal(t, []string{"/bin/bash", "/opt/datastores/backup/restore.sh"}, jobContainer(t, cj).Command)
	request := jobVolume(t, cj, "request")
	assert.Equal(t, restoreName+"-request", request.ConfigMap.Name)
	assert.True(t, *request.ConfigMap.Optional)
	identity := jobVolume(t, cj, "identity")
	assert.Equal(t, restoreName+"-identity", identity.Secret.SecretName)
	assert.True(t, *identity.Secret.Optional, "only encrypted dumps need it, and only while restoring")
	assert.Equal(t, int32(0), *cj.Spec.JobTemplate.Spec.BackoffLimit, "a failed restore is not retried on its own")
}

func TestBackupServiceAccountHasNoToken(t *testing.T) {
	rel := renderBackup(t, nil)
	sa := chart.Get[*corev1.ServiceAccount](t, rel, backupName)
	cj := chart.Get[*batchv1.CronJob](t, rel, backupName)

	assert.False(t, *sa.AutomountServiceAccountToken)
	assert.Equal(t, backupName, cj.Spec.JobTemplate.Spec.Template.Spec.ServiceAccountName)
	assert.False(t, *cj.Spec.JobTemplate.Spec.Template.Spec.AutomountServiceAccountToken)
}

func TestBackupBadInput(t *testing.T) {
	tests := []struct {
		name string
		set  map[string]string
		want string
	}{
		{"age without recipients", map[string]string{"postgres.backup.encryption.method": "age"},
			"postgres.backup.encryption.method is age but postgres.backup.encryption.ageRecipients is empty"},
		{"gpg without keys", map[string]string{"postgres.backup.encryption.method": "gpg"},
			"postgres.backup.encryption.method is gpg but postgres.backup.encryption.gpgPublicKeys is empty"},
		{"an age secret key", map[string]string{"postgres.backup.encryption.method": "age", "postgres.backup.encryption.ageRecipients[0]": "AGE-SECRET-KEY-1QQQ"},
			"postgres.backup.encryption.ageRecipients[0] is an age secret key: give its public key"},
		{"not an age key", map[string]string{"postgres.backup.encryption.method": "age", "postgres.backup.encryption.ageRecipients[0]": "hello"},
			"postgres.backup.encryption.ageRecipients[0] is not an age recipient"},
		{"a GPG private key", map[string]string{"postgres.backup.encryption.method": "gpg", "postgres.backup.encryption.gpgPublicKeys[0]": "-----BEGIN PGP PRIVATE KEY BLOCK-----"},
			"postgres.backup.encryption.gpgPublicKeys[0] is a private key"},
		{"an unknown instance", map[string]string{"postgres.backup.instances[0]": "billing"},
			`postgres.backup.instances: "billing" is not an instance; choose from app`},
		{"keep nothing", map[string]string{"postgres.backup.keepLast": "0"}, "at '/backup/keepLast': minimum: got 0, want 1"},
		{"unknown compression", map[string]string{"postgres.backup.compression": "brotli"}, `postgres.backup.compression is "brotli"`},
		{"image latest", map[string]string{"postgres.backup.image.tag": "latest"}, "postgres.backup.image.tag: pin an exact version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := map[string]string{"postgres.backup.enabled": "true"}
			for k, v := range tt.set {
				set[k] = v
			}
			_, err := chart.RenderE(chart.Options{ValuesFiles: []string{devValues}, SetValues: set})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// bindJob returns the Job that binds the backup claim at install, and whether there is one.
func bindJob(t *testing.T, rel *chart.Release) (*batchv1.Job, bool) {
	t.Helper()
	var found []*batchv1.Job
	for _, j := range chart.All[*batchv1.Job](rel) {
		if strings.HasPrefix(j.Name, backupName+"-volume-") {
			found = append(found, j)
		}
	}
	require.LessOrEqual(t, len(found), 1)
	if len(found) == 0 {
		return nil, false
	}
	return found[0], true
}

// Under a WaitForFirstConsumer StorageClass a claim that only a CronJob mounts stays Pending
// until the first run, and `helm install --wait` waits for every claim of the release: the
// chart's backup claim gets a consumer at install.
func TestBackupClaimHasAConsumerAtInstall(t *testing.T) {
	job, ok := bindJob(t, renderBackup(t, nil))
	require.True(t, ok, "a Job mounts the backup claim at install")

	spec := job.Spec.Template.Spec
	require.Len(t, spec.Volumes, 1, "the claim and nothing else: no Secret")
	require.NotNil(t, spec.Volumes[0].PersistentVolumeClaim)
	assert.Equal(t, backupName, spec.Volumes[0].PersistentVolumeClaim.ClaimName)
	assert.Equal(t, corev1.RestartPolicyNever, spec.RestartPolicy)
	assert.Equal(t, int64(70), *spec.SecurityContext.RunAsUser, "the backup's own user, so that it proves the backup can write")
	assert.Equal(t, "docker.io/library/postgres:17.6-alpine", spec.Containers[0].Image)
	assert.Empty(t, job.Annotations["helm.sh/hook"], "part of the release, not a hook: hooks run after --wait")
}

func TestBackupClaimConsumerOnlyForTheChartsOwnClaim(t *testing.T) {
	cases := map[string]map[string]string{
		"backups off":    {"postgres.backup.enabled": "false"},
		"existing claim": {"postgres.backup.storage.existingClaim": "my-dumps"},
		"emptyDir":       {"postgres.backup.storage.size": "", "postgres.backup.storage.allowEphemeral": "true"},
	}
	for name, set := range cases {
		t.Run(name, func(t *testing.T) {
			_, ok := bindJob(t, renderBackup(t, set))
			assert.False(t, ok)
		})
	}
}

// A Job's pod template is immutable: the name follows the pod, so that `helm upgrade` with a new
// image replaces the Job instead of failing; the same values keep the same name.
func TestBackupClaimConsumerIsRenamedWhenItsPodChanges(t *testing.T) {
	first, _ := bindJob(t, renderBackup(t, nil))
	again, _ := bindJob(t, renderBackup(t, nil))
	retagged, _ := bindJob(t, renderBackup(t, map[string]string{"postgres.image.tag": "17.7-alpine"}))

	assert.Equal(t, first.Name, again.Name)
	assert.NotEqual(t, first.Name, retagged.Name)
}

// A new chart version changes only the pod's helm.sh/chart label, which is part of the immutable
// template too: the Job must get a new name (upgrading 0.1.0 to 0.2.0 failed on exactly this).
func TestBackupClaimConsumerIsRenamedWithANewChartVersion(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "datastores")
	require.NoError(t, os.CopyFS(dir, os.DirFS(chart.ChartDir())))
	require.NoError(t, os.Remove(filepath.Join(dir, "README.md")), "a link to the repository's README")
	sub := filepath.Join(dir, "charts", "postgres", "Chart.yaml")
	meta, err := os.ReadFile(sub)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(sub, []byte(strings.Replace(string(meta), "\nversion: ", "\nversion: 9", 1)), 0o644))

	set := map[string]string{"postgres.backup.enabled": "true"}
	before, ok := bindJob(t, chart.Render(t, chart.Options{ValuesFiles: []string{devValues}, SetValues: set}))
	require.True(t, ok)
	after, ok := bindJob(t, chart.Render(t, chart.Options{ValuesFiles: []string{devValues}, SetValues: set, Chart: dir}))
	require.True(t, ok)
	require.NotEqual(t, before.Spec.Template.Labels["helm.sh/chart"], after.Spec.Template.Labels["helm.sh/chart"])
	assert.NotEqual(t, before.Name, after.Name)
}

func TestBackupClaimConsumerNameFitsALabel(t *testing.T) {
	rel := chart.Render(t, chart.Options{ValuesFiles: []string{devValues}, ReleaseName: "r",
		SetValues: map[string]string{"postgres.backup.enabled": "true", "postgres.fullnameOverride": strings.Repeat("p", 44)}})
	var job *batchv1.Job
	for _, j := range chart.All[*batchv1.Job](rel) {
		job = j
	}
	require.NotNil(t, job)
	assert.LessOrEqual(t, len(job.Name), 63, "pods carry the Job's name in the job-name label: %s", job.Name)
}

// The chart's list of time zones is what the API server can load: every name in it loads.
func TestBackupTimeZonesAreLoadable(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(chart.ChartDir(), "charts", "postgres", "files", "timezones.txt"))
	require.NoError(t, err)
	names := strings.Fields(string(raw))
	require.Greater(t, len(names), 400)
	for _, name := range names {
		_, err := time.LoadLocation(name)
		assert.NoError(t, err, name)
	}
}

const verifyName = "test-postgres-backup-verify"

func TestRestoreDrillIsOffByDefault(t *testing.T) {
	rel := renderBackup(t, nil)
	_, found := chart.Find[*batchv1.CronJob](rel, verifyName)
	assert.False(t, found)
	assert.Contains(t, rel.Notes, "Restore drills are off: postgres.backup.verify.enabled=true")
}

// The drill's pod reads the dumps and nothing else: the volume read-only, no password of any
// server, a scratch emptyDir of the given size for its own throwaway server, and the identity
// only when the values name one.
func TestRestoreDrillPodHoldsNoPassword(t *testing.T) {
	tests := []struct {
		name     string
		set      map[string]string
		identity string
	}{
		{"plain dumps", nil, ""},
		{"encrypted dumps", map[string]string{"postgres.backup.encryption.method": "age", "postgres.backup.encryption.ageRecipients[0]": ageKey,
			"postgres.backup.verify.identitySecret": "drill-key"}, "drill-key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := map[string]string{"postgres.backup.verify.enabled": "true", "postgres.backup.verify.scratchSizeLimit": "20Gi", "postgres.backup.verify.schedule": "15 5 * * *"}
			for k, v := range tt.set {
				set[k] = v
			}
			rel := renderBackup(t, set)
			cj := chart.Get[*batchv1.CronJob](t, rel, verifyName)
			assert.Equal(t, "15 5 * * *", cj.Spec.Schedule)
			assert.Contains(t, rel.Notes, "create job "+verifyName+"-1 --from=cronjob/"+verifyName)
			assert.Equal(t, int32(0), *cj.Spec.JobTemplate.Spec.BackoffLimit, "a failed drill is a finding, not something to retry")
			c := jobContainer(t, cj)
			assert.Equal(t, []string{"/bin/bash", "/opt/datastores/backup/verify.sh"}, c.Command)
			mounts := map[string]corev1.VolumeMount{}
			for _, m := range c.VolumeMounts {
				mounts[m.Name] = m
			}
			assert.True(t, mounts["backups"].ReadOnly, "the dumps are read-only to the drill")
			assert.NotContains(t, mounts, "secrets", "no server password")
			for _, v := range cj.Spec.JobTemplate.Spec.Template.Spec.Volumes {
				if v.Projected != nil || (v.Secret != nil && v.Name != "identity") {
					t.Errorf("volume %s: the drill mounts no Secret but the identity", v.Name)
				}
			}
			scratch := jobVolume(t, cj, "scratch")
			require.NotNil(t, scratch.EmptyDir)
			assert.True(t, resource.MustParse("20Gi").Equal(*scratch.EmptyDir.SizeLimit))
			env := map[string]string{}
			for _, e := range c.Env {
				env[e.Name] = e.Value
			}
			assert.Equal(t, "36", env["VERIFY_MAX_AGE_HOURS"])
			if tt.identity == "" {
				assert.NotContains(t, mounts, "identity")
				assert.NotContains(t, env, "RESTORE_IDENTITY")
				return
			}
			assert.Equal(t, tt.identity, jobVolume(t, cj, "identity").Secret.SecretName)
			assert.Equal(t, "/run/restore/identity/identity", env["RESTORE_IDENTITY"])
		})
	}
}

func TestRestoreDrillBadInput(t *testing.T) {
	tests := []struct {
		name string
		set  map[string]string
		want string
	}{
		{"encrypted dumps without the identity", map[string]string{"postgres.backup.encryption.method": "age", "postgres.backup.encryption.ageRecipients[0]": ageKey},
			"postgres.backup.verify.identitySecret is empty: the drill cannot read them"},
		{"dumps on an emptyDir", map[string]string{"postgres.backup.storage.size": "", "postgres.backup.storage.allowEphemeral": "true"},
			"the dumps live on an emptyDir (postgres.backup.storage.allowEphemeral)"},
		{"a bad schedule", map[string]string{"postgres.backup.verify.schedule": "every night"}, `postgres.backup.verify.schedule is "every night": give five cron fields`},
		{"a bad size", map[string]string{"postgres.backup.verify.scratchSizeLimit": "8 GB"}, "postgres.backup.verify.scratchSizeLimit"},
		{"a bad Secret name", map[string]string{"postgres.backup.verify.identitySecret": "Drill_Key"}, `postgres.backup.verify.identitySecret is "Drill_Key"`},
		{"an age over a year", map[string]string{"postgres.backup.verify.maxAgeHours": "9000"}, "maxAgeHours"},
		{"a name too long for a CronJob's Jobs", map[string]string{"postgres.fullnameOverride": strings.Repeat("p", 44)}, "-backup-verify\" is 58 characters long, over the limit of 52"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := map[string]string{"postgres.backup.enabled": "true", "postgres.backup.verify.enabled": "true"}
			for k, v := range tt.set {
				set[k] = v
			}
			for _, skip := range []bool{false, true} {
				_, err := chart.RenderE(chart.Options{ValuesFiles: []string{devValues}, SetValues: set, SkipSchemaValidation: skip})
				require.Error(t, err, "schema skipped: %v", skip)
				assert.Contains(t, err.Error(), tt.want, "schema skipped: %v", skip)
			}
		})
	}
}
