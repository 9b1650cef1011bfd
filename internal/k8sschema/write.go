package k8sschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"
)

// Prefix of every generated definition's name: the chart's own definitions have short names.
const Prefix = "io.k8s."

// node is one JSON value with its object keys in their written order, so that a hand-written
// schema file keeps its layout when the generated definitions inside it are replaced.
type node struct {
	object []member // when an object
	array  []*node  // when an array
	isObj  bool
	isArr  bool
	scalar json.RawMessage // otherwise
}

type member struct {
	key   string
	value *node
}

func parse(data []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := parseValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data after the JSON value")
	}
	return n, nil
}

func parseValue(dec *json.Decoder) (*node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &node{isObj: true}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := parseValue(dec)
				if err != nil {
					return nil, err
				}
				n.object = append(n.object, member{k.(string), v})
			}
			_, err := dec.Token()
			return n, err
		case '[':
			n := &node{isArr: true}
			for dec.More() {
				v, err := parseValue(dec)
				if err != nil {
					return nil, err
				}
				n.array = append(n.array, v)
			}
			_, err := dec.Token()
			return n, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	default:
		raw, err := marshal(t)
		return &node{scalar: raw}, err
	}
}

// fromValue turns a generated value (maps with sorted keys) into a node.
func fromValue(v any) (*node, error) {
	switch x := v.(type) {
	case map[string]any:
		n := &node{isObj: true}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			c, err := fromValue(x[k])
			if err != nil {
				return nil, err
			}
			n.object = append(n.object, member{k, c})
		}
		return n, nil
	case []any:
		n := &node{isArr: true}
		for _, e := range x {
			c, err := fromValue(e)
			if err != nil {
				return nil, err
			}
			n.array = append(n.array, c)
		}
		return n, nil
	default:
		raw, err := marshal(x)
		return &node{scalar: raw}, err
	}
}

func marshal(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return json.RawMessage(asciiOnly(bytes.TrimRight(buf.Bytes(), "\n"))), nil
}

// asciiOnly escapes every non-ASCII character as \uXXXX, as the schema files are written.
func asciiOnly(b []byte) []byte {
	if utf8.Valid(b) && !bytes.ContainsFunc(b, func(r rune) bool { return r > 0x7e }) {
		return b
	}
	var out bytes.Buffer
	for _, r := range string(b) {
		switch {
		case r < 0x7f:
			out.WriteRune(r)
		case r > 0xffff:
			r -= 0x10000
			fmt.Fprintf(&out, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		default:
			fmt.Fprintf(&out, `\u%04x`, r)
		}
	}
	return out.Bytes()
}

// write prints n with two-space indentation, one member per line, as the schema files are.
func (n *node) write(b *strings.Builder, indent string) {
	switch {
	case n.isObj:
		if len(n.object) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteString("{\n")
		for i, m := range n.object {
			k, _ := marshal(m.key)
			b.WriteString(indent + "  ")
			b.Write(k)
			b.WriteString(": ")
			m.value.write(b, indent+"  ")
			if i < len(n.object)-1 {
				b.WriteString(",")
			}
			b.WriteString("\n")
		}
		b.WriteString(indent + "}")
	case n.isArr:
		if len(n.array) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[\n")
		for i, e := range n.array {
			b.WriteString(indent + "  ")
			e.write(b, indent+"  ")
			if i < len(n.array)-1 {
				b.WriteString(",")
			}
			b.WriteString("\n")
		}
		b.WriteString(indent + "]")
	default:
		b.Write(n.scalar)
	}
}

// UpdateSchema returns a chart's values.schema.json with its generated definitions (every
// definition whose name starts with Prefix) replaced by defs, in name order after the
// hand-written ones. The rest of the file keeps its order and layout.
func UpdateSchema(schema []byte, defs map[string]map[string]any) ([]byte, error) {
	root, err := parse(schema)
	if err != nil {
		return nil, err
	}
	if !root.isObj {
		return nil, fmt.Errorf("the schema is not an object")
	}
	var definitions *node
	for _, m := range root.object {
		if m.key == "definitions" {
			definitions = m.value
		}
	}
	if definitions == nil {
		definitions = &node{isObj: true}
		root.object = append(root.object, member{"definitions", definitions})
	}
	var kept []member
	for _, m := range definitions.object {
		if !strings.HasPrefix(m.key, Prefix) {
			kept = append(kept, m)
		}
	}
	names := make([]string, 0, len(defs))
	for name := range defs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		n, err := fromValue(withoutPropertyNames(defs[name]))
		if err != nil {
			return nil, err
		}
		kept = append(kept, member{name, n})
	}
	definitions.object = kept
	var b strings.Builder
	root.write(&b, "")
	b.WriteString("\n")
	return []byte(b.String()), nil
}

// Template returns the library chart's template file holding defs, compact, for
// common.k8s.check.
func Template(defs map[string]map[string]any, source string) ([]byte, error) {
	m := make(map[string]any, len(defs))
	for k, v := range defs {
		m[k] = v
	}
	compact, err := marshal(m)
	if err != nil {
		return nil, err
	}
	if bytes.Contains(compact, []byte("{{")) {
		return nil, fmt.Errorf("the definitions hold a template delimiter")
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "{{/*\nThe Kubernetes API's definitions of the structures values pass through (tolerations, affinity,\n"+
		"extraVolumes, sidecars, ...), as JSON Schema: what common.k8s.check walks. Generated by\n"+
		"`make schema` (internal/k8sschema) from %s; do not edit.\n*/}}\n", source)
	b.WriteString("{{- define \"common.k8s.definitions\" -}}\n")
	b.Write(compact)
	b.WriteString("\n{{- end -}}\n")
	return b.Bytes(), nil
}

// withoutPropertyNames drops the checks of map keys from a schema: Helm's validator reports a
// key it refuses at the wrong location ("at '/enabled': invalid propertyName"), which names no
// value, so the templates (common.k8s.walk) refuse those keys instead, naming them.
func withoutPropertyNames(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if k != "propertyNames" {
				out[k] = withoutPropertyNames(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = withoutPropertyNames(e)
		}
		return out
	}
	return v
}
