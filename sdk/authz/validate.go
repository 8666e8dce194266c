package authz

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"cel.dev/cel-go/cel"
	"go.yaml.in/yaml/v3"
)

// This file checks what the names of a document mean (every role,
// resource type, action and attribute referred to is declared; inheritance
// has no cycle and keeps to its scope; conditions type-check) and builds
// the Policy's tables. compile.go then flattens inheritance into them.

// reservedAttrs are the fields every resource has; celReserved are words a
// field may not be named in CEL.
var (
	reservedAttrs = map[string]bool{"id": true, "type": true}
	celReserved   = map[string]bool{
		"as": true, "break": true, "const": true, "continue": true, "else": true,
		"false": true, "for": true, "function": true, "if": true, "import": true,
		"in": true, "let": true, "loop": true, "package": true, "namespace": true,
		"null": true, "return": true, "true": true, "var": true, "void": true, "while": true,
	}
)

// validate checks d and returns the policy it describes; the policy is
// only meaningful when ps is still empty afterwards.
func validate(d *document, src []byte, ps *problems) *Policy {
	p := &Policy{
		version:   d.version,
		source:    slices.Clone(src),
		typeIndex: map[string]int32{},
		permIndex: map[string]int32{},
		roleIndex: map[string]int32{implicitRole: 0},
		roles:     []role{{name: implicitRole}},
	}
	p.declareTypes(d.resources, ps)
	inheritAt := p.declareRoles(d.roles, ps)
	checkCycles(p, inheritAt, ps)
	rulesOf := p.declareRules(d.rules, ps)
	if !ps.empty() {
		return p
	}
	p.flatten(rulesOf, ps)
	return p
}

func (p *Policy) declareTypes(rs []docResource, ps *problems) {
	for _, r := range rs {
		rt := resourceType{name: r.name.text, attrs: map[string]attrKind{}, scoped: r.name.text == "vendor"}
		for _, a := range r.attrs {
			k, ok := attrKinds[a.typ]
			switch {
			case reservedAttrs[a.name.text]:
				ps.atPos(a.name.at, "attribute %q of %s is reserved: every resource has id and type",
					a.name.text, rt.name)
			case celReserved[a.name.text]:
				ps.atPos(a.name.at, "attribute %q of %s is a reserved word in CEL", a.name.text, rt.name)
			case !ok:
				ps.atPos(a.typAt, "attribute %q of %s has unknown type %q (known: string, int, "+
					"double, bool, timestamp, duration, list(string), list(int))", a.name.text, rt.name, a.typ)
			case a.name.text == "vendor" && k != kindString:
				ps.atPos(a.typAt, "attribute vendor of %s must be a string: it names the vendor "+
					"that vendor-scoped bindings are checked against", rt.name)
			default:
				rt.attrs[a.name.text] = k
				if a.name.text == "vendor" {
					rt.scoped = true
				}
			}
		}
		if rt.name == "vendor" && rt.attrs["vendor"] != 0 {
			ps.atPos(r.name.at, "resource type vendor must not declare a vendor attribute: "+
				"a vendor's id is its vendor")
		}
		ti := int32(len(p.types)) // #nosec G115 -- at most MaxResourceTypes (256) types
		p.typeIndex[rt.name] = ti
		for _, a := range r.actions {
			rt.actions = append(rt.actions, a.text)
			perm := rt.name + ":" + a.text
			// #nosec G115 -- at most MaxResourceTypes*MaxActions (16,384) permissions.
			p.permIndex[perm] = int32(len(p.perms))
			p.perms = append(p.perms, permission{name: perm, typ: ti})
		}
		if len(r.actions) == 0 {
			ps.atPos(r.name.at, "resource type %q declares no actions", rt.name)
		}
		p.types = append(p.types, rt)
	}
}

// declareRoles declares the roles and their inheritance, and returns where
// each accepted inherits entry is written, indexed like p.roles.
func (p *Policy) declareRoles(rs []docRole, ps *problems) [][]pos {
	for _, r := range rs {
		if r.name.text == implicitRole {
			ps.atPos(r.name.at, "role %q is implicit (every signed-in subject holds it) "+
				"and cannot be declared", implicitRole)
		}
		p.roleIndex[r.name.text] = int32(len(p.roles)) // #nosec G115 -- at most MaxRoles + 1
		p.roles = append(p.roles, role{name: r.name.text, vendor: r.vendor})
	}
	inheritAt := make([][]pos, len(p.roles))
	for i, r := range rs {
		me := &p.roles[i+1]
		for _, in := range r.inherits {
			pi, ok := p.roleIndex[in.text]
			switch {
			case !ok:
				ps.atPos(in.at, "role %q inherits %q, which is not declared", r.name.text, in.text)
			case pi == 0:
				ps.atPos(in.at, "role %q cannot inherit %q: every signed-in subject holds it already",
					r.name.text, implicitRole)
			case me.vendor && !p.roles[pi].vendor:
				// A vendor's own staff would otherwise appear to hold a platform
				// role. It would apply to that vendor's resources only, but a
				// reader of the policy could not tell, and a vendor owner who
				// may grant vendor roles would seem to hand out platform ones.
				ps.atPos(in.at, "vendor-scoped role %q cannot inherit global role %q",
					r.name.text, in.text)
			default:
				me.inherits = append(me.inherits, pi)
				inheritAt[i+1] = append(inheritAt[i+1], in.at)
			}
		}
	}
	return inheritAt
}

// checkCycles reports each inheritance cycle once, naming its roles in
// order, at the inherits entry that closes it.
func checkCycles(p *Policy, inheritAt [][]pos, ps *problems) {
	const (
		white = iota
		grey
		black
	)
	color := make([]uint8, len(p.roles))
	var stack []int32
	var visit func(r int32)
	visit = func(r int32) {
		color[r] = grey
		stack = append(stack, r)
		for j, q := range p.roles[r].inherits {
			switch color[q] {
			case white:
				visit(q)
			case grey:
				start := len(stack) - 1
				for stack[start] != q {
					start--
				}
				names := make([]string, 0, len(stack)-start+1)
				for _, s := range stack[start:] {
					names = append(names, p.roles[s].name)
				}
				names = append(names, p.roles[q].name)
				ps.atPos(inheritAt[r][j], "inheritance cycle: %s", strings.Join(names, " -> "))
			}
		}
		stack = stack[:len(stack)-1]
		color[r] = black
	}
	for r := int32(1); r < int32(len(p.roles)); r++ { // #nosec G115 -- at most MaxRoles + 1
		if color[r] == white {
			visit(r)
		}
	}
	// Cut the cycles, so that flattening (which validate skips when there
	// are problems anyway) could never loop.
	if !ps.empty() {
		for i := range p.roles {
			p.roles[i].inherits = nil
		}
	}
}

// declareRules checks the rules, compiles their conditions and returns,
// for each role, the rules that name it.
func (p *Policy) declareRules(rs []docRule, ps *problems) [][]int32 {
	rulesOf := make([][]int32, len(p.roles))
	ids := map[string]pos{}
	var envs map[int32]*cel.Env
	for _, r := range rs {
		if r.id.text != "" {
			if at, dup := ids[r.id.text]; dup {
				ps.atPos(r.id.at, "duplicate rule id %q (first at line %d)", r.id.text, at.line)
			} else {
				ids[r.id.text] = r.id.at
			}
		}
		ri := int32(len(p.rules)) // #nosec G115 -- at most MaxRules (50,000) rules
		cr := rule{id: r.id.text, reason: "allowed by rule " + r.id.text}

		var typs []int32
		for _, pn := range r.perms {
			for _, pi := range p.expandPermission(r.id.text, pn, ps) {
				if !slices.Contains(cr.perms, pi) {
					cr.perms = append(cr.perms, pi)
				}
				if t := p.perms[pi].typ; !slices.Contains(typs, t) {
					typs = append(typs, t)
				}
			}
		}
		if len(r.perms) == 0 {
			ps.atPos(r.at, "rule %q grants no permissions", r.id.text)
		}
		if len(r.roles) == 0 {
			ps.atPos(r.at, "rule %q names no roles", r.id.text)
		}

		for _, rn := range r.roles {
			qi, ok := p.roleIndex[rn.text]
			if !ok {
				ps.atPos(rn.at, "rule %q names role %q, which is not declared", r.id.text, rn.text)
				continue
			}
			for _, t := range typs {
				if p.roles[qi].vendor && !p.types[t].scoped {
					ps.atPos(rn.at, "rule %q grants %s permissions to vendor-scoped role %q, "+
						"but %s has no vendor attribute, so the grant could never apply",
						r.id.text, p.types[t].name, rn.text, p.types[t].name)
				}
			}
			rulesOf[qi] = append(rulesOf[qi], ri)
		}

		if r.whenNode != nil {
			if envs == nil {
				envs = map[int32]*cel.Env{}
			}
			cr.conds = p.compileWhen(envs, r, typs, ps)
		}
		p.rules = append(p.rules, cr)
	}
	return rulesOf
}

// expandPermission resolves "type:action" or "type:*" to permissions.
func (p *Policy) expandPermission(ruleID string, pn name, ps *problems) []int32 {
	typ, action, _ := strings.Cut(pn.text, ":")
	ti, ok := p.typeIndex[typ]
	if !ok {
		ps.atPos(pn.at, "rule %q grants %q, but resource type %q is not declared", ruleID, pn.text, typ)
		return nil
	}
	if action == "*" {
		out := make([]int32, 0, len(p.types[ti].actions))
		for _, a := range p.types[ti].actions {
			out = append(out, p.permIndex[typ+":"+a])
		}
		return out
	}
	pi, ok := p.permIndex[pn.text]
	if !ok {
		ps.atPos(pn.at, "rule %q grants %q, but %s has no action %q (actions: %s)",
			ruleID, pn.text, typ, action, strings.Join(p.types[ti].actions, ", "))
		return nil
	}
	return []int32{pi}
}

// compileWhen compiles the rule's condition once for each resource type
// its permissions name: resource has a different CEL type in each.
func (p *Policy) compileWhen(envs map[int32]*cel.Env, r docRule, typs []int32, ps *problems) []condition {
	if len(r.when) > MaxConditionBytes {
		ps.atPos(posOf(r.whenNode), "condition of rule %q is %d bytes, more than the limit of %d",
			r.id.text, len(r.when), MaxConditionBytes)
		return nil
	}
	var out []condition
	reported := map[string]bool{}
	for _, t := range typs {
		env, err := p.typeEnv(envs, t)
		if err != nil {
			ps.atPos(posOf(r.whenNode), "cannot set up conditions: %v", err)
			return nil
		}
		prg, issues := compileCondition(env, &p.types[t], r.when)
		for _, is := range issues {
			at := conditionPos(r.whenNode, p.source, is.line, is.col)
			key := fmt.Sprint(at, is.msg)
			if reported[key] {
				continue // a syntax error is the same for every type
			}
			reported[key] = true
			where := ""
			if len(typs) > 1 {
				where = " (with resource of type " + p.types[t].name + ")"
			}
			ps.atPos(at, "condition of rule %q%s: %s", r.id.text, where, is.msg)
		}
		if prg != nil {
			out = append(out, condition{typ: t, prg: prg})
		}
	}
	return out
}

// typeEnv returns the condition environment for resource type t, in which
// resource is that type's CEL object.
func (p *Policy) typeEnv(envs map[int32]*cel.Env, t int32) (*cel.Env, error) {
	if env, ok := envs[t]; ok {
		return env, nil
	}
	base, ok := envs[-1]
	if !ok {
		var err error
		if base, err = newConditionEnv(p.types); err != nil {
			return nil, err
		}
		envs[-1] = base
	}
	env, err := base.Extend(cel.Variable("resource", cel.ObjectType(resourceTypeName(p.types[t].name))))
	if err != nil {
		return nil, err
	}
	envs[t] = env
	return env, nil
}

// conditionPos maps a place inside a condition (1-based line, 0-based
// column, as CEL counts them) to the document. Quoted and plain conditions
// on one line map exactly; block conditions (| and >) are matched against
// the source lines they were read from. A place that cannot be inside the
// document (a block with nothing after its indicator, or a line break
// written as an escape in a double-quoted condition) is given as the
// condition's own place instead.
func conditionPos(n *yaml.Node, src []byte, line, col int) pos {
	at := pos{n.Line + line - 1, col + 1}
	switch n.Style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		at = blockPos(n, src, line, col)
	case yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle:
		if line <= 1 {
			at = pos{n.Line, n.Column + 1 + col}
		}
	default:
		if line <= 1 {
			at = pos{n.Line, n.Column + col}
		}
	}
	if at.line > bytes.Count(src, []byte("\n"))+1 {
		return posOf(n)
	}
	return at
}

// blockPos finds a place of a block scalar's value in the source. The
// block's indentation is that of its first line that is not blank. In a
// literal block (|) each line of the value is a source line without that
// indentation. In a folded block (>) each source line holds the next
// stretch of the value, and one character joins two stretches; this
// assumes no blank line inside the block, which folding would merge. When
// the place is not found it returns the first line of the block, or the
// indicator when nothing follows it.
func blockPos(n *yaml.Node, src []byte, line, col int) pos {
	lines := strings.Split(string(src), "\n")
	for i := range lines {
		lines[i] = strings.TrimSuffix(lines[i], "\r") // a CRLF document
	}
	indent := -1
	for i := n.Line; i < len(lines) && indent < 0; i++ { // lines[n.Line] follows the indicator
		if content := strings.TrimLeft(lines[i], " "); content != "" {
			indent = len(lines[i]) - len(content)
		}
	}
	if indent < 0 {
		return posOf(n)
	}
	if n.Style == yaml.LiteralStyle {
		return pos{n.Line + line, indent + col + 1}
	}

	offset := 0 // offset of the place in the value
	for i, l := range strings.SplitN(n.Value, "\n", line) {
		if i == line-1 {
			offset += col
			break
		}
		offset += len(l) + 1
	}
	at := 0
	for i := n.Line; i < len(lines); i++ {
		content := lines[i][min(indent, len(lines[i])):]
		if offset < at+len(content) {
			return pos{i + 1, indent + offset - at + 1}
		}
		at += len(content) + 1
		if at > len(n.Value) {
			break
		}
	}
	return pos{n.Line + 1, 1}
}
