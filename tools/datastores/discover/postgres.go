package discover

import (
	"fmt"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/datastores/datastores/tools/datastores/conf"
	"github.com/datastores/datastores/tools/datastores/inventory"
)

// postgres fills a PostgreSQL server's settings, pg_hba rules, passwords and data path.
// Precedence as the server applies it: the image's defaults, the configuration files, the
// variables Bitnami's image writes into them, then the command line.
func postgres(inv *inventory.Inventory, s *Server) {
	e := env{inv, s.Workload, &s.Container}
	words := e.words()
	args := conf.PostgresArgs(words)

	// The official image runs initdb, whose postgresql.conf has listen_addresses = '*' (the
	// image's sed); Bitnami's writes it too. A config_file of one's own starts from PostgreSQL's
	// built-in defaults instead: listen_addresses 'localhost', ssl off.
	if s.Flavor != "" && args["config_file"] == "" {
		s.Settings["listen_addresses"] = "*"
		s.Sources = append(s.Sources, s.Flavor+" image defaults")
	}
	files := mountedConfig(inv, s.Workload, &s.Container, "postgresql.conf", "conf.d/*.conf")
	if cf := args["config_file"]; cf != "" {
		files = append([]string{cf}, without(files, cf)...)
	}
	for _, p := range files {
		if f := inv.Lookup(s.Workload, &s.Container, p); f.Found {
			s.Settings.Merge(conf.Postgres(string(f.Data)))
			s.Sources = append(s.Sources, fmt.Sprintf("%s (%s %q)", p, f.Kind, f.Object))
		}
	}
	if s.Flavor == "bitnami" {
		bitnamiPostgres(e, s)
	}
	if v := e.get("PGPORT"); v != "" && s.Settings["port"] == "" {
		s.Settings["port"] = v
	}
	if len(args) > 0 {
		s.Settings.Merge(args)
		s.Sources = append(s.Sources, "command line")
	}

	s.Port = atoi(s.Settings["port"])
	if s.Port == 0 {
		s.Port = containerPort(s.Container, 5432)
	}
	s.DataPath = firstOf(s.Settings["data_directory"], e.get("PGDATA"), ifBitnami(s, "/bitnami/postgresql/data"), "/var/lib/postgresql/data")
	s.KeyFile = firstOf(s.Settings["ssl_key_file"], path.Join(s.DataPath, "server.key"))
	postgresHBA(inv, e, s)
	postgresCredentials(e, s)
}

// bitnamiPostgres applies the variables Bitnami's image turns into postgresql.conf settings.
func bitnamiPostgres(e env, s *Server) {
	if v, _ := e.first("POSTGRESQL_ENABLE_TLS"); v != "" {
		s.Settings["ssl"] = map[bool]string{true: "on", false: "off"}[isYes(v)]
	}
	for variable, setting := range map[string]string{
		"POSTGRESQL_TLS_CERT_FILE":        "ssl_cert_file",
		"POSTGRESQL_TLS_KEY_FILE":         "ssl_key_file",
		"POSTGRESQL_TLS_CA_FILE":          "ssl_ca_file",
		"POSTGRESQL_PORT_NUMBER":          "port",
		"POSTGRESQL_PASSWORD_ENCRYPTION":  "password_encryption",
		"POSTGRESQL_TLS_PREFER_SERVER_CI": "ssl_prefer_server_ciphers",
	} {
		if v := e.get(variable); v != "" {
			s.Settings[setting] = v
		}
	}
	s.Sources = append(s.Sources, "Bitnami environment variables")
}

// postgresHBA reads pg_hba.conf from hba_file or a mounted pg_hba.conf. Without one, the
// official image's is known: initdb's loopback trust lines, then the entrypoint's
// "host all all all $POSTGRES_HOST_AUTH_METHOD" (scram-sha-256 by default), which accepts
// plaintext connections.
func postgresHBA(inv *inventory.Inventory, e env, s *Server) {
	files := mountedConfig(inv, s.Workload, &s.Container, "pg_hba.conf")
	if hf := s.Settings["hba_file"]; hf != "" {
		files = append([]string{hf}, without(files, hf)...)
	}
	for _, p := range files {
		if f := inv.Lookup(s.Workload, &s.Container, p); f.Found {
			s.HBA = conf.HBA(string(f.Data))
			s.HBASource = fmt.Sprintf("%s (%s %q)", p, f.Kind, f.Object)
			return
		}
	}
	if s.Flavor == "official" && s.Settings["hba_file"] == "" {
		method := firstOf(e.get("POSTGRES_HOST_AUTH_METHOD"), "scram-sha-256")
		s.HBA = conf.HBA("local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nhost all all all " + method)
		s.HBASource = "the official image's default pg_hba.conf"
	}
}

// postgresCredentials finds the passwords: the variables the official and Bitnami images read
// (or their _FILE forms), then the password keys of the Secret volumes the server mounts.
func postgresCredentials(e env, s *Server) {
	adminUser := firstOf(e.get("POSTGRES_USER"), e.get("POSTGRESQL_USERNAME"), "postgres")
	vars := []struct {
		name  string
		user  string
		admin bool
	}{
		{"POSTGRES_POSTGRES_PASSWORD", "postgres", true},
		{"POSTGRESQL_POSTGRES_PASSWORD", "postgres", true},
		// The official image's POSTGRES_USER is the superuser; Bitnami's is an application user
		// unless it is postgres.
		{"POSTGRES_PASSWORD", adminUser, s.Flavor != "bitnami" || adminUser == "postgres"},
		{"POSTGRESQL_PASSWORD", adminUser, s.Flavor != "bitnami" || adminUser == "postgres"},
	}
	for _, v := range vars {
		if value, src, literal, ok := e.value(v.name); ok && value != "" {
			s.Credentials = append(s.Credentials, Credential{User: v.user, Password: value, Source: src, Admin: v.admin})
			if literal {
				s.Exposed = append(s.Exposed, fmt.Sprintf("%s is written in the pod spec", v.name))
			}
		}
		if p, _, _, ok := e.value(v.name + "_FILE"); ok {
			if value, src, found := e.secretFile(p); found {
				s.Credentials = append(s.Credentials, Credential{User: v.user, Password: value, Source: src, Admin: v.admin})
			}
		}
	}
	passwordVolumes(e, s, func(sec *corev1.Secret, key string) (string, bool) {
		if strings.Contains(key, "postgres") {
			return "postgres", true
		}
		for _, k := range []string{"username", "user"} {
			if u, ok := inventory.SecretValue(sec, k); ok {
				return string(u), false
			}
		}
		return "", false
	})
}

func containerPort(c corev1.Container, fallback int) int {
	for _, p := range c.Ports {
		if p.ContainerPort != 0 {
			return int(p.ContainerPort)
		}
	}
	return fallback
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

func ifBitnami(s *Server, v string) string {
	if s.Flavor == "bitnami" {
		return v
	}
	return ""
}

func without(list []string, drop string) []string {
	var out []string
	for _, x := range list {
		if x != drop {
			out = append(out, x)
		}
	}
	return out
}
