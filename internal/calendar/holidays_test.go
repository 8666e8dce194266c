package calendar

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// publishedYears are the years with a published list under testdata; the
// test fails if one goes missing.
var publishedYears = []int{2019, 2020, 2023, 2024, 2025, 2026, 2031}

func TestHolidaysMatchPublishedLists(t *testing.T) {
	for _, year := range publishedYears {
		t.Run(strconv.Itoa(year), func(t *testing.T) {
			path := filepath.Join("testdata", "holidays", fmt.Sprintf("%d.txt", year))
			var want []string
			for _, line := range readDataLines(t, path) {
				date, name, ok := strings.Cut(line, "\t")
				if !ok {
					t.Fatalf("%s: line %q has no tab", path, line)
				}
				want = append(want, mustDate(t, date).String()+" "+name)
			}

			hs, err := Holidays(year)
			if err != nil {
				t.Fatalf("Holidays(%d): got err %v, want nil", year, err)
			}
			var got []string
			for _, h := range hs {
				got = append(got, h.Date.String()+" "+h.Name)
			}

			if len(got) != len(want) {
				t.Fatalf("got %d holidays, want %d:\n got %q\nwant %q",
					len(got), len(want), got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("holiday %d: got %q, want %q", i, got[i], want[i])
				}
			}
		})
	}
}

func TestHolidaysCount2024And2025(t *testing.T) {
	tests := []struct {
		year, wantHolidays, wantDistinct int
	}{
		{year: 2024, wantHolidays: 18, wantDistinct: 18},
		{year: 2025, wantHolidays: 18, wantDistinct: 17},
	}
	for _, tc := range tests {
		t.Run(strconv.Itoa(tc.year), func(t *testing.T) {
			hs, err := Holidays(tc.year)
			if err != nil {
				t.Fatalf("got err %v, want nil", err)
			}
			distinct := map[Date]bool{}
			for _, h := range hs {
				distinct[h.Date] = true
			}
			if len(hs) != tc.wantHolidays || len(distinct) != tc.wantDistinct {
				t.Fatalf("got %d holidays on %d dates, want %d on %d",
					len(hs), len(distinct), tc.wantHolidays, tc.wantDistinct)
			}
		})
	}
}

func TestHolidaysRejectsUnsupportedYears(t *testing.T) {
	for _, year := range []int{MinYear - 1, MaxYear + 1, 0, -5, 1 << 40} {
		t.Run(strconv.Itoa(year), func(t *testing.T) {
			hs, err := Holidays(year)
			if !errors.Is(err, ErrOutOfRange) {
				t.Fatalf("got err %v, want ErrOutOfRange", err)
			}
			if hs != nil {
				t.Fatalf("got %d holidays on error, want nil", len(hs))
			}
		})
	}
	for _, year := range []int{MinYear, MaxYear} {
		if _, err := Holidays(year); err != nil {
			t.Fatalf("Holidays(%d): got err %v, want nil", year, err)
		}
	}
}

func TestHolidayRulesHoldEveryYear(t *testing.T) {
	// The observed offsets from Easter that published calendars show.
	wantEasterOffset := map[string]int{
		"Jueves Santo":             -3,
		"Viernes Santo":            -2,
		"Ascensión del Señor":      43,
		"Corpus Christi":           64,
		"Sagrado Corazón de Jesús": 71,
	}
	for year := MinYear; year <= MaxYear; year++ {
		hs, err := Holidays(year)
		if err != nil {
			t.Fatalf("Holidays(%d): %v", year, err)
		}
		if len(hs) != len(rules) {
			t.Fatalf("%d: got %d holidays, want %d", year, len(hs), len(rules))
		}
		e := easter(year)
		for i, h := range hs {
			if h.Date.Year() != year || h.Original.Year() != year {
				t.Fatalf("%d %s: got %v (from %v), want both in %d",
					year, h.Name, h.Date, h.Original, year)
			}
			if i > 0 && h.Date.Before(hs[i-1].Date) {
				t.Fatalf("%d: %s on %v sorted after %v", year, h.Name, h.Date, hs[i-1].Date)
			}
			if h.Movable {
				if h.Date.Weekday() != time.Monday {
					t.Fatalf("%d %s: observed on a %v, want Monday",
						year, h.Name, h.Date.Weekday())
				}
				gap := h.Date.dayNumber() - h.Original.dayNumber()
				if gap < 0 || gap > 6 {
					t.Fatalf("%d %s: moved %d days, want 0..6", year, h.Name, gap)
				}
				if (gap == 0) != (h.Original.Weekday() == time.Monday) {
					t.Fatalf("%d %s: moved %d days from a %v", year, h.Name, gap,
						h.Original.Weekday())
				}
			} else if h.Date != h.Original {
				t.Fatalf("%d %s: fixed holiday moved from %v to %v",
					year, h.Name, h.Original, h.Date)
			}
			if off, ok := wantEasterOffset[h.Name]; ok {
				if got := h.Date.dayNumber() - e.dayNumber(); got != off {
					t.Fatalf("%d %s: got Easter%+d, want Easter%+d", year, h.Name, got, off)
				}
			}
			if !IsHoliday(h.Date) || IsBusinessDay(h.Date) {
				t.Fatalf("%d %s on %v: IsHoliday %v, IsBusinessDay %v",
					year, h.Name, h.Date, IsHoliday(h.Date), IsBusinessDay(h.Date))
			}
		}
	}
}

func TestFixedHolidaysNeverMove(t *testing.T) {
	fixed := []string{"01-01", "05-01", "07-20", "08-07", "12-08", "12-25"}
	for year := MinYear; year <= MaxYear; year++ {
		for _, md := range fixed {
			d := mustDate(t, fmt.Sprintf("%04d-%s", year, md))
			if !IsHoliday(d) {
				t.Fatalf("got %v (%v) not a holiday, want holiday", d, d.Weekday())
			}
		}
	}
}

func TestIsHolidayAndIsBusinessDay(t *testing.T) {
	tests := []struct {
		name         string
		date         string
		wantHoliday  bool
		wantBusiness bool
	}{
		{name: "Jueves Santo 2025 is a holiday", date: "2025-04-17", wantHoliday: true},
		{name: "Wednesday of Holy Week is a business day", date: "2025-04-16",
			wantBusiness: true},
		{name: "6 January 2026 is worked, Reyes moves to the 12th", date: "2026-01-06",
			wantBusiness: true},
		{name: "12 January 2026 is Reyes", date: "2026-01-12", wantHoliday: true},
		{name: "20 July 2025 is a holiday on a Sunday", date: "2025-07-20", wantHoliday: true},
		{name: "a Saturday is not a business day", date: "2025-04-19"},
		{name: "a plain Tuesday is a business day", date: "2025-04-22", wantBusiness: true},
		{name: "24 December is a business day", date: "2025-12-24", wantBusiness: true},
		{name: "31 December is a business day", date: "2025-12-31", wantBusiness: true},
		{name: "a year before Ley 51 is unknown", date: "1983-12-26"},
		{name: "a year after MaxYear is unknown", date: "2201-01-05"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := mustDate(t, tc.date)
			if got := IsHoliday(d); got != tc.wantHoliday {
				t.Errorf("IsHoliday(%v): got %v, want %v", d, got, tc.wantHoliday)
			}
			if got := IsBusinessDay(d); got != tc.wantBusiness {
				t.Errorf("IsBusinessDay(%v): got %v, want %v", d, got, tc.wantBusiness)
			}
		})
	}
	if IsHoliday(Date{}) || IsBusinessDay(Date{}) {
		t.Fatal("got the zero Date as holiday or business day, want neither")
	}
}

func TestHolidaysReturnsACopy(t *testing.T) {
	hs, err := Holidays(2025)
	if err != nil {
		t.Fatal(err)
	}
	hs[0].Name = "changed"
	hs[0].Date = mustDate(t, "2025-02-03")
	again, _ := Holidays(2025)
	if again[0].Name != "Año Nuevo" || IsHoliday(mustDate(t, "2025-02-03")) {
		t.Fatalf("got %q after the caller edited its copy, want Año Nuevo", again[0].Name)
	}
}

func TestCacheIsSafeForConcurrentUse(t *testing.T) {
	for i := range cache {
		cache[i].Store(nil)
	}

	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i <= MaxYear-MinYear; i++ {
				year := MinYear + (i+g*13)%(MaxYear-MinYear+1)
				hs, err := Holidays(year)
				if err != nil {
					errs <- err
					return
				}
				want := computeYear(year).holidays
				for j := range want {
					if hs[j] != want[j] {
						errs <- fmt.Errorf("%d: got %+v, want %+v", year, hs[j], want[j])
						return
					}
				}
				IsBusinessDay(Date{year: year, month: time.June, day: 30})
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
