package authz

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// This file turns the YAML text into a document: the policy's shape with
// the place of every name, checked only for syntax (known keys, each key
// once, the right kinds of value, well-formed names). What the names mean
// is checked in validate.go.

// pos is a 1-based line and column in the document.
type pos struct{ line, col int }

func posOf(n *yaml.Node) pos { return pos{n.Line, n.Column} }

// name is a name written in the document, with its place.
type name struct {
	text string
	at   pos
}

type docAttr struct {
	name  name
	typ   string
	typAt pos
}

type docResource struct {
	name    name
	attrs   []docAttr
	actions []name
}

type docRole struct {
	name     name
	vendor   bool // scope: vendor
	scopeAt  pos
	inherits []name
}

type docRule struct {
	at       pos
	id       name
	roles    []name
	perms    []name
	when     string
	whenNode *yaml.Node
}

type document struct {
	version   string
	resources []docResource
	roles     []docRole
	rules     []docRule
}

var (
	// nameRe is the shape of resource types, actions, attributes and roles:
	// lowercase identifiers, so that they read the same in YAML, in CEL and
	// in "type:action" strings.
	nameRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	// ruleIDRe allows the dashes that descriptive rule ids use.
	ruleIDRe  = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)
	versionRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:+-]*$`)
)

const (
	tagStr       = "!!str"
	tagNull      = "!!null"
	tagTimestamp = "!!timestamp"
)

// loadDocument decodes src into a document, recording every syntax problem
// in ps. It returns nil when the text is not a single YAML mapping at all.
func loadDocument(src []byte, ps *problems) *document {
	if len(src) > MaxPolicyBytes {
		ps.at(0, 0, "document is %d bytes, more than the limit of %d", len(src), MaxPolicyBytes)
		return nil
	}

	dec := yaml.NewDecoder(bytes.NewReader(src))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			ps.at(0, 0, "document is empty")
		} else {
			line, msg := yamlErrorPlace(err)
			ps.at(line, 0, "not valid YAML: %s", msg)
		}
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		ps.at(extra.Line, extra.Column, "only one YAML document is allowed")
		return nil
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) != 1 {
		ps.at(0, 0, "document is empty")
		return nil
	}
	top := root.Content[0]
	if top.Kind != yaml.MappingNode {
		ps.atPos(posOf(top), "document must be a mapping with version, resources, roles and rules")
		return nil
	}

	l := loader{ps: ps}
	d := &document{}
	seen := map[string]bool{}
	l.eachPair(top, "document", []string{"version", "description", "resources", "roles", "rules"},
		func(k, v *yaml.Node) {
			seen[k.Value] = true
			switch k.Value {
			case "version":
				d.version = l.version(v)
			case "description":
				l.str(v, "description")
			case "resources":
				d.resources = l.resources(v)
			case "roles":
				d.roles = l.roles(v)
			case "rules":
				d.rules = l.rules(v)
			}
		})
	for _, key := range []string{"version", "resources", "roles", "rules"} {
		if !seen[key] {
			ps.atPos(posOf(top), "missing required key %q", key)
		}
	}
	return d
}

// yamlErrLine matches the YAML decoder's syntax errors, which name a line
// but no column: "yaml: line 3: could not find expected ':'".
var yamlErrLine = regexp.MustCompile(`^yaml: line ([0-9]{1,9}): (.*)$`)

// yamlErrorPlace returns the line a YAML syntax error names, or 0, and its
// message without the decoder's prefix, so that the Problem carries the
// place instead of its text.
func yamlErrorPlace(err error) (int, string) {
	m := yamlErrLine.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, strings.TrimPrefix(err.Error(), "yaml: ")
	}
	line, _ := strconv.Atoi(m[1])
	return line, m[2]
}

// loader walks yaml nodes and records problems.
type loader struct{ ps *problems }

// plain reports whether n may be read as a value: anchors and aliases are
// refused, because expanding aliases is how a small YAML text becomes a
// large document, and because a policy is read by people, who should see
// every grant written out.
func (l loader) plain(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		l.ps.atPos(posOf(n), "anchors and aliases are not allowed in a policy: write each value out")
		return false
	}
	return true
}

// eachPair calls fn for each key of mapping n whose key is a string, once
// per key, and reports duplicate keys and keys outside allowed (when
// allowed is not nil).
func (l loader) eachPair(n *yaml.Node, what string, allowed []string, fn func(k, v *yaml.Node)) {
	if !l.plain(n) {
		return
	}
	if n.Kind == yaml.ScalarNode && n.Tag == tagNull {
		return // "customer:" with nothing after it is an empty mapping
	}
	if n.Kind != yaml.MappingNode {
		l.ps.atPos(posOf(n), "%s must be a mapping", what)
		return
	}
	first := map[string]pos{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !l.plain(k) || !l.plain(v) {
			continue
		}
		if k.Kind != yaml.ScalarNode || k.Tag != tagStr {
			l.ps.atPos(posOf(k), "keys of %s must be strings", what)
			continue
		}
		if at, dup := first[k.Value]; dup {
			l.ps.atPos(posOf(k), "duplicate key %q in %s (first at line %d)", k.Value, what, at.line)
			continue
		}
		first[k.Value] = posOf(k)
		if allowed != nil && !slices.Contains(allowed, k.Value) {
			l.ps.atPos(posOf(k), "unknown key %q in %s (allowed: %v)", k.Value, what, allowed)
			continue
		}
		fn(k, v)
	}
}

// str reads a string scalar.
func (l loader) str(n *yaml.Node, what string) (string, bool) {
	if !l.plain(n) {
		return "", false
	}
	if n.Kind != yaml.ScalarNode || n.Tag != tagStr {
		l.ps.atPos(posOf(n), "%s must be a string", what)
		return "", false
	}
	return n.Value, true
}

// name reads a string scalar that must match re and fit in max bytes.
func (l loader) name(n *yaml.Node, what string, re *regexp.Regexp, max int) (name, bool) {
	s, ok := l.str(n, what)
	if !ok {
		return name{}, false
	}
	if len(s) > max {
		l.ps.atPos(posOf(n), "%s %.20q... is longer than %d bytes", what, s, max)
		return name{}, false
	}
	if !re.MatchString(s) {
		l.ps.atPos(posOf(n), "%s %q must match %s", what, s, re)
		return name{}, false
	}
	return name{s, posOf(n)}, true
}

// names reads a sequence of names of at most max elements, reporting
// repeated ones.
func (l loader) names(n *yaml.Node, what, item string, re *regexp.Regexp, maxLen, max int) []name {
	if !l.plain(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		l.ps.atPos(posOf(n), "%s must be a list", what)
		return nil
	}
	if len(n.Content) > max {
		l.ps.atPos(posOf(n), "%s has %d entries, more than the limit of %d", what, len(n.Content), max)
		return nil
	}
	var out []name
	seen := map[string]bool{}
	for _, elem := range n.Content {
		nm, ok := l.name(elem, item, re, maxLen)
		if !ok {
			continue
		}
		if seen[nm.text] {
			l.ps.atPos(nm.at, "%q is listed twice in %s", nm.text, what)
			continue
		}
		seen[nm.text] = true
		out = append(out, nm)
	}
	return out
}

func (l loader) version(n *yaml.Node) string {
	// An unquoted date is a YAML timestamp; its text is what was meant.
	if n.Kind == yaml.ScalarNode && n.Tag == tagTimestamp && l.plain(n) {
		n = &yaml.Node{Kind: yaml.ScalarNode, Tag: tagStr, Value: n.Value, Line: n.Line, Column: n.Column}
	}
	v, ok := l.name(n, "version", versionRe, MaxVersionLen)
	if !ok {
		return ""
	}
	return v.text
}

func (l loader) resources(n *yaml.Node) []docResource {
	var out []docResource
	l.eachPair(n, "resources", nil, func(k, v *yaml.Node) {
		if len(out) == MaxResourceTypes {
			l.ps.atPos(posOf(k), "more than %d resource types", MaxResourceTypes)
		}
		nm, ok := l.name(k, "resource type", nameRe, MaxNameLen)
		if !ok || len(out) >= MaxResourceTypes {
			return
		}
		r := docResource{name: nm}
		// A type without actions, whether the key is missing or the list
		// empty, is reported once, by declareTypes.
		l.eachPair(v, "resource type "+nm.text, []string{"description", "attributes", "actions"},
			func(k2, v2 *yaml.Node) {
				switch k2.Value {
				case "description":
					l.str(v2, "description")
				case "attributes":
					r.attrs = l.attributes(v2, nm.text)
				case "actions":
					r.actions = l.names(v2, "actions", "action", nameRe, MaxNameLen, MaxActions)
				}
			})
		out = append(out, r)
	})
	return out
}

func (l loader) attributes(n *yaml.Node, typ string) []docAttr {
	var out []docAttr
	l.eachPair(n, "attributes of "+typ, nil, func(k, v *yaml.Node) {
		if len(out) == MaxAttributes {
			l.ps.atPos(posOf(k), "resource type %q has more than %d attributes", typ, MaxAttributes)
		}
		nm, ok := l.name(k, "attribute", nameRe, MaxNameLen)
		t, ok2 := l.str(v, "attribute type")
		if !ok || !ok2 || len(out) >= MaxAttributes {
			return
		}
		out = append(out, docAttr{name: nm, typ: t, typAt: posOf(v)})
	})
	return out
}

func (l loader) roles(n *yaml.Node) []docRole {
	var out []docRole
	l.eachPair(n, "roles", nil, func(k, v *yaml.Node) {
		if len(out) == MaxRoles {
			l.ps.atPos(posOf(k), "more than %d roles", MaxRoles)
		}
		nm, ok := l.name(k, "role", nameRe, MaxNameLen)
		if !ok || len(out) >= MaxRoles {
			return
		}
		r := docRole{name: nm, scopeAt: nm.at}
		l.eachPair(v, "role "+nm.text, []string{"description", "scope", "inherits"},
			func(k2, v2 *yaml.Node) {
				switch k2.Value {
				case "description":
					l.str(v2, "description")
				case "scope":
					s, ok := l.str(v2, "scope")
					switch {
					case !ok:
					case s == "vendor":
						r.vendor, r.scopeAt = true, posOf(v2)
					case s == "global":
						r.scopeAt = posOf(v2)
					default:
						l.ps.atPos(posOf(v2), "scope %q of role %q must be vendor or global", s, nm.text)
					}
				case "inherits":
					r.inherits = l.names(v2, "inherits", "inherited role", nameRe, MaxNameLen, MaxInherits)
				}
			})
		out = append(out, r)
	})
	return out
}

func (l loader) rules(n *yaml.Node) []docRule {
	if !l.plain(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		l.ps.atPos(posOf(n), "rules must be a list")
		return nil
	}
	if len(n.Content) > MaxRules {
		l.ps.atPos(posOf(n), "%d rules, more than the limit of %d", len(n.Content), MaxRules)
		return nil
	}
	out := make([]docRule, 0, len(n.Content))
	for _, item := range n.Content {
		r := docRule{at: posOf(item)}
		var hasID, hasRoles, hasPerms bool
		l.eachPair(item, "rule", []string{"id", "description", "roles", "permissions", "when"},
			func(k, v *yaml.Node) {
				switch k.Value {
				case "id":
					r.id, hasID = l.name(v, "rule id", ruleIDRe, MaxRuleIDLen)
				case "description":
					l.str(v, "description")
				case "roles":
					hasRoles = true
					r.roles = l.names(v, "roles", "role", nameRe, MaxNameLen, MaxRuleRoles)
				case "permissions":
					hasPerms = true
					r.perms = l.names(v, "permissions", "permission", permRe, 2*MaxNameLen+1, MaxRulePermissions)
				case "when":
					if s, ok := l.str(v, "when"); ok {
						r.when, r.whenNode = s, v
					}
				}
			})
		if item.Kind != yaml.MappingNode {
			continue
		}
		if !hasID {
			l.ps.atPos(r.at, "rule has no id")
		}
		if !hasRoles {
			l.ps.atPos(r.at, "rule %q lists no roles", r.id.text)
		}
		if !hasPerms {
			l.ps.atPos(r.at, "rule %q lists no permissions", r.id.text)
		}
		out = append(out, r)
	}
	return out
}

// permRe is the shape of a permission in a rule: "type:action" or
// "type:*" for every action of the type.
var permRe = regexp.MustCompile(`^[a-z][a-z0-9_]*:([a-z][a-z0-9_]*|\*)$`)
