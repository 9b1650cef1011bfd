// Package conf reads the configuration files the audit checks: postgresql.conf, pg_hba.conf and
// redis.conf, plus the settings given on a server's command line. The parsers follow each server's
// own grammar as far as the audit needs it (quoting, comments, last setting wins) and no further.
package conf

import (
	"net/netip"
	"strings"
)

// Settings are a server's parameters by lower-case name; for Redis the value is the directive's
// arguments joined by one space.
type Settings map[string]string

// Merge sets every parameter of other over s.
func (s Settings) Merge(other Settings) {
	for k, v := range other {
		s[k] = v
	}
}

// Postgres parses postgresql.conf: "name = value" or "name value", values optionally in single
// quotes (” and \' inside), "#" comments.
func Postgres(text string) Settings {
	out := Settings{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest := cut(line)
		rest = strings.TrimSpace(rest)
		rest = strings.TrimSpace(strings.TrimPrefix(rest, "="))
		out[strings.ToLower(name)] = pgValue(rest)
	}
	return out
}

// PostgresArgs reads the parameters of a postgres command line: "-c name=value" and
// "--name=value" (the official image passes its args to postgres).
func PostgresArgs(args []string) Settings {
	out := Settings{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-c" && i+1 < len(args):
			i++
			a = args[i]
		case strings.HasPrefix(a, "-c") && len(a) > 2:
			a = a[2:]
		case strings.HasPrefix(a, "--") && strings.Contains(a, "="):
			a = a[2:]
		default:
			continue
		}
		if name, value, ok := strings.Cut(a, "="); ok {
			out[strings.ReplaceAll(strings.ToLower(name), "-", "_")] = pgValue(value)
		}
	}
	return out
}

// pgValue is a value without its quotes and trailing comment.
func pgValue(v string) string {
	if strings.HasPrefix(v, "'") {
		var b strings.Builder
		for i := 1; i < len(v); i++ {
			switch {
			case v[i] == '\'' && i+1 < len(v) && v[i+1] == '\'':
				b.WriteByte('\'')
				i++
			case v[i] == '\\' && i+1 < len(v):
				b.WriteByte(v[i+1])
				i++
			case v[i] == '\'':
				return b.String()
			default:
				b.WriteByte(v[i])
			}
		}
		return b.String()
	}
	if i := strings.IndexByte(v, '#'); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v)
}

// HBARule is one line of pg_hba.conf.
type HBARule struct {
	Line     int
	Type     string // local, host, hostssl, hostnossl, hostgssenc, hostnogssenc
	Database string
	User     string
	Address  string // empty for local; a CIDR, "all", a host name, samehost or samenet
	Method   string
}

// HBA parses pg_hba.conf: whitespace-separated fields, double quotes, "#" comments, lines
// continued with a backslash. An IP address with its mask in a separate field becomes a CIDR.
func HBA(text string) []HBARule {
	var rules []HBARule
	lines := strings.Split(text, "\n")
	for n := 0; n < len(lines); n++ {
		line, at := lines[n], n+1
		for strings.HasSuffix(strings.TrimRight(line, " \t"), "\\") && n+1 < len(lines) {
			n++
			line = strings.TrimSuffix(strings.TrimRight(line, " \t"), "\\") + " " + lines[n]
		}
		f := fields(stripComment(line))
		if len(f) < 4 {
			continue
		}
		r := HBARule{Line: at, Type: strings.ToLower(f[0]), Database: f[1], User: f[2]}
		if r.Type == "local" {
			r.Method = strings.ToLower(f[3])
		} else {
			if len(f) < 5 {
				continue
			}
			r.Address, r.Method = f[3], strings.ToLower(f[4])
			if _, err := netip.ParseAddr(f[3]); err == nil && len(f) >= 6 {
				if _, err := netip.ParseAddr(f[4]); err == nil {
					r.Address, r.Method = CIDR(f[3], f[4]), strings.ToLower(f[5])
				}
			}
		}
		rules = append(rules, r)
	}
	return rules
}

// CIDR writes an address and a netmask ("10.0.0.0", "255.0.0.0") as a prefix ("10.0.0.0/8");
// what it cannot parse it returns as it is.
func CIDR(addr, mask string) string {
	ip, err1 := netip.ParseAddr(addr)
	m, err2 := netip.ParseAddr(mask)
	if err1 != nil || err2 != nil {
		return addr
	}
	n := 0
	for _, b := range m.AsSlice() {
		for i := 7; i >= 0 && b&(1<<i) != 0; i-- {
			n++
		}
	}
	return netip.PrefixFrom(ip, n).String()
}

// Remote reports whether the rule can match a TCP client from outside the pod (anything but
// the loopback addresses), and Prefix is the range it covers (the whole family for names).
func (r HBARule) Remote() bool {
	if r.Type == "local" {
		return false
	}
	switch strings.ToLower(r.Address) {
	case "localhost", "samehost":
		return false
	}
	if p, err := netip.ParsePrefix(r.Address); err == nil {
		return !p.Masked().Addr().IsLoopback()
	}
	if a, err := netip.ParseAddr(r.Address); err == nil {
		return !a.IsLoopback()
	}
	return true
}

// Covers reports whether r's address range includes o's: "all" and /0 cover their family,
// names and samenet only themselves.
func (r HBARule) Covers(o HBARule) bool {
	if strings.EqualFold(r.Address, "all") || r.Address == o.Address {
		return true
	}
	rp, err1 := netip.ParsePrefix(r.Address)
	op, err2 := netip.ParsePrefix(o.Address)
	if err2 != nil {
		if a, err := netip.ParseAddr(o.Address); err == nil {
			op, err2 = netip.PrefixFrom(a, a.BitLen()), nil
		}
	}
	if err1 != nil || err2 != nil {
		return false
	}
	return rp.Bits() <= op.Bits() && rp.Contains(op.Addr())
}

// AllScopes reports whether the rule applies to every database and user.
func (r HBARule) AllScopes() bool {
	return strings.EqualFold(r.Database, "all") && strings.EqualFold(r.User, "all")
}

// Redis parses redis.conf: "directive arg ...", arguments in double or single quotes, "#"
// comments. Later directives win; every "user" directive is kept, in Users.
func Redis(text string) (Settings, []string) {
	out := Settings{}
	var users []string
	for _, line := range strings.Split(text, "\n") {
		f := fields(strings.TrimSpace(line))
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		name := strings.ToLower(f[0])
		if name == "user" {
			users = append(users, strings.Join(f[1:], " "))
			continue
		}
		out[name] = strings.Join(f[1:], " ")
	}
	return out, users
}

// RedisArgs reads redis-server's command line: an optional configuration file first, then
// "--name value ..." options. It returns the options and the file (empty when none).
func RedisArgs(args []string) (Settings, string) {
	out := Settings{}
	file := ""
	i := 0
	if len(args) > 0 && !strings.HasPrefix(args[0], "--") {
		file, i = args[0], 1
	}
	var name string
	var values []string
	flush := func() {
		if name != "" {
			out[name] = strings.Join(values, " ")
		}
	}
	for ; i < len(args); i++ {
		if strings.HasPrefix(args[i], "--") {
			flush()
			name, values = strings.ToLower(args[i][2:]), nil
			continue
		}
		values = append(values, args[i])
	}
	flush()
	return out, file
}

func stripComment(line string) string {
	inQuote := false
	for i, c := range line {
		switch {
		case c == '"':
			inQuote = !inQuote
		case c == '#' && !inQuote:
			return line[:i]
		}
	}
	return line
}

// fields splits on white space, keeping quoted strings (double or single quotes) whole.
func fields(s string) []string {
	var out []string
	var cur strings.Builder
	var quote rune
	has := false
	for _, c := range s {
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(c)
		case c == '"' || c == '\'':
			quote, has = c, true
		case c == ' ' || c == '\t' || c == '\r':
			if has {
				out = append(out, cur.String())
				cur.Reset()
				has = false
			}
		default:
			cur.WriteRune(c)
			has = true
		}
	}
	if has {
		out = append(out, cur.String())
	}
	return out
}

func cut(line string) (name, rest string) {
	for i, c := range line {
		if c == '=' || c == ' ' || c == '\t' {
			return line[:i], line[i:]
		}
	}
	return line, ""
}

// ShellWords splits command lines the way a shell would for the simple cases a pod spec holds
// ("sh -c 'redis-server --port 0 ...'"): on white space, with quotes removed.
func ShellWords(parts []string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, fields(p)...)
	}
	return out
}
