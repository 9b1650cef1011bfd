package invariants

import (
	"fmt"
	"strings"
)

// Setting is one line of a configuration file as its server reads it.
type Setting struct {
	Name  string
	Value string // unquoted and unescaped
	Line  int
}

// ParsePostgresConf reads postgresql.conf the way PostgreSQL's lexer (guc-file.l) does: one
// "name [=] value" per line, a value that is a single-quoted string (” and backslash escapes, no
// line break) or an unquoted word, then only a comment. Names are case-insensitive. Anything else
// is the syntax error the server would stop at.
func ParsePostgresConf(text string) ([]Setting, error) {
	var out []Setting
	for n, line := range strings.Split(text, "\n") {
		s := strings.TrimLeft(line, " \t\r\f")
		if s == "" || s[0] == '#' {
			continue
		}
		name := takeWhile(s, func(c byte) bool { return isAlnum(c) || c == '_' || c == '.' || c == '$' })
		if name == "" || !(isAlpha(name[0]) || name[0] == '_') {
			return nil, fmt.Errorf("line %d: %q: not a parameter name", n+1, line)
		}
		s = strings.TrimLeft(s[len(name):], " \t\r\f")
		if strings.HasPrefix(s, "=") {
			s = strings.TrimLeft(s[1:], " \t\r\f")
		}
		var value string
		switch {
		case strings.HasPrefix(s, "'"):
			var b strings.Builder
			i := 1
			closed := false
			for i < len(s) {
				c := s[i]
				switch {
				case c == '\\' && i+1 < len(s):
					b.WriteByte(unescape(s[i+1]))
					i += 2
				case c == '\'' && i+1 < len(s) && s[i+1] == '\'':
					b.WriteByte('\'')
					i += 2
				case c == '\'':
					closed = true
					i++
				default:
					b.WriteByte(c)
					i++
				}
				if closed {
					break
				}
			}
			if !closed {
				return nil, fmt.Errorf("line %d: %q: unterminated quoted string", n+1, line)
			}
			value, s = b.String(), s[i:]
		default:
			value = takeWhile(s, func(c byte) bool { return c != ' ' && c != '\t' && c != '#' && c != '\'' && c != '\r' })
			if value == "" {
				return nil, fmt.Errorf("line %d: %q: no value", n+1, line)
			}
			s = s[len(value):]
		}
		if rest := strings.TrimLeft(s, " \t\r\f"); rest != "" && rest[0] != '#' {
			return nil, fmt.Errorf("line %d: %q: text after the value", n+1, line)
		}
		out = append(out, Setting{Name: strings.ToLower(name), Value: value, Line: n + 1})
	}
	return out, nil
}

func unescape(c byte) byte {
	switch c {
	case 'b':
		return '\b'
	case 'f':
		return '\f'
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	}
	return c
}

// HbaRule is one line of pg_hba.conf, split into its fields.
type HbaRule struct {
	Fields []string
	Line   int
}

// ParseHba splits pg_hba.conf into rules: whitespace-separated fields, comments removed. Quoted
// fields and @file inclusions are reported as errors: the chart never writes them.
func ParseHba(text string) ([]HbaRule, error) {
	var out []HbaRule
	for n, line := range strings.Split(text, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		for _, f := range fields {
			if strings.ContainsAny(f, "\"@") {
				return nil, fmt.Errorf("line %d: field %q quotes or includes a file", n+1, f)
			}
		}
		out = append(out, HbaRule{Fields: fields, Line: n + 1})
	}
	return out, nil
}

// ParseRedisConf reads redis.conf as Redis does (sdssplitargs per line): arguments separated by
// spaces, "double-quoted" with backslash escapes or 'single-quoted'; unbalanced quotes are the
// error Redis stops at. The directive name is case-insensitive.
func ParseRedisConf(text string) ([][]string, error) {
	var out [][]string
	for n, line := range strings.Split(text, "\n") {
		s := strings.TrimSpace(line)
		if s == "" || s[0] == '#' {
			continue
		}
		args, err := splitArgs(s)
		if err != nil {
			return nil, fmt.Errorf("line %d: %q: %w", n+1, line, err)
		}
		args[0] = strings.ToLower(args[0])
		out = append(out, args)
	}
	return out, nil
}

func splitArgs(s string) ([]string, error) {
	var args []string
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i == len(s) {
			return args, nil
		}
		var b strings.Builder
		switch s[i] {
		case '"':
			i++
			for ; ; i++ {
				if i == len(s) {
					return nil, fmt.Errorf("unbalanced double quotes")
				}
				if s[i] == '\\' && i+1 < len(s) {
					i++
					b.WriteByte(unescape(s[i]))
					continue
				}
				if s[i] == '"' {
					i++
					break
				}
				b.WriteByte(s[i])
			}
			if i < len(s) && s[i] != ' ' && s[i] != '\t' {
				return nil, fmt.Errorf("closing quote must be followed by a space")
			}
		case '\'':
			i++
			for ; ; i++ {
				if i == len(s) {
					return nil, fmt.Errorf("unbalanced single quotes")
				}
				if s[i] == '\\' && i+1 < len(s) && s[i+1] == '\'' {
					i++
					b.WriteByte('\'')
					continue
				}
				if s[i] == '\'' {
					i++
					break
				}
				b.WriteByte(s[i])
			}
			if i < len(s) && s[i] != ' ' && s[i] != '\t' {
				return nil, fmt.Errorf("closing quote must be followed by a space")
			}
		default:
			for i < len(s) && s[i] != ' ' && s[i] != '\t' && s[i] != '"' && s[i] != '\'' {
				b.WriteByte(s[i])
				i++
			}
		}
		args = append(args, b.String())
	}
}

func takeWhile(s string, ok func(byte) bool) string {
	i := 0
	for i < len(s) && ok(s[i]) {
		i++
	}
	return s[:i]
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isAlnum(c byte) bool { return isAlpha(c) || c >= '0' && c <= '9' }
