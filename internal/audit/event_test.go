package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

func validEvent() Event {
	return Event{Actor: Actor{Type: ActorPerson, ID: "u1"}, Action: "role.grant",
		Target: Target{Type: "user", ID: "u2"}, Outcome: OutcomeSuccess}
}

func manyDetails(n int) map[string]string {
	m := map[string]string{}
	for i := range n {
		m[fmt.Sprintf("k%d", i)] = "v"
	}
	return m
}

func TestEventValidation(t *testing.T) {
	tests := []struct {
		name   string
		change func(e *Event)
		field  string // "" means valid
	}{
		{"a valid event", func(*Event) {}, ""},
		{"a system actor without id", func(e *Event) { e.Actor = Actor{Type: ActorSystem} }, ""},
		{"a person without id", func(e *Event) { e.Actor.ID = "" }, "actor.id"},
		{"an unknown actor type", func(e *Event) { e.Actor.Type = "robot" }, "actor.type"},
		{"an actor id at the bound",
			func(e *Event) { e.Actor.ID = strings.Repeat("a", maxIDLen) }, ""},
		{"an actor id past the bound",
			func(e *Event) { e.Actor.ID = strings.Repeat("a", maxIDLen+1) }, "actor.id"},
		{"an actor id with a newline", func(e *Event) { e.Actor.ID = "a\nb" }, "actor.id"},
		{"an empty action", func(e *Event) { e.Action = "" }, "action"},
		{"an action at the bound",
			func(e *Event) { e.Action = strings.Repeat("a", maxActionLen) }, ""},
		{"an action past the bound",
			func(e *Event) { e.Action = strings.Repeat("a", maxActionLen+1) }, "action"},
		{"an action with a space", func(e *Event) { e.Action = "role grant" }, "action"},
		{"an upper-case action", func(e *Event) { e.Action = "Role.Grant" }, "action"},
		{"a target id without a type", func(e *Event) { e.Target.Type = "" }, "target.type"},
		{"no target at all", func(e *Event) { e.Target = Target{} }, ""},
		{"a target type past the bound",
			func(e *Event) { e.Target.Type = strings.Repeat("t", maxTypeLen+1) }, "target.type"},
		{"an unknown outcome", func(e *Event) { e.Outcome = "maybe" }, "outcome"},
		{"a bad ip", func(e *Event) { e.IP = "300.1.1.1" }, "ip"},
		{"an ip with a zone", func(e *Event) { e.IP = "fe80::1%eth0" }, "ip"},
		{"a request id past the bound",
			func(e *Event) { e.RequestID = strings.Repeat("r", maxRequestIDLen+1) }, "request_id"},
		{"a request id with a slash", func(e *Event) { e.RequestID = "a/b" }, "request_id"},
		{"details at the count bound", func(e *Event) { e.Details = manyDetails(maxDetails) }, ""},
		{"details past the count bound",
			func(e *Event) { e.Details = manyDetails(maxDetails + 1) }, "details"},
		{"a detail value at the bound", func(e *Event) {
			e.Details = map[string]string{"note": strings.Repeat("x", maxDetailValueLen)}
		}, ""},
		{"a detail value past the bound", func(e *Event) {
			e.Details = map[string]string{"note": strings.Repeat("x", maxDetailValueLen+1)}
		}, "details.note"},
		{"details past the byte bound", func(e *Event) {
			e.Details = map[string]string{}
			for i := range 17 {
				e.Details[fmt.Sprintf("k%d", i)] = strings.Repeat("x", maxDetailValueLen)
			}
		}, "details"},
		{"a detail key with upper case", func(e *Event) {
			e.Details = map[string]string{"Role": "x"}
		}, "details"},
		{"a password", func(e *Event) {
			e.Details = map[string]string{"new_password": "x"}
		}, "details"},
		{"a token", func(e *Event) {
			e.Details = map[string]string{"refresh_token": "x"}
		}, "details"},
		{"an otp code", func(e *Event) {
			e.Details = map[string]string{"otp": "123456"}
		}, "details"},
		{"a recovery code", func(e *Event) {
			e.Details = map[string]string{"recovery_code": "x"}
		}, "details"},
		{"a session id", func(e *Event) {
			e.Details = map[string]string{"session_id": "x"}
		}, "details"},
		{"a word that contains a secret word", func(e *Event) {
			e.Details = map[string]string{"company": "x", "tokenizer": "y"}
		}, ""},
		{"an unmasked email", func(e *Event) {
			e.Details = map[string]string{"email": "ana@example.com"}
		}, "details.email"},
		{"a masked email", func(e *Event) {
			e.Details = map[string]string{"email": MaskEmail("ana@example.com")}
		}, ""},
		{"a control character in a detail", func(e *Event) {
			e.Details = map[string]string{"note": "a\rb"}
		}, "details.note"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := validEvent()
			tc.change(&e)
			err := e.Validate()
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("got %v, want valid", err)
			case tc.field != "" && (!errors.Is(err, ErrInvalidEvent) ||
				!strings.Contains(err.Error(), tc.field+" ")):
				t.Fatalf("got %v, want an error about %s", err, tc.field)
			}
		})
	}
}

func TestEventNormalisation(t *testing.T) {
	e := validEvent()
	e.IP = "::ffff:192.0.2.7"
	e.UserAgent = "Mozilla\r\n/5.0 " + strings.Repeat("é", 200)
	n, err := e.normalize()
	if err != nil {
		t.Fatal(err)
	}
	if n.IP != "192.0.2.7" {
		t.Errorf("ip: got %q, want the IPv4 form", n.IP)
	}
	if strings.ContainsAny(n.UserAgent, "\r\n") || len(n.UserAgent) > maxUserAgentLen ||
		!strings.HasPrefix(n.UserAgent, "Mozilla/5.0 ") {
		t.Errorf("user agent not cleaned: %q", n.UserAgent)
	}

	// The caller's map is copied: changing it afterwards changes nothing.
	e = validEvent()
	e.Details = map[string]string{"role": "a"}
	n, _ = e.normalize()
	e.Details["role"] = "b"
	if n.Details["role"] != "a" {
		t.Error("details were not copied")
	}
}

func TestMasking(t *testing.T) {
	emails := map[string]string{
		"juan.perez@Example.COM": "j***@example.com",
		"ñandú@x.co":             "ñ***@x.co",
		"@x.co":                  "***@x.co",
		"no-at-sign":             "***",
		"trailing@":              "***",
		"a@b@c.co":               "a***@c.co",
	}
	for in, want := range emails {
		if got := MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q, want %q", in, got, want)
		}
	}
	docs := map[string]string{
		"1.020.304.050": "***4050",
		"900373913-4":   "***9134",
		"AB-12":         "***",
		"1234":          "***",
		"":              "***",
	}
	for in, want := range docs {
		if got := MaskDocument(in); got != want {
			t.Errorf("MaskDocument(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestConfigValidation(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if err := (Config{}).Validate(); err != nil {
		t.Fatalf("zero value: %v", err)
	}
	bad := []struct {
		name, key string
		cfg       Config
	}{
		{"retention below the minimum", "audit.retention_days",
			Config{RetentionDays: minRetentionDays - 1}},
		{"a negative interval", "audit.checkpoint_every", Config{CheckpointEvery: -time.Second}},
		{"an interval under a second", "audit.checkpoint_every",
			Config{CheckpointEvery: time.Millisecond}},
		{"a key name with a plus", "audit.key_name", Config{KeyName: "a+b"}},
		{"a key name with a space", "audit.key_name", Config{KeyName: "a b"}},
	}
	for _, tc := range bad {
		err := tc.cfg.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), tc.key+":") {
			t.Errorf("%s: got %v, want an error naming %s", tc.name, err, tc.key)
		}
	}
	if err := (Config{RetentionDays: minRetentionDays}).Validate(); err != nil {
		t.Errorf("retention at the minimum: %v", err)
	}
}

func TestVerifierKeyOfHandlesEveryKey(t *testing.T) {
	// Signer keys whose base64 holds '+' once broke a naive split.
	env := newTestLog(t, storagetest.SQLite(t))
	for i := range 20 {
		env.log.cfg.KeyName = fmt.Sprintf("k%d", i)
		env.log.signer = nil
		if _, err := env.log.loadSigner(t.Context()); err != nil {
			t.Fatalf("key %d: %v", i, err)
		}
	}
}

func TestOperator(t *testing.T) {
	fallback := Actor{Type: ActorSystem, ID: "admin"}
	ctx := context.Background()
	if got := Operator(ctx, fallback); got != fallback || OperatorID(ctx) != "" {
		t.Fatalf("without an operator: %+v", got)
	}
	ctx = WithOperator(ctx, "u_1")
	if got := Operator(ctx, fallback); got != (Actor{Type: ActorPerson, ID: "u_1"}) ||
		OperatorID(ctx) != "u_1" {
		t.Fatalf("with an operator: %+v", got)
	}
}
