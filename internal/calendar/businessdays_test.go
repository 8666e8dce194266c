package calendar

import (
	"errors"
	"math/rand"
	"testing"
	"testing/quick"
	"time"
)

func TestDeadline(t *testing.T) {
	tests := []struct {
		name     string
		received time.Time
		days     int
		want     string
	}{
		{name: "consulta received the Monday of Holy Week skips Jueves, Viernes and 1 May",
			received: cot(2025, time.April, 14, 10, 0), days: 10, want: "2025-04-30"},
		{name: "one day from the Wednesday of Holy Week is Easter Monday",
			received: cot(2025, time.April, 16, 9, 0), days: 1, want: "2025-04-21"},
		{name: "filing on Jueves Santo counts as received Easter Monday",
			received: cot(2025, time.April, 17, 12, 0), days: 10, want: "2025-05-06"},
		{name: "filing on a Saturday counts as received the next business day",
			received: cot(2025, time.April, 19, 8, 0), days: 10, want: "2025-05-06"},
		{name: "filing on a Sunday counts as received the next business day",
			received: cot(2025, time.April, 20, 23, 59), days: 10, want: "2025-05-06"},
		{name: "zero days from a Saturday is the deemed day of receipt",
			received: cot(2025, time.April, 19, 8, 0), days: 0, want: "2025-04-21"},
		{name: "zero days from a business day is that day",
			received: cot(2025, time.April, 16, 8, 0), days: 0, want: "2025-04-16"},
		{name: "reclamo on Christmas Eve runs over Navidad, Año Nuevo and Reyes 2026",
			received: cot(2025, time.December, 24, 16, 0), days: 15, want: "2026-01-19"},
		{name: "consulta filed on Christmas Day counts from the 26th",
			received: cot(2025, time.December, 25, 10, 0), days: 10, want: "2026-01-13"},
		{name: "Monday Reyes 2024 is skipped",
			received: cot(2024, time.January, 5, 10, 0), days: 3, want: "2024-01-11"},
		{name: "San José and Holy Week in the same week of 2024",
			received: cot(2024, time.March, 22, 10, 0), days: 3, want: "2024-04-01"},
		{name: "a shared Monday holiday counts once",
			received: cot(2025, time.June, 27, 10, 0), days: 1, want: "2025-07-01"},
		{name: "receipt is dated in Bogotá, not UTC",
			received: time.Date(2025, time.April, 17, 3, 0, 0, 0, time.UTC), days: 1,
			want: "2025-04-21"},
		{name: "New Year's Eve in Bogotá is 1 January in UTC",
			received: time.Date(2026, time.January, 1, 4, 30, 0, 0, time.UTC), days: 1,
			want: "2026-01-02"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Deadline(tc.received, tc.days)
			if err != nil {
				t.Fatalf("got err %v, want nil", err)
			}
			if got.String() != tc.want {
				t.Fatalf("got %v, want %s", got, tc.want)
			}
		})
	}
}

func TestDeadlineRejectsBadInput(t *testing.T) {
	tests := []struct {
		name     string
		received time.Time
		days     int
		want     error
	}{
		{name: "rejects a negative count", received: cot(2025, time.May, 5, 9, 0),
			days: -1, want: ErrBusinessDays},
		{name: "rejects a count just past the cap", received: cot(2025, time.May, 5, 9, 0),
			days: MaxBusinessDays + 1, want: ErrBusinessDays},
		{name: "rejects a huge count without looping", received: cot(2025, time.May, 5, 9, 0),
			days: 1 << 62, want: ErrBusinessDays},
		{name: "rejects receipt before Ley 51", received: cot(1983, time.December, 30, 9, 0),
			days: 1, want: ErrOutOfRange},
		{name: "rejects receipt after MaxYear", received: cot(2201, time.January, 2, 9, 0),
			days: 1, want: ErrOutOfRange},
		{name: "rejects a term that runs past MaxYear",
			received: cot(2200, time.December, 29, 9, 0), days: 5, want: ErrOutOfRange},
		{name: "rejects the zero time", received: time.Time{}, days: 1, want: ErrOutOfRange},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Deadline(tc.received, tc.days)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got err %v, want %v", err, tc.want)
			}
			if !got.IsZero() {
				t.Fatalf("got %v on error, want zero Date", got)
			}
		})
	}
}

func TestDeadlineAtTheCap(t *testing.T) {
	got, err := Deadline(cot(2025, time.January, 2, 9, 0), MaxBusinessDays)
	if err != nil {
		t.Fatalf("got err %v, want nil", err)
	}
	n, err := BusinessDaysBetween(mustDate(t, "2025-01-02"), got)
	if err != nil || n != MaxBusinessDays {
		t.Fatalf("got %d, %v business days, want %d, nil", n, err, MaxBusinessDays)
	}
}

func TestAddBusinessDays(t *testing.T) {
	tests := []struct {
		name  string
		start string
		n     int
		want  string
		err   error
	}{
		{name: "Friday plus one is Monday", start: "2025-12-19", n: 1, want: "2025-12-22"},
		{name: "skips Navidad", start: "2025-12-24", n: 1, want: "2025-12-26"},
		{name: "from a Sunday counts Monday as the first", start: "2025-12-21", n: 1,
			want: "2025-12-22"},
		{name: "zero returns the start even on a holiday", start: "2025-12-25", n: 0,
			want: "2025-12-25"},
		{name: "crosses into the next year", start: "2025-12-31", n: 1, want: "2026-01-02"},
		{name: "reaches the last supported day", start: "2200-12-30", n: 1,
			want: "2200-12-31"},
		{name: "fails past the last supported year", start: "2200-12-30", n: 2,
			err: ErrOutOfRange},
		{name: "fails before the first supported year", start: "1983-12-30", n: 1,
			err: ErrOutOfRange},
		{name: "fails on a negative count", start: "2025-01-02", n: -3, err: ErrBusinessDays},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := AddBusinessDays(mustDate(t, tc.start), tc.n)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("got err %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("got err %v, want nil", err)
			}
			if got.String() != tc.want {
				t.Fatalf("got %v, want %s", got, tc.want)
			}
		})
	}
}

func TestBusinessDaysBetween(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want int
		err  error
	}{
		{name: "same day is zero", a: "2025-04-17", b: "2025-04-17", want: 0},
		{name: "Holy Week term", a: "2025-04-14", b: "2025-04-30", want: 10},
		{name: "reversed order is negative", a: "2025-04-30", b: "2025-04-14", want: -10},
		{name: "the whole of 2025 has 245 business days", a: "2024-12-31",
			b: "2025-12-31", want: 245},
		{name: "a weekend is zero", a: "2025-04-18", b: "2025-04-20", want: 0},
		{name: "rejects an unsupported year", a: "1983-12-31", b: "2025-01-01",
			err: ErrOutOfRange},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := mustDate(t, tc.a), mustDate(t, tc.b)
			got, err := BusinessDaysBetween(a, b)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("got err %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("got err %v, want nil", err)
			}
			if got != tc.want {
				t.Fatalf("got %d, want %d", got, tc.want)
			}
		})
	}
}

func TestBusinessDaysBetweenOverTheWholeRange(t *testing.T) {
	a, b := Date{year: MinYear, month: time.January, day: 1}, lastSupportedDay()
	got, err := BusinessDaysBetween(a, b)
	if want := naiveBusinessDays(a, b); err != nil || got != want {
		t.Fatalf("got %d, %v, want %d, nil", got, err, want)
	}
}

// naiveBusinessDays counts business days in (a, b] one day at a time, as an
// independent check of the closed formula.
func naiveBusinessDays(a, b Date) int {
	n := 0
	for d := a.next(); !d.After(b); d = d.next() {
		if IsBusinessDay(d) {
			n++
		}
	}
	return n
}

// quickConfig runs n cases from a fixed seed, so a failure reproduces.
func quickConfig(n int) *quick.Config {
	return &quick.Config{MaxCount: n, Rand: rand.New(rand.NewSource(int64(n)))}
}

func lastSupportedDay() Date { return Date{year: MaxYear, month: time.December, day: 31} }

// supportedDate maps an arbitrary integer onto a date in MinYear..MaxYear.
func supportedDate(seed uint32) Date {
	lo := Date{year: MinYear, month: time.January, day: 1}.dayNumber()
	hi := Date{year: MaxYear, month: time.December, day: 31}.dayNumber()
	return fromDayNumber(lo + int(seed)%(hi-lo+1))
}

func TestPropertyAddBusinessDaysLandsOnABusinessDay(t *testing.T) {
	prop := func(seed uint32, k uint16) bool {
		start, n := supportedDate(seed), int(k%400)
		got, err := AddBusinessDays(start, n)
		if errors.Is(err, ErrOutOfRange) {
			// Only right when fewer than n business days are left.
			left, _ := BusinessDaysBetween(start, lastSupportedDay())
			return left < n
		}
		if err != nil {
			t.Logf("AddBusinessDays(%v, %d): %v", start, n, err)
			return false
		}
		if n == 0 {
			return got == start
		}
		return IsBusinessDay(got) && got.After(start)
	}
	if err := quick.Check(prop, quickConfig(5000)); err != nil {
		t.Fatal(err)
	}
}

func TestPropertyBetweenInvertsAdd(t *testing.T) {
	prop := func(seed uint32, k uint16) bool {
		start, n := supportedDate(seed), int(k%MaxBusinessDays)
		end, err := AddBusinessDays(start, n)
		if err != nil {
			left, _ := BusinessDaysBetween(start, lastSupportedDay())
			return errors.Is(err, ErrOutOfRange) && left < n
		}
		got, err := BusinessDaysBetween(start, end)
		if err != nil || got != n {
			t.Logf("BusinessDaysBetween(%v, %v): got %d, %v, want %d", start, end, got, err, n)
			return false
		}
		back, err := BusinessDaysBetween(end, start)
		return err == nil && back == -n
	}
	if err := quick.Check(prop, quickConfig(2000)); err != nil {
		t.Fatal(err)
	}
}

func TestPropertyBetweenMatchesDayByDayCount(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 3000; i++ {
		a := supportedDate(rng.Uint32())
		b := a.AddDays(rng.Intn(1200))
		if !Supported(b) {
			continue
		}
		got, err := BusinessDaysBetween(a, b)
		if want := naiveBusinessDays(a, b); err != nil || got != want {
			t.Fatalf("BusinessDaysBetween(%v, %v): got %d, %v, want %d", a, b, got, err, want)
		}
	}
}

func TestPropertyDeadlineIsAfterReceipt(t *testing.T) {
	prop := func(seed uint32, minute uint16, k uint8) bool {
		day := supportedDate(seed)
		if day.Year() == MaxYear {
			return true // too close to the end for a 30-day term to fit
		}
		received := day.Time().Add(time.Duration(minute%1440) * time.Minute)
		n := 1 + int(k%30)
		due, err := Deadline(received, n)
		if err != nil {
			t.Logf("Deadline(%v, %d): %v", received, n, err)
			return false
		}
		// The deadline is a business day after receipt, and exactly n business
		// days follow the deemed day of receipt.
		deemed, _ := businessDayOnOrAfter(day)
		between, _ := BusinessDaysBetween(deemed, due)
		return IsBusinessDay(due) && due.After(day) && between == n
	}
	if err := quick.Check(prop, quickConfig(3000)); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkDeadline(b *testing.B) {
	base := cot(2025, time.January, 1, 9, 0)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		received := base.Add(time.Duration(i%730) * 24 * time.Hour)
		if _, err := Deadline(received, ReclamoDays); err != nil {
			b.Fatal(err)
		}
	}
}
