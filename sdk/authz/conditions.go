package authz

import (
	"fmt"
	"math"
	"slices"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"
)

// Conditions are CEL expressions over three variables:
//
//	subject   id string, roles list(string), attributes map(string, dyn)
//	resource  id string, type string, and the attributes its type declares
//	context   time timestamp, ip string, auth_level int, auth_age duration,
//	          amr list(string)
//
// subject, resource and context are CEL object types of their own, not
// maps, so the type checker rejects a field that does not exist (a
// condition on product reading resource.colour) and a comparison between
// kinds that differ (resource.price > "5") when the policy is loaded,
// rather than at the first request that reaches the rule. The values are
// read from the Go structs through field getters, so evaluating a
// condition builds no maps.

// attrKind is the declared kind of a resource attribute.
type attrKind uint8

const (
	kindString attrKind = iota + 1
	kindInt
	kindDouble
	kindBool
	kindTimestamp
	kindDuration
	kindStringList
	kindIntList
)

var attrKinds = map[string]attrKind{
	"string":       kindString,
	"int":          kindInt,
	"double":       kindDouble,
	"bool":         kindBool,
	"timestamp":    kindTimestamp,
	"duration":     kindDuration,
	"list(string)": kindStringList,
	"list(int)":    kindIntList,
}

func (k attrKind) String() string {
	for s, kk := range attrKinds {
		if kk == k {
			return s
		}
	}
	return "unknown"
}

func (k attrKind) celType() *types.Type {
	switch k {
	case kindString:
		return types.StringType
	case kindInt:
		return types.IntType
	case kindDouble:
		return types.DoubleType
	case kindBool:
		return types.BoolType
	case kindTimestamp:
		return types.TimestampType
	case kindDuration:
		return types.DurationType
	case kindStringList:
		return types.NewListType(types.StringType)
	default:
		return types.NewListType(types.IntType)
	}
}

// conform returns v as a value of kind k, or false when v is of another
// kind. Integers of every Go width are accepted for int, as long as they
// fit in an int64.
func (k attrKind) conform(v any) (any, bool) {
	switch k {
	case kindString:
		s, ok := v.(string)
		return s, ok
	case kindInt:
		return toInt64(v)
	case kindDouble:
		switch f := v.(type) {
		case float64:
			return f, true
		case float32:
			return float64(f), true
		}
	case kindBool:
		b, ok := v.(bool)
		return b, ok
	case kindTimestamp:
		t, ok := v.(time.Time)
		return t, ok
	case kindDuration:
		d, ok := v.(time.Duration)
		return d, ok
	case kindStringList:
		l, ok := v.([]string)
		return l, ok
	case kindIntList:
		l, ok := v.([]int64)
		return l, ok
	}
	return nil, false
}

func toInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case int32:
		return int64(n), true
	case int16:
		return int64(n), true
	case int8:
		return int64(n), true
	case uint8:
		return int64(n), true
	case uint16:
		return int64(n), true
	case uint32:
		return int64(n), true
	case uint:
		if n > math.MaxInt64 {
			return 0, false
		}
		return int64(n), true
	case uint64:
		if n > math.MaxInt64 {
			return 0, false
		}
		return int64(n), true
	}
	return 0, false
}

// Names of the CEL object types. The prefix keeps them from colliding with
// the variables: were a type named "resource.product", the checker could
// resolve the text resource.product to it.
const (
	celTypePrefix   = "cerrojo.authz."
	subjectTypeName = celTypePrefix + "Subject"
	contextTypeName = celTypePrefix + "Context"
)

func resourceTypeName(typ string) string { return celTypePrefix + "resource." + typ }

// structType is one object type: its fields with their getters.
type structType struct {
	typ    *types.Type
	fields map[string]*types.FieldType
	names  []string
}

func newStructType(name string, fields map[string]*types.FieldType) *structType {
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	slices.Sort(names)
	return &structType{typ: types.NewObjectType(name), fields: fields, names: names}
}

// typeProvider adds the policy's object types to CEL's own registry.
type typeProvider struct {
	base    *types.Registry
	structs map[string]*structType
}

var _ types.Provider = (*typeProvider)(nil)

func (tp *typeProvider) EnumValue(name string) ref.Val { return tp.base.EnumValue(name) }

func (tp *typeProvider) FindIdent(name string) (ref.Val, bool) { return tp.base.FindIdent(name) }

func (tp *typeProvider) FindStructType(name string) (*types.Type, bool) {
	if st, ok := tp.structs[name]; ok {
		return types.NewTypeTypeWithParam(st.typ), true
	}
	return tp.base.FindStructType(name)
}

func (tp *typeProvider) FindStructFieldNames(name string) ([]string, bool) {
	if st, ok := tp.structs[name]; ok {
		return st.names, true
	}
	return tp.base.FindStructFieldNames(name)
}

func (tp *typeProvider) FindStructFieldType(name, field string) (*types.FieldType, bool) {
	if st, ok := tp.structs[name]; ok {
		ft, ok := st.fields[field]
		return ft, ok
	}
	return tp.base.FindStructFieldType(name, field)
}

// NewValue refuses to build the policy's types inside a condition: they
// stand for the request, and a condition has nothing to gain from making
// one up.
func (tp *typeProvider) NewValue(name string, fields map[string]ref.Val) ref.Val {
	if _, ok := tp.structs[name]; ok {
		return types.NewErr("cannot construct %s in a condition", name)
	}
	return tp.base.NewValue(name, fields)
}

// evalInput is the activation of one evaluation: it resolves subject,
// resource and context to views of the Check arguments.
type evalInput struct {
	p      *Policy
	s      *Subject
	r      *Resource
	c      *Context
	vendor string // the resource's vendor, "" when it has none
}

type (
	subjectView evalInput
	contextView evalInput
)

var _ interpreter.Activation = (*evalInput)(nil)

func (in *evalInput) ResolveName(name string) (any, bool) {
	switch name {
	case "subject":
		return (*subjectView)(in), true
	case "resource":
		return in.r, true
	case "context":
		return (*contextView)(in), true
	}
	return nil, false
}

func (in *evalInput) Parent() interpreter.Activation { return nil }

// field builds a FieldType whose getter reads a view of type T.
func field[T any](t *types.Type, get func(v T) (any, error), set func(v T) bool) *types.FieldType {
	return &types.FieldType{
		Type: t,
		IsSet: func(obj any) bool {
			v, ok := obj.(T)
			return ok && set(v)
		},
		GetFrom: func(obj any) (any, error) {
			v, ok := obj.(T)
			if !ok {
				return nil, fmt.Errorf("unexpected value %T", obj)
			}
			return get(v)
		},
	}
}

func always[T any](T) bool { return true }

// subjectFields: subject.roles lists the roles of the subject's bindings
// that apply to this resource now (not the inherited ones, and not the
// implicit "authenticated"), so that a condition sees the same scope as the
// decision.
var subjectFields = map[string]*types.FieldType{
	"id": field(types.StringType,
		func(v *subjectView) (any, error) { return v.s.ID, nil },
		func(v *subjectView) bool { return v.s.ID != "" }),
	"roles": field(types.NewListType(types.StringType),
		func(v *subjectView) (any, error) { return (*evalInput)(v).applicableRoles(), nil },
		always[*subjectView]),
	"attributes": field(types.NewMapType(types.StringType, types.DynType),
		func(v *subjectView) (any, error) {
			if v.s.Attributes == nil {
				return map[string]any{}, nil
			}
			return v.s.Attributes, nil
		},
		always[*subjectView]),
}

// contextFields: auth_age is Time minus AuthTime; with no AuthTime it is
// the longest duration, so that "auth_age < duration('5m')" fails.
var contextFields = map[string]*types.FieldType{
	"time": field(types.TimestampType,
		func(v *contextView) (any, error) { return v.c.Time, nil },
		always[*contextView]),
	"ip": field(types.StringType,
		func(v *contextView) (any, error) { return v.c.IP, nil },
		func(v *contextView) bool { return v.c.IP != "" }),
	"auth_level": field(types.IntType,
		func(v *contextView) (any, error) { return int64(v.c.AuthLevel), nil },
		always[*contextView]),
	"auth_age": field(types.DurationType,
		func(v *contextView) (any, error) { return authAge(v.c), nil },
		func(v *contextView) bool { return !v.c.AuthTime.IsZero() }),
	"amr": field(types.NewListType(types.StringType),
		func(v *contextView) (any, error) {
			if v.c.AMR == nil {
				return []string{}, nil
			}
			return v.c.AMR, nil
		},
		always[*contextView]),
}

func authAge(c *Context) time.Duration {
	if c.AuthTime.IsZero() {
		return time.Duration(math.MaxInt64)
	}
	return c.Time.Sub(c.AuthTime)
}

// resourceFields returns the fields of one resource type: id, type and the
// declared attributes. Reading an attribute that the resource lacks, or
// that holds a value of another kind, is an evaluation error, which makes
// the condition grant nothing.
func resourceFields(attrs map[string]attrKind) map[string]*types.FieldType {
	fs := map[string]*types.FieldType{
		"id": field(types.StringType,
			func(r *Resource) (any, error) { return r.ID, nil },
			func(r *Resource) bool { return r.ID != "" }),
		"type": field(types.StringType,
			func(r *Resource) (any, error) { return r.Type, nil },
			always[*Resource]),
	}
	for name, k := range attrs {
		fs[name] = field(k.celType(),
			func(r *Resource) (any, error) {
				raw, ok := r.Attributes[name]
				if !ok || raw == nil {
					return nil, fmt.Errorf("resource attribute %s is not set", name)
				}
				v, ok := k.conform(raw)
				if !ok {
					return nil, fmt.Errorf("resource attribute %s holds %T, want %v", name, raw, k)
				}
				return v, nil
			},
			func(r *Resource) bool { return r.Attributes[name] != nil })
	}
	return fs
}

// newConditionEnv returns the CEL environment shared by all of a policy's
// conditions; each resource type extends it with its resource variable.
func newConditionEnv(types_ []resourceType) (*cel.Env, error) {
	reg, err := types.NewRegistry()
	if err != nil {
		return nil, err
	}
	tp := &typeProvider{base: reg, structs: map[string]*structType{
		subjectTypeName: newStructType(subjectTypeName, subjectFields),
		contextTypeName: newStructType(contextTypeName, contextFields),
	}}
	for i := range types_ {
		n := resourceTypeName(types_[i].name)
		tp.structs[n] = newStructType(n, resourceFields(types_[i].attrs))
	}
	return cel.NewEnv(
		cel.CustomTypeAdapter(reg),
		cel.CustomTypeProvider(tp),
		cel.Variable("subject", cel.ObjectType(subjectTypeName)),
		cel.Variable("context", cel.ObjectType(contextTypeName)),
		cel.ParserExpressionSizeLimit(MaxConditionBytes),
		cel.ParserRecursionLimit(maxConditionDepth),
	)
}

// celIssue is one compile problem with its place inside the expression
// (1-based line, 0-based column as CEL counts them).
type celIssue struct {
	line, col int
	msg       string
}

// compileCondition type-checks text with resource of type rt and returns
// a program, or the problems found.
func compileCondition(env *cel.Env, rt *resourceType, text string) (cel.Program, []celIssue) {
	ast, iss := env.Compile(text)
	if iss != nil && iss.Err() != nil {
		var out []celIssue
		for _, e := range iss.Errors() {
			out = append(out, celIssue{e.Location.Line(), e.Location.Column(), e.Message})
		}
		return nil, out
	}
	if !ast.OutputType().IsExactType(types.BoolType) {
		return nil, []celIssue{{1, 0, fmt.Sprintf("condition must be a bool, but is %s (for %s)",
			ast.OutputType(), rt.name)}}
	}
	prg, err := env.Program(ast,
		cel.CostLimit(MaxConditionCost),
		cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, []celIssue{{1, 0, err.Error()}}
	}
	return prg, nil
}

// eval runs a condition. It returns false with the error when the
// condition could not be evaluated: a missing attribute, a value of the
// wrong kind, or the cost limit.
func (cd *condition) eval(in *evalInput) (bool, error) {
	out, _, err := cd.prg.Eval(in)
	if err != nil {
		return false, err
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("condition returned %s, not a bool", out.Type())
	}
	return b, nil
}
