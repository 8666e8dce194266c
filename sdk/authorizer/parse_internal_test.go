package authorizer

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/sdk/authz"
)

var testDigest = "sha256:" + strings.Repeat("ab", 32)

// bindingsDoc renders a bindings document for usr_1 with the entries.
func bindingsDoc(entries ...string) string {
	return `{"subject":"usr_1","policy_digest":"` + testDigest + `","bindings":[` +
		strings.Join(entries, ",") + `]}`
}

func entry(role, vendor string) string {
	return fmt.Sprintf(`{"role":%q,"vendor":%q,"granted_at":"2026-12-01T10:00:00Z"}`,
		role, vendor)
}

// pad grows a JSON document to n bytes with trailing whitespace.
func pad(doc string, n int) string { return doc + strings.Repeat(" ", n-len(doc)) }

func TestParseBindings(t *testing.T) {
	many := func(n int) string {
		es := make([]string, n)
		for i := range es {
			es[i] = entry("vendor_staff", fmt.Sprintf("v%d", i))
		}
		return bindingsDoc(es...)
	}
	tests := []struct {
		name    string
		doc     string
		wantErr bool
	}{
		{name: "the contract's example", doc: `{"subject":"usr_1","policy_digest":"` +
			testDigest + `","bindings":[{"role":"vendor_staff","vendor":"v1",` +
			`"granted_at":"2026-12-01T10:00:00Z","expires_at":"2026-12-31T00:00:00Z"}]}`},
		{name: "a global binding without vendor",
			doc: bindingsDoc(`{"role":"admin","granted_at":"2026-12-01T10:00:00Z"}`)},
		{name: "no bindings", doc: bindingsDoc()},
		{name: "as many bindings as allowed", doc: many(maxBindings)},
		{name: "one binding too many", doc: many(maxBindings + 1), wantErr: true},
		{name: "a body at the size limit", doc: pad(bindingsDoc(), maxBindingsBytes)},
		{name: "a body past the size limit", doc: pad(bindingsDoc(), maxBindingsBytes+1),
			wantErr: true},
		{name: "a role at the length limit",
			doc: bindingsDoc(entry(strings.Repeat("r", authz.MaxNameLen), ""))},
		{name: "a role past the length limit",
			doc: bindingsDoc(entry(strings.Repeat("r", authz.MaxNameLen+1), "")), wantErr: true},
		{name: "a vendor at the length limit",
			doc: bindingsDoc(entry("vendor_staff", strings.Repeat("v", maxVendorIDBytes)))},
		{name: "a vendor past the length limit",
			doc:     bindingsDoc(entry("vendor_staff", strings.Repeat("v", maxVendorIDBytes+1))),
			wantErr: true},
		{name: "an empty role", doc: bindingsDoc(entry("", "")), wantErr: true},
		{name: "no granted_at", doc: bindingsDoc(`{"role":"admin"}`), wantErr: true},
		{name: "a granted_at that is not RFC 3339",
			doc: bindingsDoc(`{"role":"admin","granted_at":"yesterday"}`), wantErr: true},
		{name: "an expires_at that is not RFC 3339", doc: bindingsDoc(
			`{"role":"admin","granted_at":"2026-12-01T10:00:00Z","expires_at":"never"}`),
			wantErr: true},
		{name: "another subject", doc: strings.Replace(bindingsDoc(), "usr_1", "usr_2", 1),
			wantErr: true},
		{name: "no subject", doc: `{"policy_digest":"` + testDigest + `","bindings":[]}`,
			wantErr: true},
		{name: "null bindings", doc: `{"subject":"usr_1","policy_digest":"` + testDigest +
			`","bindings":null}`, wantErr: true},
		{name: "a digest that is not sha256", doc: strings.Replace(bindingsDoc(), testDigest,
			"md5:abc", 1), wantErr: true},
		{name: "an unknown member", doc: bindingsDoc(
			`{"role":"admin","granted_at":"2026-12-01T10:00:00Z","scope":"read-only"}`),
			wantErr: true},
		{name: "a name spelt in upper case", doc: bindingsDoc(
			`{"ROLE":"admin","granted_at":"2026-12-01T10:00:00Z"}`), wantErr: true},
		{name: "a name that folds to a known one", doc: `{"\u017fubject":"usr_1",` +
			`"policy_digest":"` + testDigest + `","bindings":[]}`, wantErr: true},
		{name: "a name twice, once escaped", doc: bindingsDoc(
			`{"role":"customer","\u0072ole":"admin","granted_at":"2026-12-01T10:00:00Z"}`),
			wantErr: true},
		{name: "invalid UTF-8", doc: bindingsDoc(entry("admin", "v\xff")), wantErr: true},
		{name: "trailing data", doc: bindingsDoc() + `x`, wantErr: true},
		{name: "two documents", doc: bindingsDoc() + bindingsDoc(), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bs, digest, _, err := parseBindings([]byte(tc.doc), "usr_1")
			if (err != nil) != tc.wantErr {
				t.Fatalf("got error %v, want error %v", err, tc.wantErr)
			}
			if err != nil && (bs != nil || digest != "") {
				t.Fatalf("got %v, %q with an error, want nothing", bs, digest)
			}
		})
	}
}

func TestParseBindingsValues(t *testing.T) {
	bs, digest, _, err := parseBindings([]byte(bindingsDoc(
		`{"role":"vendor_staff","vendor":"v1","granted_at":"2026-12-01T10:00:00Z",`+
			`"expires_at":"2026-12-31T00:00:00-05:00"}`,
		`{"role":"admin","granted_at":"2026-12-01T10:00:00Z"}`)), "usr_1")
	if err != nil {
		t.Fatal(err)
	}
	if digest != testDigest || len(bs) != 2 {
		t.Fatalf("got %q and %d bindings", digest, len(bs))
	}
	want := time.Date(2026, 12, 31, 5, 0, 0, 0, time.UTC)
	if bs[0].Role != "vendor_staff" || bs[0].Vendor != "v1" || !bs[0].ExpiresAt.Equal(want) {
		t.Errorf("got %+v, want vendor_staff of v1 until %v", bs[0], want)
	}
	if bs[1].Role != "admin" || bs[1].Vendor != "" || !bs[1].ExpiresAt.IsZero() {
		t.Errorf("got %+v, want a global admin without expiry", bs[1])
	}
}

func TestCheckStructure(t *testing.T) {
	nest := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	members := func(n int) string {
		ms := make([]string, n)
		for i := range ms {
			ms[i] = fmt.Sprintf(`"m%d":%d`, i, i)
		}
		return "{" + strings.Join(ms, ",") + "}"
	}
	tests := []struct {
		name    string
		doc     string
		wantErr bool
	}{
		{name: "nested to the limit", doc: nest(maxJSONDepth)},
		{name: "nested past the limit", doc: nest(maxJSONDepth + 1), wantErr: true},
		{name: "members to the limit", doc: members(maxJSONMembers)},
		{name: "members past the limit", doc: members(maxJSONMembers + 1), wantErr: true},
		{name: "nested objects", doc: `{"a":{"b":[{"c":1},{"c":2}]},"d":{}}`},
		{name: "a name in two objects", doc: `{"a":{"b":1},"c":{"b":2}}`},
		{name: "a name twice in a nested object", doc: `{"a":{"b":1,"b":2}}`, wantErr: true},
		{name: "a name with a dash", doc: `{"a-b":1}`, wantErr: true},
		{name: "a name with a digit first", doc: `{"1a":1}`, wantErr: true},
		{name: "an empty name", doc: `{"":1}`, wantErr: true},
		{name: "nothing", doc: ``, wantErr: true},
		{name: "whitespace only", doc: ` `, wantErr: true},
		{name: "a bare scalar", doc: `1`},
		{name: "a scalar after the value", doc: `{} 1`, wantErr: true},
		{name: "unterminated", doc: `{"a":[1,2}`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkStructure([]byte(tc.doc))
			if (err != nil) != tc.wantErr {
				t.Fatalf("got %v, want error %v", err, tc.wantErr)
			}
		})
	}
}

// decisionDoc renders a decision of product:update with the members
// given, and the policy members.
func decisionDoc(members string) string {
	return `{"permission":"product:update",` + members +
		`,"policy_version":"2026-12-01","policy_digest":"` + testDigest + `"}`
}

func TestParseDecision(t *testing.T) {
	path := func(n int) string {
		roles := make([]string, n)
		for i := range roles {
			roles[i] = fmt.Sprintf("%q", fmt.Sprintf("r%d", i))
		}
		return "[" + strings.Join(roles, ",") + "]"
	}
	grant := `"allowed":true,"rule":"r","role_path":["vendor_owner","vendor_staff"],` +
		`"binding":{"role":"vendor_owner","vendor":"v1"},"reason":"ok"`
	tests := []struct {
		name    string
		doc     string
		wantErr bool
	}{
		{name: "the contract's grant", doc: decisionDoc(grant)},
		{name: "the contract's denial", doc: decisionDoc(`"allowed":false,"reason":"no"`)},
		{name: "a grant to the implicit role", doc: decisionDoc(
			`"allowed":true,"rule":"r","role_path":["authenticated"],"reason":"ok"`)},
		{name: "a grant with a binding that expires", doc: decisionDoc(
			`"allowed":true,"rule":"r","role_path":["admin"],"reason":"ok",` +
				`"binding":{"role":"admin","expires_at":"2026-12-31T00:00:00Z"}`)},
		{name: "a body at the size limit", doc: pad(decisionDoc(grant), maxDecisionBytes)},
		{name: "a body past the size limit", doc: pad(decisionDoc(grant), maxDecisionBytes+1),
			wantErr: true},
		{name: "a reason at the length limit", doc: decisionDoc(`"allowed":false,"reason":"` +
			strings.Repeat("x", maxReasonBytes) + `"`)},
		{name: "a reason past the length limit", doc: decisionDoc(`"allowed":false,` +
			`"reason":"` + strings.Repeat("x", maxReasonBytes+1) + `"`), wantErr: true},
		{name: "a role path at the length limit", doc: decisionDoc(
			`"allowed":true,"rule":"r","reason":"ok","role_path":` + path(maxRolePath))},
		{name: "a role path past the length limit", doc: decisionDoc(
			`"allowed":true,"rule":"r","reason":"ok","role_path":` + path(maxRolePath+1)),
			wantErr: true},
		{name: "a rule id at the length limit", doc: decisionDoc(`"allowed":true,"rule":"` +
			strings.Repeat("r", authz.MaxRuleIDLen) + `","role_path":["admin"],"reason":"ok"`)},
		{name: "a rule id past the length limit", doc: decisionDoc(`"allowed":true,"rule":"` +
			strings.Repeat("r", authz.MaxRuleIDLen+1) + `","role_path":["admin"],` +
			`"reason":"ok"`), wantErr: true},
		{name: "a grant without a rule",
			doc:     decisionDoc(`"allowed":true,"role_path":["admin"],"reason":"ok"`),
			wantErr: true},
		{name: "a grant without a role path",
			doc: decisionDoc(`"allowed":true,"rule":"r","reason":"ok"`), wantErr: true},
		{name: "a grant whose binding is not the bound role", doc: decisionDoc(
			`"allowed":true,"rule":"r","role_path":["vendor_owner","vendor_staff"],` +
				`"binding":{"role":"vendor_staff","vendor":"v1"},"reason":"ok"`),
			wantErr: true},
		{name: "a denial with a role path", doc: decisionDoc(
			`"allowed":false,"role_path":["admin"],"reason":"no"`), wantErr: true},
		{name: "a denial with a binding", doc: decisionDoc(
			`"allowed":false,"binding":{"role":"admin"},"reason":"no"`), wantErr: true},
		{name: "allowed as a string", doc: decisionDoc(`"allowed":"true","reason":"no"`),
			wantErr: true},
		{name: "no reason", doc: decisionDoc(`"allowed":false`), wantErr: true},
		{name: "another permission", doc: strings.Replace(decisionDoc(
			`"allowed":false,"reason":"no"`), "update", "delete", 1), wantErr: true},
		{name: "no policy digest", doc: `{"allowed":false,"permission":"product:update",` +
			`"reason":"no","policy_version":"1"}`, wantErr: true},
		{name: "no policy version", doc: `{"allowed":false,"permission":"product:update",` +
			`"reason":"no","policy_digest":"` + testDigest + `"}`, wantErr: true},
		{name: "allowed twice", doc: decisionDoc(`"allowed":false,"allowed":true,` +
			`"rule":"r","role_path":["admin"],"reason":"ok"`), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := parseDecision([]byte(tc.doc), "product:update")
			if (err != nil) != tc.wantErr {
				t.Fatalf("got %+v, %v; want error %v", d, err, tc.wantErr)
			}
		})
	}
}

func TestParseBatch(t *testing.T) {
	result := `{"allowed":false,"permission":"product:read","reason":"no"}`
	batch := func(n int, extra string) string {
		rs := make([]string, n)
		for i := range rs {
			rs[i] = result
		}
		return `{"results":[` + strings.Join(rs, ",") + `]` + extra + `}`
	}
	ids := `,"policy_version":"1","policy_digest":"` + testDigest + `"`
	perms := func(n int) []string {
		ps := make([]string, n)
		for i := range ps {
			ps[i] = "product:read"
		}
		return ps
	}

	ds, err := parseBatch([]byte(batch(MaxBatchChecks, ids)), perms(MaxBatchChecks))
	if err != nil || len(ds) != MaxBatchChecks {
		t.Fatalf("a full batch: got %d decisions, %v", len(ds), err)
	}
	if _, err := parseBatch([]byte(batch(2, ids)), perms(3)); err == nil {
		t.Error("a result missing: got no error")
	}
	if _, err := parseBatch([]byte(batch(2, "")), perms(2)); err == nil {
		t.Error("no policy members: got no error")
	}
	other := strings.Replace(batch(1, ids), `"reason":"no"`,
		`"reason":"no","policy_version":"2"`, 1)
	if _, err := parseBatch([]byte(other), perms(1)); err == nil {
		t.Error("a result of another policy: got no error")
	}
}

func TestBindingsMaxAge(t *testing.T) {
	tests := []struct {
		header string
		want   time.Duration
		wantOK bool
	}{
		{"private, max-age=30", 30 * time.Second, true},
		{"max-age=\"7\"", 7 * time.Second, true},
		{"MAX-AGE=0", 0, true},
		{"no-store", 0, true},
		{"private, no-cache, max-age=30", 0, true},
		{"max-age=99999999999", maxBindingsTTL, true},
		{"max-age=-1", 0, false},
		{"max-age=soon", 0, false},
		{"private", 0, false},
		{"", 0, false},
	}
	for _, tc := range tests {
		got, ok := bindingsMaxAge(tc.header)
		if got != tc.want || ok != tc.wantOK {
			t.Errorf("%q: got %s, %v; want %s, %v", tc.header, got, ok, tc.want, tc.wantOK)
		}
	}
}

func TestReadBodyLimit(t *testing.T) {
	if _, err := readBody(strings.NewReader(strings.Repeat("x", 10)), 10); err != nil {
		t.Errorf("at the limit: %v", err)
	}
	if _, err := readBody(strings.NewReader(strings.Repeat("x", 11)), 10); err == nil {
		t.Error("past the limit: got no error")
	}
}

// The approved vendors cerrojo sends reach the policy as
// subject.attributes.approved_vendors; anything else in attributes, or a
// vendor id the bindings could not hold, refuses the document.
func TestParseBindingsAttributes(t *testing.T) {
	withAttrs := func(attrs string) string {
		return `{"subject":"usr_1","policy_digest":"` + testDigest + `","bindings":[` +
			entry("vendor_owner", "v1") + `],"attributes":` + attrs + `}`
	}
	_, _, w, err := parseBindingsDoc([]byte(withAttrs(`{"approved_vendors":["v1"]}`)), "usr_1")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := w.subjectAttributes()["approved_vendors"].([]string)
	if len(got) != 1 || got[0] != "v1" {
		t.Fatalf("approved vendors %v", w.subjectAttributes())
	}
	_, _, w, err = parseBindingsDoc([]byte(bindingsDoc(entry("vendor_owner", "v1"))), "usr_1")
	if err != nil || w.subjectAttributes() != nil {
		t.Fatalf("no attributes: %v %v", w.subjectAttributes(), err)
	}
	for _, bad := range []string{`{"tier":"gold"}`, `{"approved_vendors":[""]}`,
		`{"approved_vendors":["` + strings.Repeat("v", maxVendorIDBytes+1) + `"]}`,
		`{"approved_vendors":"v1"}`, `[]`} {
		if _, _, _, err := parseBindingsDoc([]byte(withAttrs(bad)), "usr_1"); err == nil {
			t.Errorf("attributes %s were accepted", bad)
		}
	}
}
