package calendar

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNewDate(t *testing.T) {
	tests := []struct {
		name       string
		y          int
		m          time.Month
		d          int
		wantErr    bool
		wantString string
	}{
		{name: "accepts an ordinary date", y: 2025, m: time.April, d: 17,
			wantString: "2025-04-17"},
		{name: "accepts 29 February of a leap year", y: 2024, m: time.February, d: 29,
			wantString: "2024-02-29"},
		{name: "accepts 29 February of a 400-year leap year", y: 2000, m: time.February, d: 29,
			wantString: "2000-02-29"},
		{name: "rejects 29 February of a common year", y: 2025, m: time.February, d: 29,
			wantErr: true},
		{name: "rejects 29 February of a century year", y: 2100, m: time.February, d: 29,
			wantErr: true},
		{name: "rejects 31 April", y: 2025, m: time.April, d: 31, wantErr: true},
		{name: "rejects day zero", y: 2025, m: time.May, d: 0, wantErr: true},
		{name: "rejects month zero", y: 2025, m: 0, d: 1, wantErr: true},
		{name: "rejects month thirteen", y: 2025, m: 13, d: 1, wantErr: true},
		{name: "rejects year zero", y: 0, m: time.January, d: 1, wantErr: true},
		{name: "rejects a five-digit year", y: 10000, m: time.January, d: 1, wantErr: true},
		{name: "accepts year one", y: 1, m: time.January, d: 1, wantString: "0001-01-01"},
		{name: "accepts year 9999", y: 9999, m: time.December, d: 31, wantString: "9999-12-31"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := NewDate(tc.y, tc.m, tc.d)
			if tc.wantErr {
				if !errors.Is(err, ErrInvalidDate) {
					t.Fatalf("got err %v, want ErrInvalidDate", err)
				}
				if !d.IsZero() {
					t.Fatalf("got date %v on error, want zero Date", d)
				}
				return
			}
			if err != nil {
				t.Fatalf("got err %v, want nil", err)
			}
			if got := d.String(); got != tc.wantString {
				t.Fatalf("got %q, want %q", got, tc.wantString)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	accept := []string{"2025-04-17", "1984-01-01", "2200-12-31", "0001-01-01", "9999-12-31",
		"2024-02-29"}
	for _, s := range accept {
		t.Run("accepts "+s, func(t *testing.T) {
			d, err := ParseDate(s)
			if err != nil {
				t.Fatalf("got err %v, want nil", err)
			}
			if got := d.String(); got != s {
				t.Fatalf("got %q, want %q", got, s)
			}
		})
	}

	reject := []struct{ name, in string }{
		{"empty input", ""},
		{"trailing newline", "2025-04-17\n"},
		{"trailing time", "2025-04-17T00:00:00Z"},
		{"leading space", " 2025-04-17"},
		{"unpadded month", "2025-4-17"},
		{"unpadded day", "2025-04-7"},
		{"signed year", "+025-04-17"},
		{"signed month", "2025-+4-17"},
		{"slashes", "2025/04/17"},
		{"basic format", "20250417"},
		{"day month year order", "17-04-2025"},
		{"non-ASCII digit", "2025-04-1\u0667"},
		{"fullwidth digits", "２０２５-04-17"},
		{"year zero", "0000-01-01"},
		{"month zero", "2025-00-10"},
		{"month thirteen", "2025-13-10"},
		{"nonexistent day", "2025-02-29"},
		{"day 32", "2025-01-32"},
		{"oversized input", strings.Repeat("2025-04-17", 1000)},
		{"NUL byte", "2025-04-1\x00"},
	}
	for _, tc := range reject {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			d, err := ParseDate(tc.in)
			if !errors.Is(err, ErrInvalidDate) {
				t.Fatalf("got err %v, want ErrInvalidDate", err)
			}
			if !d.IsZero() {
				t.Fatalf("got %v on error, want zero Date", d)
			}
			if len(tc.in) > dateLen && strings.Contains(err.Error(), tc.in) {
				t.Fatalf("error echoes the input: %q", err.Error())
			}
		})
	}
}

func TestDateOfUsesColombianTime(t *testing.T) {
	tests := []struct {
		name string
		in   time.Time
		want string
	}{
		{name: "late evening in Bogotá is still that day",
			in: time.Date(2025, time.December, 25, 4, 59, 0, 0, time.UTC), want: "2025-12-24"},
		{name: "midnight in Bogotá starts the day",
			in: time.Date(2025, time.December, 25, 5, 0, 0, 0, time.UTC), want: "2025-12-25"},
		{name: "zone of the input is ignored",
			in:   time.Date(2025, time.January, 1, 1, 0, 0, 0, time.FixedZone("X", 9*3600)),
			want: "2024-12-31"},
		{name: "Colombian wall time maps to its own date",
			in: cot(2025, time.April, 17, 23, 59), want: "2025-04-17"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DateOf(tc.in).String(); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestDateArithmeticAgreesWithTime(t *testing.T) {
	// Every day from 1983 to 2201 checked against the standard library.
	start := time.Date(1983, time.January, 1, 0, 0, 0, 0, time.UTC)
	d := Date{year: 1983, month: time.January, day: 1}
	for i := 0; i < 219*366; i++ {
		ref := start.AddDate(0, 0, i)
		want := Date{year: ref.Year(), month: ref.Month(), day: ref.Day()}
		if d != want {
			t.Fatalf("next: got %v, want %v", d, want)
		}
		if got := d.Weekday(); got != ref.Weekday() {
			t.Fatalf("%v: weekday got %v, want %v", d, got, ref.Weekday())
		}
		if got := fromDayNumber(d.dayNumber()); got != d {
			t.Fatalf("day number round trip of %v: got %v", d, got)
		}
		if got := want.AddDays(-i); got.String() != "1983-01-01" {
			t.Fatalf("%v.AddDays(%d): got %v, want 1983-01-01", want, -i, got)
		}
		d = d.next()
	}
}

func TestDateCompare(t *testing.T) {
	a, b := mustDate(t, "2025-04-17"), mustDate(t, "2025-04-18")
	if !a.Before(b) || a.After(b) || a.Compare(b) != -1 {
		t.Fatalf("got %v not before %v, want before", a, b)
	}
	if b.Compare(a) != 1 || a.Compare(a) != 0 {
		t.Fatalf("got Compare %d and %d, want 1 and 0", b.Compare(a), a.Compare(a))
	}
	if c := mustDate(t, "2024-12-31"); !c.Before(a) {
		t.Fatalf("got %v not before %v, want before", c, a)
	}
}

func TestDateTimeIsMidnightInBogota(t *testing.T) {
	got := mustDate(t, "2025-04-17").Time()
	want := time.Date(2025, time.April, 17, 5, 0, 0, 0, time.UTC)
	if !got.Equal(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if DateOf(got) != mustDate(t, "2025-04-17") {
		t.Fatalf("got DateOf(Time()) %v, want 2025-04-17", DateOf(got))
	}
}

func TestDateText(t *testing.T) {
	t.Run("marshal round trips", func(t *testing.T) {
		d := mustDate(t, "2025-06-30")
		b, err := d.MarshalText()
		if err != nil {
			t.Fatalf("got err %v, want nil", err)
		}
		var back Date
		if err := back.UnmarshalText(b); err != nil || back != d {
			t.Fatalf("got %v, %v, want %v, nil", back, err, d)
		}
	})
	t.Run("marshal refuses the zero date", func(t *testing.T) {
		if _, err := (Date{}).MarshalText(); !errors.Is(err, ErrInvalidDate) {
			t.Fatalf("got err %v, want ErrInvalidDate", err)
		}
	})
	t.Run("unmarshal leaves the date unchanged on error", func(t *testing.T) {
		d := mustDate(t, "2025-06-30")
		if err := d.UnmarshalText([]byte("2025-06-31")); !errors.Is(err, ErrInvalidDate) {
			t.Fatalf("got err %v, want ErrInvalidDate", err)
		}
		if d.String() != "2025-06-30" {
			t.Fatalf("got %v, want 2025-06-30", d)
		}
	})
}

func FuzzParseDate(f *testing.F) {
	seeds := []string{"2025-04-17", "2024-02-29", "2025-02-29", "0000-01-01", "9999-12-31",
		"2025-4-17", "+025-04-17", "2025-04-17\n", "", "2025-04-1\u0667", "1984-01-01"}
	files, _ := filepath.Glob(filepath.Join("testdata", "holidays", "*.txt"))
	for _, path := range files {
		for _, line := range readDataLines(f, path) {
			date, _, _ := strings.Cut(line, "\t")
			seeds = append(seeds, date)
		}
	}
	for _, s := range seeds {
		f.Add(s)
	}

	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		ref, refErr := time.Parse(time.DateOnly, s)

		if err != nil {
			if !errors.Is(err, ErrInvalidDate) {
				t.Fatalf("got err %v, want ErrInvalidDate", err)
			}
			if !d.IsZero() {
				t.Fatalf("got %v with an error, want zero Date", d)
			}
			// time.Parse is laxer (it takes a sign in the year), so only
			// its canonical readings must be accepted here too.
			if refErr == nil && ref.Year() >= minDateYear && ref.Format(time.DateOnly) == s {
				t.Fatalf("rejected %q that time.Parse accepts as %v", s, ref)
			}
			return
		}

		// An accepted date is canonical: it prints back to the input, it is
		// a real date, and the standard library reads it the same way.
		if got := d.String(); got != s {
			t.Fatalf("got %q, want round trip to %q", got, s)
		}
		if _, err := NewDate(d.Year(), d.Month(), d.Day()); err != nil {
			t.Fatalf("accepted %q but NewDate rejects it: %v", s, err)
		}
		if refErr != nil {
			t.Fatalf("accepted %q that time.Parse rejects: %v", s, refErr)
		}
		if ref.Year() != d.Year() || ref.Month() != d.Month() || ref.Day() != d.Day() {
			t.Fatalf("got %v, time.Parse got %v", d, ref)
		}
		var u Date
		if err := u.UnmarshalText([]byte(s)); err != nil || u != d {
			t.Fatalf("UnmarshalText got %v, %v, want %v, nil", u, err, d)
		}
	})
}
