package authz

import (
	"errors"
	"strings"
	"testing"
)

// minimalPolicy is a small valid document; the bad documents below are
// variations of it.
const minimalPolicy = `version: "1"
resources:
  product:
    attributes:
      vendor: string
      price: int
      tags: list(string)
    actions: [read, update]
  account:
    actions: [read]
roles:
  customer:
  staff:
    scope: vendor
rules:
  - id: staff-read
    roles: [staff]
    permissions: ["product:read"]
`

// badPolicy is a document Parse must refuse, with the problem it must
// report: its message contains msg and its line is the one marked "#<-"
// in doc, or line when doc has no mark (0 for the document as a whole).
type badPolicy struct {
	name string
	doc  string
	msg  string
	line int
}

// wantLine returns the line marked "#<-", or tc.line.
func (tc badPolicy) wantLine() int {
	for i, l := range strings.Split(tc.doc, "\n") {
		if strings.Contains(l, "#<-") {
			return i + 1
		}
	}
	return tc.line
}

// readRule is a rule of minimalPolicy's shape that a case completes,
// usually with a condition.
const readRule = "  - id: x\n    roles: [customer]\n    permissions: [\"product:read\"]\n"

// withRules is minimalPolicy with its rules replaced.
func withRules(rules string) string {
	head, _, _ := strings.Cut(minimalPolicy, "rules:\n")
	return head + "rules:\n" + rules
}

// withRoles is minimalPolicy with its roles replaced.
func withRoles(roles string) string {
	head, rest, _ := strings.Cut(minimalPolicy, "roles:\n")
	_, rules, _ := strings.Cut(rest, "rules:\n")
	return head + "roles:\n" + roles + "rules:\n" + rules
}

// withResources is minimalPolicy with its resources replaced.
func withResources(resources string) string {
	_, rest, _ := strings.Cut(minimalPolicy, "roles:\n")
	return "version: \"1\"\nresources:\n" + resources + "roles:\n" + rest
}

var badPolicies = []badPolicy{
	// The document as a whole.
	{name: "empty document", doc: "", msg: "document is empty"},
	{name: "only a comment", doc: "# nothing\n", msg: "document is empty"},
	{name: "not a mapping", doc: "- version\n", msg: "must be a mapping", line: 1},
	{name: "two documents", doc: minimalPolicy + "--- #<-\nversion: \"2\"\n",
		msg: "only one YAML document"},
	{name: "YAML syntax error", doc: minimalPolicy + "  - id: x\n    roles [staff] #<-\n",
		msg: "not valid YAML"},
	{name: "missing rules", doc: strings.Split(minimalPolicy, "rules:")[0],
		msg: `missing required key "rules"`, line: 1},
	{name: "unknown key in the document", doc: minimalPolicy + "deny: [] #<-\n",
		msg: `unknown key "deny" in document`},
	{name: "duplicate key in the document", doc: minimalPolicy + "version: \"2\" #<-\n",
		msg: `duplicate key "version" in document (first at line 1)`},
	{name: "anchor", doc: strings.Replace(minimalPolicy, "[staff]", "&who [staff] #<-", 1),
		msg: "anchors and aliases are not allowed"},
	{name: "alias", doc: strings.Replace(minimalPolicy, "  customer:\n",
		"  customer: &r\n  buyer: *r #<-\n", 1),
		msg: "anchors and aliases are not allowed"},
	{name: "version with a space", doc: strings.Replace(minimalPolicy, `"1"`, `"1 beta" #<-`, 1),
		msg: "version \"1 beta\" must match"},
	{name: "version that is a number", doc: strings.Replace(minimalPolicy, `"1"`, `1 #<-`, 1),
		msg: "version must be a string"},
	{name: "description that is not a string",
		doc: minimalPolicy + "description: [a] #<-\n", msg: "description must be a string"},

	// Resource types and attributes.
	{name: "unknown key in a resource type",
		doc: strings.Replace(minimalPolicy, "    actions: [read]\n",
			"    actions: [read]\n    fields: {} #<-\n", 1),
		msg: `unknown key "fields" in resource type account`},
	{name: "resource type name with capitals",
		doc: withResources("  Product: #<-\n    actions: [read]\n"),
		msg: `resource type "Product" must match`},
	{name: "resource type name that is not a string",
		doc: withResources("  7: #<-\n    actions: [read]\n"),
		msg: "keys of resources must be strings"},
	{name: "resource type without actions",
		doc: withResources("  product: #<-\n    attributes: {vendor: string}\n"),
		msg: `resource type "product" declares no actions`},
	{name: "resource type with an empty list of actions",
		doc: withResources("  product: #<-\n    actions: []\n"), msg: "declares no actions"},
	{name: "actions that are not a list",
		doc: withResources("  product:\n    actions: read #<-\n"), msg: "actions must be a list"},
	{name: "action listed twice",
		doc: withResources("  product:\n    actions: [read, read] #<-\n"),
		msg: `"read" is listed twice in actions`},
	{name: "action with a dash",
		doc: withResources("  product:\n    actions: [read-all] #<-\n"),
		msg: `action "read-all" must match`},
	{name: "wrong attribute type name",
		doc: strings.Replace(minimalPolicy, "price: int", "price: integer #<-", 1),
		msg: `attribute "price" of product has unknown type "integer"`},
	{name: "attribute type that is not a string",
		doc: strings.Replace(minimalPolicy, "price: int", "price: [int] #<-", 1),
		msg: "attribute type must be a string"},
	{name: "attributes that are not a mapping",
		doc: strings.Replace(minimalPolicy, "    attributes:\n",
			"    attributes: [vendor] #<-\n    x:\n", 1),
		msg: "attributes of product must be a mapping"},
	{name: "reserved attribute id",
		doc: strings.Replace(minimalPolicy, "price: int", "id: string #<-", 1),
		msg: `attribute "id" of product is reserved`},
	{name: "reserved attribute type",
		doc: strings.Replace(minimalPolicy, "price: int", "type: string #<-", 1),
		msg: `attribute "type" of product is reserved`},
	{name: "attribute named after a CEL keyword",
		doc: strings.Replace(minimalPolicy, "price: int", "in: bool #<-", 1),
		msg: `attribute "in" of product is a reserved word in CEL`},
	{name: "vendor attribute that is not a string",
		doc: strings.Replace(minimalPolicy, "vendor: string", "vendor: int #<-", 1),
		msg: "attribute vendor of product must be a string"},
	{name: "vendor type with a vendor attribute",
		doc: withResources("  vendor: #<-\n    attributes: {vendor: string}\n    actions: [read]\n" +
			"  product:\n    attributes: {vendor: string}\n    actions: [read]\n"),
		msg: "resource type vendor must not declare a vendor attribute"},

	// Roles.
	{name: "unknown key in a role",
		doc: withRoles("  customer:\n    scopes: vendor #<-\n  staff:\n    scope: vendor\n"),
		msg: `unknown key "scopes" in role customer`},
	{name: "unknown scope",
		doc: withRoles("  customer:\n    scope: tenant #<-\n  staff:\n    scope: vendor\n"),
		msg: `scope "tenant" of role "customer" must be vendor or global`},
	{name: "role declared twice",
		doc: withRoles("  customer:\n  staff:\n    scope: vendor\n  customer: #<-\n"),
		msg: `duplicate key "customer" in roles`},
	{name: "declared implicit role",
		doc: withRoles("  authenticated: #<-\n  staff:\n    scope: vendor\n"),
		msg: `role "authenticated" is implicit`},
	{name: "inherited role not declared",
		doc: withRoles("  customer:\n    inherits: [ghost] #<-\n  staff:\n    scope: vendor\n"),
		msg: `role "customer" inherits "ghost", which is not declared`},
	{name: "inheriting the implicit role",
		doc: withRoles("  customer:\n    inherits: [authenticated] #<-\n  staff:\n    scope: vendor\n"),
		msg: `role "customer" cannot inherit "authenticated"`},
	{name: "vendor-scoped role inheriting a global role",
		doc: withRoles("  customer:\n  staff:\n    scope: vendor\n    inherits: [customer] #<-\n"),
		msg: `vendor-scoped role "staff" cannot inherit global role "customer"`},
	{name: "inheritance cycle",
		doc: withRoles("  customer:\n  a:\n    inherits: [b]\n  b:\n    inherits: [c]\n" +
			"  c:\n    inherits: [customer, a] #<-\n  staff:\n    scope: vendor\n"),
		msg: "inheritance cycle: a -> b -> c -> a"},
	{name: "role inheriting itself",
		doc: withRoles("  customer:\n    inherits: [customer] #<-\n  staff:\n    scope: vendor\n"),
		msg: "inheritance cycle: customer -> customer"},
	{name: "role inherited twice",
		doc: withRoles("  customer:\n  a:\n    inherits: [customer, customer] #<-\n" +
			"  staff:\n    scope: vendor\n"),
		msg: `"customer" is listed twice in inherits`},

	// Rules.
	{name: "rules that are not a list",
		doc: withRules("  id: x #<-\n"), msg: "rules must be a list"},
	{name: "rule that is not a mapping",
		doc: withRules("  - staff-read #<-\n"), msg: "rule must be a mapping"},
	{name: "unknown key in a rule",
		doc: withRules(readRule + "    effect: deny #<-\n"),
		msg: `unknown key "effect" in rule`},
	{name: "rule without an id",
		doc: withRules("  - roles: [staff] #<-\n    permissions: [\"product:read\"]\n"),
		msg: "rule has no id"},
	{name: "rule without roles",
		doc: withRules("  - id: x #<-\n    permissions: [\"product:read\"]\n"),
		msg: `rule "x" lists no roles`},
	{name: "rule without permissions",
		doc: withRules("  - id: x #<-\n    roles: [staff]\n"),
		msg: `rule "x" lists no permissions`},
	{name: "rule with an empty list of roles",
		doc: withRules("  - id: x #<-\n    roles: []\n    permissions: [\"product:read\"]\n"),
		msg: `rule "x" names no roles`},
	{name: "rule with an empty list of permissions",
		doc: withRules("  - id: x #<-\n    roles: [staff]\n    permissions: []\n"),
		msg: `rule "x" grants no permissions`},
	{name: "rule id with capitals",
		doc: withRules(strings.Replace(readRule, "id: x", "id: Staff-Read #<-", 1)),
		msg: `rule id "Staff-Read" must match`},
	{name: "duplicate rule id",
		doc: minimalPolicy + strings.Replace(readRule, "id: x", "id: staff-read #<-", 1),
		msg: `duplicate rule id "staff-read" (first at line 16)`},
	{name: "unknown permission in a rule",
		doc: withRules("  - id: x\n    roles: [staff]\n    permissions: [\"product:steal\"] #<-\n"),
		msg: `rule "x" grants "product:steal", but product has no action "steal" ` +
			`(actions: read, update)`},
	{name: "permission of an unknown resource type",
		doc: withRules("  - id: x\n    roles: [customer]\n    permissions: [\"invoice:read\"] #<-\n"),
		msg: `resource type "invoice" is not declared`},
	{name: "permission without an action",
		doc: withRules("  - id: x\n    roles: [customer]\n    permissions: [product] #<-\n"),
		msg: `permission "product" must match`},
	{name: "permission with a wildcard type",
		doc: withRules("  - id: x\n    roles: [customer]\n    permissions: [\"*:read\"] #<-\n"),
		msg: `permission "*:read" must match`},
	{name: "unknown role in a rule",
		doc: withRules("  - id: x\n    roles: [nobody] #<-\n    permissions: [\"product:read\"]\n"),
		msg: `rule "x" names role "nobody", which is not declared`},
	{name: "vendor-scoped role granted a type without vendors",
		doc: withRules("  - id: x\n    roles: [staff] #<-\n    permissions: [\"account:read\"]\n"),
		msg: `rule "x" grants account permissions to vendor-scoped role "staff", ` +
			`but account has no vendor attribute`},
	{name: "condition that is not a string",
		doc: withRules(readRule + "    when: 5 #<-\n"),
		msg: "when must be a string"},

	// Conditions.
	{name: "condition reading an undeclared attribute",
		doc: withRules(readRule +
			"    when: resource.colour == \"red\" #<-\n"),
		msg: `condition of rule "x": undefined field 'colour'`},
	{name: "condition comparing an int with a string",
		doc: withRules(readRule +
			"    when: resource.price == \"x\" #<-\n"),
		msg: "no matching overload for '_==_' applied to '(int, string)'"},
	{name: "condition that is not a bool",
		doc: withRules(readRule +
			"    when: resource.price + 1 #<-\n"),
		msg: "condition must be a bool, but is int"},
	{name: "condition with a syntax error",
		doc: withRules(readRule +
			"    when: \"resource.price >\" #<-\n"),
		msg: "Syntax error"},
	{name: "condition reading an undeclared variable",
		doc: withRules(readRule +
			"    when: request.ip == \"192.0.2.1\" #<-\n"),
		msg: "undeclared reference to 'request'"},
	{name: "condition reading an undeclared context field",
		doc: withRules(readRule +
			"    when: context.country == \"CO\" #<-\n"),
		msg: "undefined field 'country'"},
	{name: "condition on an attribute that only one of the rule's types declares",
		doc: withRules(strings.Replace(readRule, `"product:read"`, `"product:read", "account:read"`, 1) +
			"    when: resource.price < 10 #<-\n"),
		msg: "(with resource of type account): undefined field 'price'"},
	{name: "problem on the second line of a folded condition",
		doc: withRules(readRule +
			"    when: >-\n      resource.price > 1 &&\n      resource.colour == \"red\"\n"),
		msg: "undefined field 'colour'", line: 21},
	{name: "problem on the second line of a literal condition",
		doc: withRules(readRule +
			"    when: |\n      resource.price > 1 &&\n      resource.size == 2\n"),
		msg: "undefined field 'size'", line: 21},
	{name: "problem on the second line of a folded condition in a CRLF document",
		doc: strings.ReplaceAll(withRules(readRule+
			"    when: >-\n      resource.price > 1 &&\n      resource.colour == \"red\"\n"), "\n", "\r\n"),
		msg: "undefined field 'colour'", line: 21},
	{name: "empty folded condition at the end of the document",
		doc: withRules(readRule +
			"    when: > #<-"),
		msg: "Syntax error"},
	{name: "condition with escaped line breaks",
		doc: withRules(readRule +
			"    when: \"true &&\\n\\n\\n\\n)\" #<-\n"),
		msg: "Syntax error"},
}

func TestParseRejects(t *testing.T) {
	for _, tc := range badPolicies {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse([]byte(tc.doc))
			if p != nil {
				t.Error("got a policy along with the error, want nil")
			}
			if !errors.Is(err, ErrInvalidPolicy) {
				t.Fatalf("got error %v, want ErrInvalidPolicy", err)
			}
			ps := problemsOf(t, err)
			line := tc.wantLine()
			for _, pr := range ps {
				if strings.Contains(pr.Message, tc.msg) && pr.Line == line {
					return
				}
			}
			t.Errorf("got problems %v, want one at line %d containing %q", ps, line, tc.msg)
		})
	}
}

// Each problem is reported once, with the place of the offending text.
func TestParseReportsEachProblemOnce(t *testing.T) {
	doc := withResources("  product:\n    attributes: {vendor: string}\n" +
		"  order:\n    actions: []\n")
	ps := problemsOf(t, parseErr(t, doc))
	n := 0
	for _, pr := range ps {
		if strings.Contains(pr.Message, "declares no actions") {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("got problems %v, want two saying a type declares no actions", ps)
	}

	// The column of a condition's problem points into the document.
	rule := readRule
	for _, doc := range []string{
		withRules(rule + "    when: resource.colour == \"red\"\n"),
		withRules(rule + "    when: 'resource.colour == \"red\"'\n"),
		withRules(rule + "    when: >-\n      resource.price > 1 &&\n      resource.colour == \"red\"\n"),
		withRules(rule + "    when: |\n      resource.price > 1 &&\n" +
			"        resource.colour == \"red\"\n"),
		strings.ReplaceAll(withRules(rule+"    when: >-\n      resource.price > 1 &&\n"+
			"      resource.colour == \"red\"\n"), "\n", "\r\n"),
	} {
		ps = problemsOf(t, parseErr(t, doc))
		line := strings.Split(doc, "\n")[ps[0].Line-1]
		if got := line[ps[0].Column-1:]; !strings.HasPrefix(got, ".colour") {
			t.Errorf("got %d:%d (%q), want the place of .colour in\n%s", ps[0].Line, ps[0].Column, got, doc)
		}
	}
}

func TestParseErrorText(t *testing.T) {
	doc := withRules("  - id: x\n    roles: [nobody]\n    permissions: [\"product:steal\"]\n")
	err := parseErr(t, doc)
	want := `authz: invalid policy: ` +
		`line 17:13: rule "x" names role "nobody", which is not declared; ` +
		`line 18:19: rule "x" grants "product:steal", but product has no action "steal" ` +
		`(actions: read, update)`
	if err.Error() != want {
		t.Errorf("got %q\nwant %q", err.Error(), want)
	}
	if got := (Problem{Line: 3, Message: "m"}).String(); got != "line 3: m" {
		t.Errorf("got %q for a problem without a column, want %q", got, "line 3: m")
	}
}

func parseErr(t *testing.T, doc string) error {
	t.Helper()
	p, err := Parse([]byte(doc))
	if err == nil {
		t.Fatalf("parse succeeded with version %s, want an error", p.Version())
	}
	return err
}

func TestParseAccepts(t *testing.T) {
	for _, tc := range []struct{ name, doc string }{
		{"minimal policy", minimalPolicy},
		{"unquoted date as version", strings.Replace(minimalPolicy, `"1"`, "2026-12-01", 1)},
		{"descriptions everywhere", strings.Replace(minimalPolicy, "  customer:\n",
			"  customer:\n    description: buys\n    scope: global\n", 1) +
			"    description: staff read the catalogue\ndescription: a test\n"},
		{"global role inheriting a vendor-scoped role", withRoles("  customer:\n    inherits: [staff]\n" +
			"  staff:\n    scope: vendor\n")},
		{"rule for the implicit role", minimalPolicy +
			"  - id: self\n    roles: [authenticated]\n    permissions: [\"account:read\"]\n" +
			"    when: resource.id == subject.id\n"},
		{"wildcard permission", minimalPolicy +
			"  - id: all\n    roles: [customer]\n    permissions: [\"product:*\", \"product:read\"]\n"},
		{"condition over every kind of variable", minimalPolicy +
			"  - id: c\n    roles: [customer]\n    permissions: [\"product:update\"]\n" +
			"    when: >-\n      \"sale\" in resource.tags && resource.type == \"product\" &&\n" +
			"      context.time > timestamp(\"2026-01-01T00:00:00Z\") && context.ip != \"\" &&\n" +
			"      \"otp\" in context.amr && \"customer\" in subject.roles &&\n" +
			"      subject.attributes[\"tier\"] == \"gold\"\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustParse(t, tc.doc)
			if p.Version() == "" || string(p.Source()) != tc.doc {
				t.Errorf("got version %q and a source of %d bytes, want the document's",
					p.Version(), len(p.Source()))
			}
		})
	}
}

func TestParseDateVersion(t *testing.T) {
	p := mustParse(t, strings.Replace(minimalPolicy, `"1"`, "2026-12-01", 1))
	if p.Version() != "2026-12-01" {
		t.Errorf("got version %q, want 2026-12-01", p.Version())
	}
}

func TestValidateBinding(t *testing.T) {
	p := Default()
	for _, tc := range []struct {
		name string
		b    Binding
		ok   bool
	}{
		{"global role", global("admin"), true},
		{"vendor role at a vendor", scoped("vendor_staff", "v1"), true},
		{"expired binding is still well formed", Binding{Role: "customer", ExpiresAt: t0}, true},
		{"vendor role without a vendor", scoped("vendor_owner", ""), false},
		{"global role at a vendor", scoped("support", "v1"), false},
		{"undeclared role", global("root"), false},
		{"implicit role", global("authenticated"), false},
		{"empty role", Binding{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := p.ValidateBinding(tc.b)
			if tc.ok && err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if !tc.ok && !errors.Is(err, ErrInvalidBinding) {
				t.Fatalf("got error %v, want ErrInvalidBinding", err)
			}
			if !tc.ok && !strings.Contains(err.Error(), "role "+tc.b.Role+" ") {
				t.Errorf("got error %q, want it to name the role", err)
			}
		})
	}
}
