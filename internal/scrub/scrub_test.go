package scrub

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	cases := []struct{ in, want string }{
		// Test PANs of the card networks, as their documentation publishes.
		{"pan 4111111111111111 declined", "pan 411111******1111 declined"},
		{"card 4111 1111 1111 1111.", "card 411111******1111."},
		{"amex 3782-822463-10005", "amex 378282*****0005"},
		{"5555555555554444", "555555******4444"},
		// Not PANs: failing Luhn, too short, inside a longer run.
		{"order 4111111111111112", "order 4111111111111112"},
		{"nit 900123456", "nit 900123456"},
		{"id 41111111111111110000000", "id 41111111111111110000000"},
		{"phone +573001234567", "phone +573001234567"},
		{"Bearer eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1c3IifQ.c2lnbmF0dXJl end",
			"Bearer [jwt] end"},
		{"refresh crj_rt_Zm9vYmFyYmF6cXV4MTIzNDU2 reused", "refresh crj_rt_[redacted] reused"},
		{"crj_mfa_abcdefghijklmnop", "crj_mfa_[redacted]"},
		{"nothing here to see at all", "nothing here to see at all"},
	}
	for _, c := range cases {
		if got := String(c.in); got != c.want {
			t.Errorf("String(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestReplaceAttr(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: ReplaceAttr}))
	log.Info("payment for 4111111111111111 failed",
		"password", "hunter2 hunter2",
		"user_code", "123456",
		"mfa_token", "crj_mfa_whatever",
		slog.Group("req", "authorization", "Bearer abc", "path", "/v1/x"),
		"error", errors.New("gateway said: card 5555555555554444 refused"),
		"count", 4111111111111111)
	out := buf.String()
	for _, leak := range []string{"4111111111111111", "hunter2", "123456", "crj_mfa_whatever",
		"Bearer abc", "5555555555554444"} {
		if strings.Contains(out, leak) {
			t.Errorf("log line holds %q:\n%s", leak, out)
		}
	}
	for _, kept := range []string{"411111******1111", "/v1/x", "555555******4444"} {
		if !strings.Contains(out, kept) {
			t.Errorf("log line lost %q:\n%s", kept, out)
		}
	}
}

// FuzzString checks that scrubbing never panics, never lengthens a line by
// much, and leaves no Luhn-valid 16-digit run of the input in place.
func FuzzString(f *testing.F) {
	f.Add("card 4111 1111 1111 1111 and eyJa.eyJb.c")
	f.Add("crj_rt_xxxxxxxxxxxxxxxxxxxx")
	f.Add("0000000000000000000000000000")
	f.Fuzz(func(t *testing.T, s string) {
		out := String(s)
		if len(out) > len(s)+16*len(s)/13+32 {
			t.Fatalf("scrubbing grew %d bytes to %d", len(s), len(out))
		}
		if p := panCandidate.FindStringSubmatch(out); p != nil {
			if d := onlyDigits(p[1]); luhn(d) && !strings.Contains(p[1], "*") {
				t.Fatalf("a card number survived: %q in %q", p[1], out)
			}
		}
	})
}
