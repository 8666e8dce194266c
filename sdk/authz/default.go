package authz

import (
	_ "embed"
	"sync"
)

//go:embed default_policy.yaml
var defaultPolicy []byte

var loadDefault = sync.OnceValue(func() *Policy {
	p, err := Parse(defaultPolicy)
	if err != nil {
		// The document is part of this package and a test parses it, so
		// this cannot happen in a released build; there is no safe policy
		// to fall back to.
		panic("authz: embedded default policy: " + err.Error())
	}
	return p
})

// Default returns the embedded default marketplace policy, compiled once.
// docs/authorization.md describes each of its rules.
func Default() *Policy { return loadDefault() }

// DefaultSource returns a copy of the default policy's document, the
// starting point for writing one's own.
func DefaultSource() []byte { return Default().Source() }
