package authorizer

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/cerrojo/cerrojo/sdk/authz"
)

// subjectBindings is one subject's bindings as cerrojo returned them,
// never modified once built.
type subjectBindings struct {
	subject  string
	bindings []authz.Binding
	// inactive is set for a disabled account: it holds nothing, not even
	// the implicit role "authenticated".
	inactive bool
	// attributes are what the policy's conditions read as
	// subject.attributes; nil when cerrojo sent none.
	attributes map[string]any
	// digest is the policy the bindings were read under; "" when cerrojo
	// did not say (an unknown subject).
	digest    string
	fetchedAt time.Time // when the request started
	expires   time.Time // use until then
}

// wireBindings is the document of GET /v1/authz/subjects/{id}/bindings.
// Pointers tell a missing member from an empty one.
type wireBindings struct {
	Subject      *string        `json:"subject"`
	PolicyDigest *string        `json:"policy_digest"`
	Bindings     *[]wireBinding `json:"bindings"`
	// Active is false for a disabled account or one pending deletion,
	// which holds nothing; absent means true.
	Active *bool `json:"active"`
	// Attributes are the subject's attributes that cerrojo computes: today
	// approved_vendors, the vendors among the subject's that may sell.
	Attributes *wireSubjectAttributes `json:"attributes"`
}

type wireSubjectAttributes struct {
	ApprovedVendors *[]string `json:"approved_vendors"`
}

// subjectAttributes returns the attributes of a parsed document as the
// policy engine takes them.
func (w *wireBindings) subjectAttributes() map[string]any {
	if w.Attributes == nil || w.Attributes.ApprovedVendors == nil {
		return nil
	}
	return map[string]any{"approved_vendors": *w.Attributes.ApprovedVendors}
}

type wireBinding struct {
	Role      *string `json:"role"`
	Vendor    string  `json:"vendor"`
	GrantedBy string  `json:"granted_by"`
	GrantedAt *string `json:"granted_at"`
	ExpiresAt string  `json:"expires_at"`
	// Implicit marks a role the account's kind implies (customer); it has
	// no grant, so no granted_at.
	Implicit bool `json:"implicit"`
}

// parseBindings reads a bindings document for subject,
//
//	{"subject":"usr_1","policy_digest":"sha256:...","bindings":[
//	  {"role":"vendor_staff","vendor":"v1","granted_at":"2026-12-01T10:00:00Z",
//	   "expires_at":"2026-12-31T00:00:00Z"}]}
//
// strictly (see decodeStrict): subject, policy_digest and bindings are
// required, and so are role and granted_at in each binding (except an
// implicit one); vendor, granted_by and expires_at may be absent. active
// false says the account holds nothing, whatever its bindings; the result
// active reports it. The document must name subject, so that a
// mix-up anywhere between here and cerrojo's store cannot hand one
// person's roles to another. At most maxBindings bindings, with roles of
// 1 to authz.MaxNameLen bytes, vendors of at most maxVendorIDBytes and RFC
// 3339 times. A document that breaks any rule is refused whole.
//
// An unknown member is refused rather than skipped: it may limit a
// binding in a way this version cannot apply, and skipping it would
// grant more than cerrojo meant.
func parseBindings(doc []byte, subject string) (bs []authz.Binding, digest string, active bool, err error) {
	bs, digest, w, err := parseBindingsDoc(doc, subject)
	if err != nil {
		return nil, "", false, err
	}
	if w.Active != nil && !*w.Active {
		return nil, digest, false, nil
	}
	return bs, digest, true, nil
}

func parseBindingsDoc(doc []byte, subject string) ([]authz.Binding, string, *wireBindings, error) {
	if len(doc) > maxBindingsBytes {
		return nil, "", nil, fmt.Errorf("bindings document is over %d bytes", maxBindingsBytes)
	}
	var w wireBindings
	if err := decodeStrict(doc, &w); err != nil {
		return nil, "", nil, fmt.Errorf("bindings document: %v", err)
	}
	switch {
	case w.Subject == nil || w.PolicyDigest == nil || w.Bindings == nil || *w.Bindings == nil:
		return nil, "", nil, errors.New("bindings document lacks subject, policy_digest or bindings")
	case *w.Subject != subject:
		// Not quoted: it is whatever the server sent.
		return nil, "", nil, errors.New("bindings document names another subject")
	case !validDigest(*w.PolicyDigest):
		return nil, "", nil, errors.New("bindings document: policy_digest is not sha256:<hex>")
	case len(*w.Bindings) > maxBindings:
		return nil, "", nil, fmt.Errorf("bindings document has %d bindings, more than %d",
			len(*w.Bindings), maxBindings)
	}

	if a := w.Attributes; a != nil && a.ApprovedVendors != nil {
		if len(*a.ApprovedVendors) > maxBindings {
			return nil, "", nil, fmt.Errorf("bindings document lists more than %d approved "+
				"vendors", maxBindings)
		}
		for _, v := range *a.ApprovedVendors {
			if v == "" || len(v) > maxVendorIDBytes {
				return nil, "", nil, fmt.Errorf("an approved vendor is empty or over %d bytes",
					maxVendorIDBytes)
			}
		}
	}

	out := make([]authz.Binding, 0, len(*w.Bindings))
	for i, wb := range *w.Bindings {
		b, err := wb.binding()
		if err != nil {
			return nil, "", nil, fmt.Errorf("binding %d: %v", i, err)
		}
		out = append(out, b)
	}
	return out, *w.PolicyDigest, &w, nil
}

func (wb *wireBinding) binding() (authz.Binding, error) {
	switch {
	case wb.Role == nil || *wb.Role == "" || len(*wb.Role) > authz.MaxNameLen:
		return authz.Binding{}, fmt.Errorf("role is missing, empty or over %d bytes",
			authz.MaxNameLen)
	case len(wb.Vendor) > maxVendorIDBytes:
		return authz.Binding{}, fmt.Errorf("vendor is over %d bytes", maxVendorIDBytes)
	case wb.GrantedAt == nil && !wb.Implicit:
		return authz.Binding{}, errors.New("granted_at is missing")
	case len(wb.GrantedBy) > maxVendorIDBytes+16:
		return authz.Binding{}, errors.New("granted_by is too long")
	}
	// The times are not quoted back: the error would echo the body.
	if wb.GrantedAt != nil {
		if _, err := time.Parse(time.RFC3339, *wb.GrantedAt); err != nil {
			return authz.Binding{}, errors.New("granted_at is not an RFC 3339 time")
		}
	}
	b := authz.Binding{Role: *wb.Role, Vendor: wb.Vendor}
	if wb.ExpiresAt != "" {
		t, err := time.Parse(time.RFC3339, wb.ExpiresAt)
		if err != nil {
			return authz.Binding{}, errors.New("expires_at is not an RFC 3339 time")
		}
		b.ExpiresAt = t
	}
	return b, nil
}

// validDigest reports whether s is "sha256:" and 64 lowercase hex digits,
// the form of authz.Policy.Digest.
func validDigest(s string) bool {
	const prefix = "sha256:"
	if len(s) != len(prefix)+64 || s[:len(prefix)] != prefix {
		return false
	}
	for _, c := range []byte(s[len(prefix):]) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// fetchBindings asks cerrojo for subject's bindings. A subject cerrojo
// does not know has none. now dates the answer: its cache lifetime counts
// from before the request, so it is never overstated.
func (l *Local) fetchBindings(ctx context.Context, subject string, now time.Time) (
	*subjectBindings, error) {
	resp, err := l.client.get(ctx, pathSubjects+url.PathEscape(subject)+"/bindings",
		"application/json", "")
	if err != nil {
		return nil, unavailable("fetch bindings: %v", err)
	}
	defer resp.Body.Close()

	if resp.StatusCode != http.StatusOK {
		code := problemCode(resp)
		if resp.StatusCode == http.StatusNotFound && code == "unknown_subject" {
			return &subjectBindings{subject: subject, fetchedAt: now,
				expires: now.Add(l.bindingsTTL)}, nil
		}
		return nil, unavailable("fetch bindings: %w", statusError(resp.StatusCode, code))
	}
	if !hasMediaType(resp, "application/json") {
		return nil, unavailable("fetch bindings: the response is not application/json")
	}
	body, err := readBody(resp.Body, maxBindingsBytes)
	if err != nil {
		return nil, unavailable("fetch bindings: %v", err)
	}
	bindings, digest, w, err := parseBindingsDoc(body, subject)
	if err != nil {
		return nil, unavailable("fetch bindings: %v", err)
	}
	active := w.Active == nil || *w.Active

	// cerrojo's max-age may shorten the configured lifetime, never
	// lengthen it.
	ttl := l.bindingsTTL
	if age, ok := bindingsMaxAge(resp.Header.Get("Cache-Control")); ok {
		ttl = min(ttl, age)
	}
	sb := &subjectBindings{subject: subject, digest: digest, inactive: !active,
		fetchedAt: now, expires: now.Add(ttl)}
	if active {
		sb.bindings, sb.attributes = bindings, w.subjectAttributes()
	}
	return sb, nil
}

// subjectCache keeps the bindings of up to capacity subjects, and the fetches
// in flight, so that concurrent misses for one subject make one request.
type subjectCache struct {
	mu       sync.Mutex
	entries  map[string]*list.Element // of *subjectBindings
	order    *list.List               // oldest fetch first, for eviction
	calls    map[string]*bindingsCall
	capacity int
}

// bindingsCall is one fetch in flight. entry and err are set before done
// is closed, and read only after.
type bindingsCall struct {
	done  chan struct{}
	entry *subjectBindings
	err   error
	// forgotten is set when Invalidate ran during the fetch: its result
	// may predate what Invalidate announced, so it is not cached.
	forgotten bool
}

func newSubjectCache(capacity int) *subjectCache {
	return &subjectCache{entries: make(map[string]*list.Element), order: list.New(),
		calls: make(map[string]*bindingsCall), capacity: capacity}
}

// lookup returns the cached bindings of subject if they are still good at
// now; otherwise the fetch to wait for, and whether the caller must start
// it.
func (c *subjectCache) lookup(subject string, now time.Time) (
	hit *subjectBindings, call *bindingsCall, start bool) {
	c.mu.Lock()
	defer c.mu.Unlock()

	if el, ok := c.entries[subject]; ok {
		e := el.Value.(*subjectBindings)
		if now.Before(e.expires) {
			return e, nil, false
		}
		c.order.Remove(el)
		delete(c.entries, subject)
	}
	if call, ok := c.calls[subject]; ok {
		return nil, call, false
	}
	call = &bindingsCall{done: make(chan struct{})}
	c.calls[subject] = call
	return nil, call, true
}

// finish publishes the result of call to its waiters and, unless it was
// forgotten or failed or expires at once, caches it, evicting the oldest
// entries past capacity.
func (c *subjectCache) finish(subject string, call *bindingsCall, e *subjectBindings,
	err error, now time.Time) {
	c.mu.Lock()
	call.entry, call.err = e, err
	if !call.forgotten {
		delete(c.calls, subject)
		if err == nil && now.Before(e.expires) {
			if el, ok := c.entries[subject]; ok {
				c.order.Remove(el)
			}
			c.entries[subject] = c.order.PushBack(e)
			for c.order.Len() > c.capacity {
				oldest := c.order.Front()
				c.order.Remove(oldest)
				delete(c.entries, oldest.Value.(*subjectBindings).subject)
			}
		}
	}
	c.mu.Unlock()
	close(call.done)
}

// forget drops subject's cached bindings, and detaches a fetch in flight
// so that later callers start a new one.
func (c *subjectCache) forget(subject string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[subject]; ok {
		c.order.Remove(el)
		delete(c.entries, subject)
	}
	if call, ok := c.calls[subject]; ok {
		call.forgotten = true
		delete(c.calls, subject)
	}
}

// prune drops the entries that expired by now.
func (c *subjectCache) prune(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for el := c.order.Front(); el != nil; {
		next := el.Next()
		if e := el.Value.(*subjectBindings); !now.Before(e.expires) {
			c.order.Remove(el)
			delete(c.entries, e.subject)
		}
		el = next
	}
}

func (c *subjectCache) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
