package discover

import (
	"fmt"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/datastores/datastores/tools/datastores/conf"
	"github.com/datastores/datastores/tools/datastores/inventory"
)

// redis fills a Redis server's settings, authentication, passwords and data path. Precedence as
// redis-server applies it: its built-in defaults (port 6379 in plaintext, no TLS, no AOF), the
// configuration file, the variables Bitnami's image reads, then "--name value" arguments.
func redis(inv *inventory.Inventory, s *Server) {
	e := env{inv, s.Workload, &s.Container}
	s.Settings.Merge(conf.Settings{"port": "6379", "tls-port": "0", "appendonly": "no", "tls-protocols": "TLSv1.2 TLSv1.3", "dir": "./"})
	s.Sources = append(s.Sources, "redis-server defaults")

	args, file := redisCommandLine(e)
	var files []string
	if file != "" && strings.HasSuffix(file, ".conf") {
		files = []string{file}
	} else {
		files = mountedConfig(inv, s.Workload, &s.Container, "redis.conf", "master.conf")
	}
	for _, p := range files {
		if f := inv.Lookup(s.Workload, &s.Container, p); f.Found {
			settings, users := conf.Redis(string(f.Data))
			s.Settings.Merge(settings)
			s.RedisUsers = append(s.RedisUsers, users...)
			s.Sources = append(s.Sources, fmt.Sprintf("%s (%s %q)", p, f.Kind, f.Object))
			if settings["requirepass"] != "" && f.Kind == inventory.KindConfigMap {
				s.Exposed = append(s.Exposed, fmt.Sprintf("requirepass is in ConfigMap %q", f.Object))
			}
		}
	}
	if s.Flavor == "bitnami" {
		bitnamiRedis(e, s)
	}
	if len(args) > 0 {
		s.Settings.Merge(args)
		s.Sources = append(s.Sources, "command line")
	}
	// A start script that builds redis-server's arguments ("ARGS+=(--requirepass ...)", as
	// Bitnami's start-master.sh does) puts the password in argv too.
	if _, ok := args["requirepass"]; ok || strings.Contains(strings.Join(e.words(), " "), "--requirepass") {
		s.Exposed = append(s.Exposed, "--requirepass is on the command line (visible in the process list)")
	}

	s.Port, s.PlainPort = atoi(s.Settings["tls-port"]), atoi(s.Settings["port"])
	s.DataPath = s.Settings["dir"]
	if s.DataPath == "" || s.DataPath == "./" || s.DataPath == "." {
		s.DataPath = firstOf(s.Container.WorkingDir, ifBitnami(s, "/bitnami/redis/data"), "/data")
	}
	s.KeyFile = s.Settings["tls-key-file"]
	s.RedisAuth = redisAuth(s)
	redisCredentials(e, s)
}

// redisCommandLine finds redis-server's arguments: after the redis-server word of the command
// line or of the script it runs, or the image entrypoint's arguments when there is no command.
func redisCommandLine(e env) (conf.Settings, string) {
	words := e.words()
	for i, w := range words {
		if b := path.Base(w); b == "redis-server" || b == "valkey-server" {
			end := len(words)
			for j := i + 1; j < len(words); j++ {
				if words[j] == "&&" || words[j] == ";" || words[j] == "|" || words[j] == "||" {
					end = j
					break
				}
			}
			return conf.RedisArgs(words[i+1 : end])
		}
	}
	if len(e.c.Command) == 0 && len(e.c.Args) > 0 {
		return conf.RedisArgs(conf.ShellWords(e.c.Args))
	}
	return conf.Settings{}, ""
}

// bitnamiRedis applies the variables of Bitnami's image: TLS on REDIS_TLS_PORT_NUMBER, the
// plaintext port closed when it is the same as the TLS port (the image sets port 0 then), AOF
// on unless REDIS_AOF_ENABLED=no, the password from REDIS_PASSWORD.
func bitnamiRedis(e env, s *Server) {
	tlsOn := isYes(e.get("REDIS_TLS_ENABLED"))
	plain, _ := e.first("REDIS_PORT_NUMBER", "REDIS_PORT")
	plain = firstOf(plain, "6379")
	s.Settings["port"] = plain
	if tlsOn {
		tlsPort, _ := e.first("REDIS_TLS_PORT_NUMBER", "REDIS_TLS_PORT")
		tlsPort = firstOf(tlsPort, "6379")
		s.Settings["tls-port"] = tlsPort
		if tlsPort == plain {
			s.Settings["port"] = "0"
		}
	}
	if v := e.get("REDIS_AOF_ENABLED"); v == "" || isYes(v) {
		s.Settings["appendonly"] = "yes"
	} else {
		s.Settings["appendonly"] = "no"
	}
	for variable, setting := range map[string]string{
		"REDIS_TLS_CERT_FILE":    "tls-cert-file",
		"REDIS_TLS_KEY_FILE":     "tls-key-file",
		"REDIS_TLS_CA_FILE":      "tls-ca-cert-file",
		"REDIS_TLS_AUTH_CLIENTS": "tls-auth-clients",
		"REDIS_DATA_DIR":         "dir",
	} {
		if v := e.get(variable); v != "" {
			s.Settings[setting] = v
		}
	}
	s.Sources = append(s.Sources, "Bitnami environment variables")
}

// redisAuth says how Redis asks clients for a password, empty when it does not: a "user
// default ... nopass" directive, or no requirepass, ACL file, user password or Bitnami password.
func redisAuth(s *Server) string {
	for _, u := range s.RedisUsers {
		f := strings.Fields(u)
		if len(f) == 0 || f[0] != "default" {
			continue
		}
		for _, rule := range f[1:] {
			if strings.EqualFold(rule, "nopass") {
				return ""
			}
		}
		for _, rule := range f[1:] {
			if strings.HasPrefix(rule, ">") || strings.HasPrefix(rule, "#") {
				return "user"
			}
		}
	}
	switch {
	case s.Settings["requirepass"] != "":
		return "requirepass"
	case s.Settings["aclfile"] != "":
		return "aclfile"
	}
	return ""
}

// redisCredentials finds the passwords: requirepass, REDIS_PASSWORD (or its file), and the
// password keys of the Secret volumes the server mounts (the chart writes its ACL file from them).
func redisCredentials(e env, s *Server) {
	if p := s.Settings["requirepass"]; p != "" && !strings.HasPrefix(p, "$") {
		s.Credentials = append(s.Credentials, Credential{User: "default", Password: p, Source: "requirepass", Admin: true})
	}
	if v, src, literal, ok := e.value("REDIS_PASSWORD"); ok && v != "" {
		s.Credentials = append(s.Credentials, Credential{User: "default", Password: v, Source: src, Admin: true})
		if literal {
			s.Exposed = append(s.Exposed, "REDIS_PASSWORD is written in the pod spec")
		}
		if s.RedisAuth == "" && (s.Flavor == "bitnami" || strings.Contains(strings.Join(e.words(), " "), "REDIS_PASSWORD")) {
			s.RedisAuth = "env"
		}
	}
	if p, _, _, ok := e.value("REDIS_PASSWORD_FILE"); ok {
		if v, src, found := e.secretFile(p); found {
			s.Credentials = append(s.Credentials, Credential{User: "default", Password: v, Source: src, Admin: true})
			if s.RedisAuth == "" {
				s.RedisAuth = "env"
			}
		}
	}
	passwordVolumes(e, s, func(sec *corev1.Secret, key string) (string, bool) {
		if u, ok := inventory.SecretValue(sec, "username"); ok {
			return string(u), string(u) == "default"
		}
		return "default", true
	})
}
