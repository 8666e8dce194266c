package sms

import (
	"errors"
	"strings"
	"testing"
)

func TestParseNumber(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    string
		wantErr error
	}{
		{"+573001234567", "+573001234567", nil},
		{"300 123 4567", "+573001234567", nil},
		{"(300) 123-4567", "+573001234567", nil},
		{" +57 320 1234567 ", "+573201234567", nil},
		{"+1 415 555 2671", "+14155552671", nil}, // North America: fixed or mobile
		{"+44 7911 123456", "+447911123456", nil},
		{"601 234 5678", "", ErrNotMobile},         // a Bogotá landline
		{"300 123 4567 ext. 5", "", ErrNotMobile},  // extensions get no texts
		{"+1 800 555 0199", "", ErrNotMobile},      // toll free
		{"123", "", ErrInvalidNumber},              // too short
		{"300 123 456", "", ErrInvalidNumber},      // a digit missing
		{"+99 300 123 4567", "", ErrInvalidNumber}, // no such country code
		{"", "", ErrInvalidNumber},
		{"call me", "", ErrInvalidNumber},
		{strings.Repeat(" ", 40) + "3001234567", "+573001234567", nil}, // trimmed first
		{"+57 300 123 4567" + strings.Repeat("0", maxNumberInputBytes), "", ErrInvalidNumber},
	} {
		got, err := ParseNumber(tc.in)
		if got != tc.want || !errors.Is(err, tc.wantErr) {
			t.Errorf("ParseNumber(%q): got (%q, %v), want (%q, %v)", tc.in, got, err, tc.want,
				tc.wantErr)
		}
	}
}

func TestParseNumberBound(t *testing.T) {
	// Exactly at the bound, padded with spaces inside.
	in := "+57 300 123 4567"
	in = in[:3] + strings.Repeat(" ", maxNumberInputBytes-len(in)) + in[3:]
	if got, err := ParseNumber(in); err != nil || got != "+573001234567" {
		t.Errorf("%d bytes: got (%q, %v), want +573001234567", len(in), got, err)
	}
	if _, err := ParseNumber(in[:3] + " " + in[3:]); !errors.Is(err, ErrInvalidNumber) {
		t.Errorf("%d bytes: got %v, want ErrInvalidNumber", len(in)+1, err)
	}
}

func TestMaskNumber(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"+573001234567", "+57 300 ••• ••67"},
		{"+14155552671", "+1 415 ••• ••71"},
		{"+34612345678", "+34 612 ••• •78"},
		{"+4915123456789", "+49 151 ••• •••89"},
		{"+12345678", "+1 2 ••• •78"},     // short: at least four hidden
		{"+3312345678", "+33 12 ••• •78"}, // nine national digits
		{"3001234567", "•••"},
		{"", "•••"},
	} {
		if got := MaskNumber(tc.in); got != tc.want {
			t.Errorf("MaskNumber(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
