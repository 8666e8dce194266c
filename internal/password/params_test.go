package password

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestParamsValidate(t *testing.T) {
	with := func(f func(*Params)) Params {
		p := DefaultParams()
		f(&p)
		return p
	}
	cases := []struct {
		name string
		p    Params
		ok   bool
	}{
		{"default is valid", DefaultParams(), true},
		{"owasp 46 MiB with one pass", with(func(p *Params) { p.MemoryKiB, p.Iterations = 47104, 1 }),
			true},
		{"just under 46 MiB with one pass", with(func(p *Params) {
			p.MemoryKiB, p.Iterations = 47103, 1
		}), false},
		{"owasp 12 MiB with three passes", with(func(p *Params) {
			p.MemoryKiB, p.Iterations = 12288, 3
		}), true},
		{"owasp 9 MiB with four passes", with(func(p *Params) { p.MemoryKiB, p.Iterations = 9216, 4 }),
			true},
		{"owasp 7 MiB with five passes", with(func(p *Params) { p.MemoryKiB, p.Iterations = 7168, 5 }),
			true},
		{"just under 7 MiB with many passes", with(func(p *Params) {
			p.MemoryKiB, p.Iterations = 7167, 10
		}), false},
		{"19 MiB with one pass", with(func(p *Params) { p.Iterations = 1 }), false},
		{"zero lanes", with(func(p *Params) { p.Parallelism = 0 }), false},
		{"lanes at the cap", with(func(p *Params) { p.Parallelism = 16 }), true},
		{"lanes just over the cap", with(func(p *Params) { p.Parallelism = 17 }), false},
		{"memory at the cap", with(func(p *Params) { p.MemoryKiB = 1 << 20 }), true},
		{"memory just over the cap", with(func(p *Params) { p.MemoryKiB = 1<<20 + 1 }), false},
		{"work just over the cap", with(func(p *Params) {
			p.MemoryKiB, p.Iterations = 1<<20, 5
		}), false},
		{"iterations just over the cap", with(func(p *Params) { p.Iterations = 65 }), false},
		{"salt of 15 bytes", with(func(p *Params) { p.SaltLen = 15 }), false},
		{"salt at the cap", with(func(p *Params) { p.SaltLen = 64 }), true},
		{"salt just over the cap", with(func(p *Params) { p.SaltLen = 65 }), false},
		{"tag of 15 bytes", with(func(p *Params) { p.KeyLen = 15 }), false},
		{"tag of 16 bytes", with(func(p *Params) { p.KeyLen = 16 }), true},
		{"tag just over the cap", with(func(p *Params) { p.KeyLen = 65 }), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.Validate()
			if tc.ok && err != nil {
				t.Fatalf("Validate: got %v, want nil", err)
			}
			if !tc.ok && !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Validate: got %v, want ErrInvalidConfig", err)
			}
		})
	}
}

func TestNewFirebaseProject(t *testing.T) {
	key := func(n int) string { return b64Padded.EncodeToString(bytes.Repeat([]byte{9}, n)) }
	cases := []struct {
		name            string
		key, sep        string
		rounds, memCost int
		ok              bool
	}{
		{"firebase's usual settings", key(64), "Bw==", 8, 14, true},
		{"signer key at the minimum", key(16), "Bw==", 8, 14, true},
		{"signer key at the cap", key(128), "Bw==", 8, 14, true},
		{"signer key too short", key(15), "Bw==", 8, 14, false},
		{"signer key too long", key(129), "Bw==", 8, 14, false},
		{"empty separator", key(64), "", 8, 14, true},
		{"separator too long", key(64), key(17), 8, 14, false},
		{"unpadded signer key", strings.TrimRight(key(64), "="), "Bw==", 8, 14, false},
		{"zero rounds", key(64), "Bw==", 0, 14, false},
		{"rounds over the cap", key(64), "Bw==", 33, 14, false},
		{"zero mem cost", key(64), "Bw==", 8, 0, false},
		{"mem cost over the cap", key(64), "Bw==", 1, 21, false},
		{"memory over the cap", key(64), "Bw==", 9, 20, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewFirebaseProject(tc.key, tc.sep, tc.rounds, tc.memCost)
			if tc.ok && (err != nil || p == nil) {
				t.Fatalf("NewFirebaseProject: got %v, want nil", err)
			}
			if !tc.ok && (!errors.Is(err, ErrInvalidConfig) || p != nil) {
				t.Fatalf("NewFirebaseProject: got %v, %v, want nil, ErrInvalidConfig", p, err)
			}
		})
	}
}

func TestFirebaseProjectPrintsRedacted(t *testing.T) {
	p := testFirebaseProject()
	p.SignerKey = []byte("0123456789abcdef-secret-signer-key")
	secret := []string{string(p.SignerKey), base64.StdEncoding.EncodeToString(p.SignerKey),
		fmt.Sprint([]byte(p.SignerKey))}

	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("project", "firebase", p)
	outputs := []string{fmt.Sprint(p), fmt.Sprintf("%v", *p), fmt.Sprintf("%+v", p),
		fmt.Sprintf("%#v", p), logged.String()}
	for _, out := range outputs {
		for _, s := range secret {
			if strings.Contains(out, s) {
				t.Fatalf("output %q: got the signer key, want it redacted", out)
			}
		}
		if !strings.Contains(out, "redacted") {
			t.Fatalf("output %q: want it to say the key is redacted", out)
		}
	}
}
