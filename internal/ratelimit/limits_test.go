package ratelimit

import (
	"strings"
	"testing"
	"time"
)

func TestLimitValidate(t *testing.T) {
	tests := []struct {
		name    string
		limit   Limit
		wantErr string // "" when valid
	}{
		{"accepts a plain limit", Limit{10, time.Minute, 5}, ""},
		{"accepts the largest limit", Limit{maxRate, maxPeriod, maxRate}, ""},
		{"accepts burst equal to rate", Limit{1, time.Second, 1}, ""},
		{"rejects a zero limit", Limit{}, "rate must be"},
		{"rejects a negative rate", Limit{-1, time.Minute, 1}, "got -1"},
		{"rejects a rate just past the cap", Limit{maxRate + 1, time.Hour, 1}, "rate must be"},
		{"rejects a period under a second", Limit{1, 999 * time.Millisecond, 1}, "period must"},
		{"rejects a period just past a day", Limit{1, maxPeriod + time.Second, 1}, "period"},
		{"rejects a fractional period", Limit{1, 1500 * time.Millisecond, 1}, "whole seconds"},
		{"rejects a zero burst", Limit{10, time.Minute, 0}, "burst must"},
		{"rejects a burst above the rate", Limit{10, time.Minute, 11}, "got 11"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.limit.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("got %v, want no error", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("got %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestLimitString(t *testing.T) {
	tests := []struct {
		limit Limit
		want  string
	}{
		{Limit{10, time.Minute, 5}, "10/1m burst 5"},
		{Limit{30, time.Hour, 10}, "30/1h burst 10"},
		{Limit{4, 90 * time.Second, 2}, "4/90s burst 2"},
		{Limit{4, 120 * time.Second, 2}, "4/2m burst 2"},
		{Limit{1, 24 * time.Hour, 1}, "1/24h burst 1"},
	}
	for _, tc := range tests {
		if got := tc.limit.String(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func TestParseLimit(t *testing.T) {
	tests := []struct {
		in      string
		want    Limit
		wantErr bool
	}{
		{in: "20/1m burst 10", want: Limit{20, time.Minute, 10}},
		{in: "  6000/1m  burst  1000 ", want: Limit{6000, time.Minute, 1000}},
		{in: "300/1m", want: Limit{300, time.Minute, 300}},
		{in: "5/1h30m burst 3", want: Limit{5, 90 * time.Minute, 3}},
		{in: "", wantErr: true},
		{in: "20", wantErr: true},
		{in: "20/", wantErr: true},
		{in: "/1m", wantErr: true},
		{in: "+20/1m", wantErr: true},
		{in: "-20/1m", wantErr: true},
		{in: "2_0/1m", wantErr: true},
		{in: "20/1m burst", wantErr: true},
		{in: "20/1m burst 5 extra", wantErr: true},
		{in: "20/1m bust 5", wantErr: true},
		{in: "20/1m burst 21", wantErr: true},
		{in: "20/500ms", wantErr: true},
		{in: "20/minute", wantErr: true},
		{in: "99999999/1m", wantErr: true},
		{in: "1/1m burst 1" + strings.Repeat(" ", 60), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseLimit(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("got %v, want an error", got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func FuzzParseLimit(f *testing.F) {
	for _, s := range []string{"20/1m burst 10", "300/1m", "5/1h burst 3", "1/24h burst 1",
		"20/500ms", "0/1m", "1000000/1s burst 1000000", "20/1m burst 21"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLimit(s)
		if err != nil {
			if l != (Limit{}) {
				t.Fatalf("error %v came with a half-built limit %v", err, l)
			}
			return
		}
		if err := l.Validate(); err != nil {
			t.Fatalf("ParseLimit(%q) = %v, which is invalid: %v", s, l, err)
		}
		again, err := ParseLimit(l.String())
		if err != nil || again != l {
			t.Fatalf("round trip of %v: got %v, %v", l, again, err)
		}
	})
}

func TestDefaultLimitsAreValid(t *testing.T) {
	ls := DefaultLimits()
	if err := ls.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range Classes() {
		if _, ok := ls[c]; !ok {
			t.Errorf("no default limit for class %q", c)
		}
	}
}

func TestLimitsValidate(t *testing.T) {
	tests := []struct {
		name    string
		limits  Limits
		wantErr string
	}{
		{"accepts a class and a class per kind",
			Limits{ClassLogin: {10, time.Minute, 5}, "login.account": {5, time.Minute, 5}}, ""},
		{"accepts a custom kind", Limits{"default.device-id": {10, time.Minute, 5}}, ""},
		{"rejects an unknown class", Limits{"logon": {10, time.Minute, 5}}, "unknown class"},
		{"rejects a malformed kind", Limits{"login.Account": {10, time.Minute, 5}}, "malformed"},
		{"rejects an empty kind", Limits{"login.": {10, time.Minute, 5}}, "malformed"},
		{"names the bad entry", Limits{"code.account": {10, time.Minute, 50}},
			`"code.account": burst`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.limits.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("got %v, want no error", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("got %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	ls, err := ParseLimits(map[string]string{"login": "40/1m burst 20",
		"login.account": "5/1m burst 5"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ls[ClassLogin.Per(KindAccount)], (Limit{5, time.Minute, 5}); got != want {
		t.Fatalf("got %v, want %v", got, want)
	}
	if _, err := ParseLimits(map[string]string{"login": "40 per minute"}); err == nil ||
		!strings.HasPrefix(err.Error(), "login: ") {
		t.Fatalf("got %v, want an error naming the entry", err)
	}
	if _, err := ParseLimits(map[string]string{"signin": "40/1m"}); err == nil {
		t.Fatal("accepted an unknown class")
	}
}

func TestLimitsLookup(t *testing.T) {
	ls := Limits{
		ClassLogin:                  {20, time.Minute, 10},
		ClassLogin.Per(KindAccount): {10, time.Minute, 5},
		ClassDefault:                {300, time.Minute, 100},
	}
	tests := []struct {
		class    Class
		kind     Kind
		wantName Class
	}{
		{ClassLogin, KindAccount, "login.account"},
		{ClassLogin, KindIP, "login"},
		{ClassCode, KindIP, "default"},
	}
	for _, tc := range tests {
		name, l := ls.lookup(tc.class, tc.kind)
		if name != tc.wantName || l != ls[tc.wantName] {
			t.Errorf("lookup(%s, %s): got %s %v, want %s", tc.class, tc.kind, name, l,
				tc.wantName)
		}
	}
}
