package audit

import "github.com/datastores/datastores/tools/datastores/grade"

// check is one entry of the catalogue: its name, the severity of a failure, and the fix, per
// server kind where they differ ("" is the fix for any).
type check struct {
	severity grade.Severity
	title    string
	fix      map[string]string
}

// checks is the catalogue. README.md's checks table documents each one with its severity
// (TestChecksTableIsInREADME keeps them in step).
var checks = map[string]check{
	"tls-disabled": {grade.Critical, "the server does not speak TLS", map[string]string{
		"postgres": "set ssl = on with ssl_cert_file/ssl_key_file (the chart writes it and refuses to turn it off)",
		"redis":    "serve on tls-port with tls-cert-file/tls-key-file, and set port 0",
	}},
	"plaintext-accepted": {grade.High, "plaintext connections are accepted", map[string]string{
		"postgres": "put \"hostnossl all all 0.0.0.0/0 reject\" and \"hostnossl all all ::/0 reject\" before every other rule, and make the accepting rules hostssl",
		"redis":    "set port 0, so that only tls-port listens",
	}},
	"tls-protocol": {grade.High, "TLS older than 1.2 is accepted", map[string]string{
		"postgres": "ssl_min_protocol_version = 'TLSv1.2' (or TLSv1.3)",
		"redis":    "tls-protocols \"TLSv1.2 TLSv1.3\"",
	}},
	"cert-chain": {grade.High, "the certificate does not verify against the CA clients are given", map[string]string{
		"": "publish the CA that signs the server certificate as ca.crt (in the TLS Secret and the connection Secrets), or re-issue the certificate from it (`datastores certs`)",
	}},
	"cert-names": {grade.High, "the certificate does not cover the Service names clients use", map[string]string{
		"": "re-issue the certificate with every Service name as a SAN: <svc>, <svc>.<ns>, <svc>.<ns>.svc, <svc>.<ns>.svc.<cluster domain> (`datastores certs` issues them so)",
	}},
	"cert-expired": {grade.Critical, "the certificate has expired", map[string]string{
		"": "issue a new certificate now (`datastores certs renew`, `helm upgrade` with tls.source generate, or cert-manager)",
	}},
	"cert-expiring": {grade.Medium, "the certificate expires within 30 days", map[string]string{
		"": "renew the certificate before it expires (`datastores certs renew`, `helm upgrade`, cert-manager's renewBefore)",
	}},
	"auth-missing": {grade.Critical, "clients get in without a password", map[string]string{
		"postgres": "replace trust in pg_hba.conf with scram-sha-256",
		"redis":    "require a password: requirepass or ACL users with a password (the chart writes an ACL file with SHA-256 hashes)",
	}},
	"auth-weak-method": {grade.High, "passwords are checked with MD5 or sent in clear", map[string]string{
		"postgres": "password_encryption = scram-sha-256, scram-sha-256 in every pg_hba rule, and reset the passwords still stored as MD5",
	}},
	"password-weak": {grade.High, "a password is shorter than 32 characters", map[string]string{
		"": "generate 32 or more random characters (`openssl rand -base64 32`, or let the chart generate them)",
	}},
	"password-exposed": {grade.Medium, "a password is visible outside a Secret", map[string]string{
		"": "read passwords from a Secret file (POSTGRES_PASSWORD_FILE, an ACL file written at start), not from the command line, a ConfigMap or a literal env value",
	}},
	"listen-localhost": {grade.High, "PostgreSQL listens on localhost only: the Service gets no answer", map[string]string{
		"postgres": "listen_addresses = '*' and filter clients in pg_hba.conf",
	}},
	"key-permissions": {grade.High, "the private key can be read by group or others", map[string]string{
		"": "copy the key from the Secret to an emptyDir with mode 0600, owned by the server's uid (an init container; PostgreSQL refuses anything looser)",
	}},
	"data-ephemeral": {grade.Critical, "the data lives on an emptyDir or in the container: it is lost with the pod", map[string]string{
		"": "keep the data directory on a PersistentVolumeClaim (a StatefulSet's volumeClaimTemplates)",
	}},
	"pvc-unbound": {grade.High, "the data claim is not Bound", map[string]string{
		"": "check the claim's events and its StorageClass (kubectl describe pvc)",
	}},
	"aof-disabled": {grade.Medium, "Redis keeps no append-only file: writes since the last snapshot are lost on a crash", map[string]string{
		"redis": "appendonly yes with appendfsync everysec, on the claim",
	}},
	"psa-not-restricted": {grade.Medium, "the namespace does not enforce the restricted Pod Security profile", map[string]string{
		"": "kubectl label namespace <ns> pod-security.kubernetes.io/enforce=restricted",
	}},
	"backup-missing": {grade.Low, "no CronJob dumps the PostgreSQL servers of the namespace", map[string]string{
		"": "schedule dumps (postgres.backup.enabled: true); backups made outside the namespace (volume snapshots) are not visible here",
	}},
	"backup-unencrypted": {grade.Medium, "backups are written unencrypted", map[string]string{
		"": "encrypt dumps to a public key (postgres.backup.encryption.method: age or gpg)",
	}},
	"backup-failing": {grade.High, "the backup has not succeeded recently", map[string]string{
		"": "read the last job's log (kubectl logs job/<name>) and fix it; check that the CronJob is not suspended",
	}},
	"client-verify-disabled": {grade.High, "a connection setting skips server verification", map[string]string{
		"": "use sslmode=verify-full (asyncpg: ssl=verify-full), ssl_cert_reqs=required with ssl_ca_certs, and rediss:// with the CA: the chart's connection Secrets hold such strings",
	}},
}

func (c check) fixFor(kind string) string {
	if f, ok := c.fix[kind]; ok {
		return f
	}
	return c.fix[""]
}
