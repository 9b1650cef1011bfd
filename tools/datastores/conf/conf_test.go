package conf

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPostgresReadsValuesAsTheServerDoes(t *testing.T) {
	for _, tc := range []struct {
		line, name, value string
	}{
		{"ssl = on", "ssl", "on"},
		{"ssl on", "ssl", "on"},
		{"SSL=off # not yet", "ssl", "off"},
		{"listen_addresses = '*'", "listen_addresses", "*"},
		{"log_line_prefix = 'it''s %m # not a comment'", "log_line_prefix", "it's %m # not a comment"},
		{`ssl_key_file = '/tls/a\'b.key'`, "ssl_key_file", "/tls/a'b.key"},
	} {
		assert.Equal(t, tc.value, Postgres("# comment\n\n" + tc.line + "\n")[tc.name], tc.line)
	}
	assert.Equal(t, "off", Postgres("ssl = on\nssl = off\n")["ssl"], "the last setting wins")
}

func TestPostgresArgs(t *testing.T) {
	got := PostgresArgs([]string{"postgres", "-c", "ssl=off", "-cport=5433", "--listen-addresses=localhost", "-c", "config_file=/etc/postgresql/postgresql.conf"})
	assert.Equal(t, Settings{"ssl": "off", "port": "5433", "listen_addresses": "localhost", "config_file": "/etc/postgresql/postgresql.conf"}, got)
}

func TestHBA(t *testing.T) {
	rules := HBA(`# TYPE DATABASE USER ADDRESS METHOD
local all all scram-sha-256
hostnossl all all 0.0.0.0/0 reject   # plaintext refused
host "my db" all 10.0.0.0 255.0.0.0 md5
hostssl all all \
  ::/0 scram-sha-256
`)
	assert.Equal(t, []HBARule{
		{Line: 2, Type: "local", Database: "all", User: "all", Method: "scram-sha-256"},
		{Line: 3, Type: "hostnossl", Database: "all", User: "all", Address: "0.0.0.0/0", Method: "reject"},
		{Line: 4, Type: "host", Database: "my db", User: "all", Address: "10.0.0.0/8", Method: "md5"},
		{Line: 5, Type: "hostssl", Database: "all", User: "all", Address: "::/0", Method: "scram-sha-256"},
	}, rules)
}

func TestHBAAddresses(t *testing.T) {
	rule := func(addr string) HBARule { return HBARule{Type: "host", Database: "all", User: "all", Address: addr} }
	for _, tc := range []struct {
		addr   string
		remote bool
	}{
		{"0.0.0.0/0", true}, {"::/0", true}, {"all", true}, {"10.0.0.0/8", true}, {"db.example.com", true},
		{"127.0.0.1/32", false}, {"::1/128", false}, {"127.0.0.1", false}, {"localhost", false}, {"samehost", false},
	} {
		assert.Equal(t, tc.remote, rule(tc.addr).Remote(), tc.addr)
	}
	for _, tc := range []struct {
		outer, inner string
		covers       bool
	}{
		{"0.0.0.0/0", "10.0.0.0/8", true}, {"all", "::/0", true}, {"10.0.0.0/8", "10.1.0.0/16", true},
		{"10.1.0.0/16", "10.0.0.0/8", false}, {"0.0.0.0/0", "::/0", false}, {"10.0.0.0/8", "10.2.3.4", true},
		{"0.0.0.0/0", "all", false}, {"10.0.0.0/8", "db.example.com", false},
	} {
		assert.Equal(t, tc.covers, rule(tc.outer).Covers(rule(tc.inner)), "%s covers %s", tc.outer, tc.inner)
	}
}

func TestRedis(t *testing.T) {
	settings, users := Redis(`# redis.conf
port 6379
port 0
tls-protocols "TLSv1.2 TLSv1.3"
save 3600 1 300 100
user default on #abc ~* &* +@all
user probe on >secret +ping
`)
	assert.Equal(t, Settings{"port": "0", "tls-protocols": "TLSv1.2 TLSv1.3", "save": "3600 1 300 100"}, settings)
	assert.Equal(t, []string{"default on #abc ~* &* +@all", "probe on >secret +ping"}, users)
}

func TestRedisArgs(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		settings Settings
		file     string
	}{
		{[]string{"/etc/redis/redis.conf", "--port", "0", "--tls-port", "6379"}, Settings{"port": "0", "tls-port": "6379"}, "/etc/redis/redis.conf"},
		{[]string{"--save", "--appendonly", "yes"}, Settings{"save": "", "appendonly": "yes"}, ""},
		{[]string{"--requirepass", "$(REDIS_PASSWORD)", "--tls-protocols", "TLSv1.2", "TLSv1.3"}, Settings{"requirepass": "$(REDIS_PASSWORD)", "tls-protocols": "TLSv1.2 TLSv1.3"}, ""},
	} {
		settings, file := RedisArgs(tc.args)
		assert.Equal(t, tc.settings, settings, "%v", tc.args)
		assert.Equal(t, tc.file, file, "%v", tc.args)
	}
}

// An empty quoted argument stays an argument, as in a shell.
func TestShellWords(t *testing.T) {
	assert.Equal(t, []string{"sh", "-c", "redis-server", "--save", "", "--port", "0"}, ShellWords([]string{"sh", "-c", `redis-server --save "" --port '0'`}))
}
