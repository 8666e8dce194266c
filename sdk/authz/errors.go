package authz

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrUnknownPermission is returned by Check when the permission is not
// "type:action" for a resource type and action that the policy declares.
// It is a caller's mistake, not a denial: a typo must not look like "no".
var ErrUnknownPermission = errors.New("authz: unknown permission")

// ErrUnknownResourceType is returned by Check when the resource's type is
// not declared by the policy.
var ErrUnknownResourceType = errors.New("authz: unknown resource type")

// ErrTypeMismatch is returned by Check when the permission belongs to
// another resource type than the resource's, such as "order:read" asked
// of a product.
var ErrTypeMismatch = errors.New("authz: permission does not match resource type")

// ErrIncompleteRequest is returned by Check and Permissions when the
// subject, the resource or the context is missing, or the context has no
// time: without the time, expired bindings could not be told apart.
var ErrIncompleteRequest = errors.New("authz: incomplete request")

// ErrInvalidPolicy matches, through errors.Is, every *PolicyError.
var ErrInvalidPolicy = errors.New("authz: invalid policy")

// ErrInvalidBinding is returned by ValidateBinding for a binding that
// could never apply: an undeclared role, a vendor-scoped role without a
// vendor, or a global role with one.
var ErrInvalidBinding = errors.New("authz: invalid binding")

// Problem is one thing wrong with a policy document, at a place in it.
// Line and Column are 1-based; zero when the problem has no single place
// (the document as a whole). A YAML syntax error has a Line and no Column:
// the decoder reports only the line.
type Problem struct {
	Line    int
	Column  int
	Message string
}

func (p Problem) String() string {
	switch {
	case p.Line == 0:
		return p.Message
	case p.Column == 0:
		return fmt.Sprintf("line %d: %s", p.Line, p.Message)
	}
	return fmt.Sprintf("line %d:%d: %s", p.Line, p.Column, p.Message)
}

// PolicyError reports every problem found in a policy document, in
// document order, up to MaxProblems. Parse returns it wrapped in nothing,
// so callers reach it with errors.As.
type PolicyError struct {
	Problems []Problem
	// Truncated is set when more problems were found than are listed.
	Truncated bool
}

func (e *PolicyError) Error() string {
	var b strings.Builder
	b.WriteString("authz: invalid policy: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	if e.Truncated {
		b.WriteString("; (more problems not shown)")
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalidPolicy) true for every *PolicyError.
func (e *PolicyError) Is(target error) bool { return target == ErrInvalidPolicy }

// problems collects Problems up to the cap.
type problems struct {
	list      []Problem
	truncated bool
}

func (ps *problems) at(line, col int, format string, args ...any) {
	if len(ps.list) >= MaxProblems {
		ps.truncated = true
		return
	}
	ps.list = append(ps.list, Problem{Line: line, Column: col, Message: fmt.Sprintf(format, args...)})
}

func (ps *problems) atPos(p pos, format string, args ...any) {
	ps.at(p.line, p.col, format, args...)
}

func (ps *problems) empty() bool { return len(ps.list) == 0 }

func (ps *problems) err() error {
	if ps.empty() {
		return nil
	}
	slices.SortStableFunc(ps.list, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return &PolicyError{Problems: ps.list, Truncated: ps.truncated}
}
