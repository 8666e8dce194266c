package calendar

import (
	"path/filepath"
	"testing"
	"time"
)

func TestEasterMatchesPublishedDates(t *testing.T) {
	lines := readDataLines(t, filepath.Join("testdata", "easter.txt"))
	if len(lines) < 60 {
		t.Fatalf("got %d Easter dates in testdata, want at least 60", len(lines))
	}
	for _, line := range lines {
		want := mustDate(t, line)
		if got := easter(want.Year()); got != want {
			t.Errorf("easter(%d): got %v, want %v", want.Year(), got, want)
		}
	}
}

func TestEasterIsASundayBetween22MarchAnd25April(t *testing.T) {
	for y := 1583; y <= 4099; y++ {
		e := easter(y)
		if e.Weekday() != time.Sunday {
			t.Fatalf("easter(%d) = %v is a %v, want Sunday", y, e, e.Weekday())
		}
		lo := Date{year: y, month: time.March, day: 22}
		hi := Date{year: y, month: time.April, day: 25}
		if e.Before(lo) || e.After(hi) {
			t.Fatalf("easter(%d) = %v, want between %v and %v", y, e, lo, hi)
		}
	}
}
