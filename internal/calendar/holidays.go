package calendar

import (
	"fmt"
	"sort"
	"sync/atomic"
	"time"
)

// Holiday is one national day of rest (día de descanso obligatorio
// remunerado) in a given year.
type Holiday struct {
	// Date is the day of rest, after any move to Monday. It is the date that
	// makes a day a holiday for IsHoliday and IsBusinessDay.
	Date Date
	// Original is the date of the feast itself. It equals Date for the fixed
	// holidays and for a movable one that already falls on a Monday.
	Original Date
	// Name is the Spanish name of the feast.
	Name string
	// Movable reports whether Ley 51 de 1983 moves this feast to the next
	// Monday when it does not fall on one.
	Movable bool
}

// rule describes one holiday of art. 177 of the Código Sustantivo del Trabajo
// as amended by art. 1 of Ley 51 de 1983. A rule is either a fixed calendar
// date (month and day set) or an offset in days from Easter Sunday (month
// zero).
type rule struct {
	name    string
	month   time.Month
	day     int
	easter  int
	movable bool
}

// rules is the whole list of national holidays.
//
// Ley 51 de 1983 art. 1, numeral 1, lists the days of rest. Numeral 2 moves
// to the following Monday those that do not fall on a Monday: 6 January,
// 19 March, 29 June, 15 August, 12 October, 1 November, 11 November,
// Ascensión del Señor, Corpus Christi and Sagrado Corazón de Jesús. Numeral 3
// moves a feast that falls on a Sunday to the Monday as well, which the same
// "next Monday" rule already covers. Jueves and Viernes Santo and the six
// remaining civil and religious dates never move.
//
// The Easter offsets are those of the liturgical feasts: Ascension is a
// Thursday, Easter + 39; Corpus Christi a Thursday, Easter + 60; the Sacred
// Heart a Friday, Easter + 68. Moved to Monday they land on Easter + 43, + 64
// and + 71, the offsets every published Colombian calendar shows.
var rules = [...]rule{
	{name: "Año Nuevo", month: time.January, day: 1},
	{name: "Día de los Reyes Magos", month: time.January, day: 6, movable: true},
	{name: "Día de San José", month: time.March, day: 19, movable: true},
	{name: "Jueves Santo", easter: -3},
	{name: "Viernes Santo", easter: -2},
	{name: "Día del Trabajo", month: time.May, day: 1},
	{name: "Ascensión del Señor", easter: 39, movable: true},
	{name: "Corpus Christi", easter: 60, movable: true},
	{name: "Sagrado Corazón de Jesús", easter: 68, movable: true},
	{name: "San Pedro y San Pablo", month: time.June, day: 29, movable: true},
	{name: "Día de la Independencia", month: time.July, day: 20},
	{name: "Batalla de Boyacá", month: time.August, day: 7},
	{name: "Asunción de la Virgen", month: time.August, day: 15, movable: true},
	{name: "Día de la Raza", month: time.October, day: 12, movable: true},
	{name: "Todos los Santos", month: time.November, day: 1, movable: true},
	{name: "Independencia de Cartagena", month: time.November, day: 11, movable: true},
	{name: "Inmaculada Concepción", month: time.December, day: 8},
	{name: "Navidad", month: time.December, day: 25},
}

// yearTable holds one computed year. It is immutable once published.
type yearTable struct {
	// y is the year the table was computed for.
	y int
	// holidays is sorted by observed date, then by original date.
	holidays []Holiday
	// mask has bit d of mask[m] set when day d of month m is a day of rest.
	mask [13]uint32
	// weekdayRest holds the day numbers of the distinct days of rest that
	// fall Monday to Friday, ascending. Two feasts moved to the same Monday
	// (Sagrado Corazón and San Pedro in 2025) appear once.
	weekdayRest []int
}

// cache holds each supported year once computed. A year is pure data derived
// from its number, so two goroutines racing to fill a slot compute the same
// table and either may win.
var cache [MaxYear - MinYear + 1]atomic.Pointer[yearTable]

// tableFor returns the table of year y, computing and caching it on first
// use, or false when y is outside MinYear..MaxYear.
func tableFor(y int) (*yearTable, bool) {
	if y < MinYear || y > MaxYear {
		return nil, false
	}
	slot := &cache[y-MinYear]
	if t := slot.Load(); t != nil {
		return t, true
	}
	slot.CompareAndSwap(nil, computeYear(y))
	return slot.Load(), true
}

// computeYear applies every rule to year y.
func computeYear(y int) *yearTable {
	sunday := easter(y)
	t := &yearTable{y: y, holidays: make([]Holiday, 0, len(rules))}

	for _, r := range rules {
		orig := Date{year: y, month: r.month, day: r.day}
		if r.month == 0 {
			orig = sunday.AddDays(r.easter)
		}
		observed := orig
		if r.movable {
			observed = nextMonday(orig)
		}
		t.holidays = append(t.holidays, Holiday{
			Date: observed, Original: orig, Name: r.name, Movable: r.movable,
		})
	}

	sort.SliceStable(t.holidays, func(i, j int) bool {
		a, b := t.holidays[i], t.holidays[j]
		if c := a.Date.Compare(b.Date); c != 0 {
			return c < 0
		}
		return a.Original.Before(b.Original)
	})

	for _, h := range t.holidays {
		t.mask[h.Date.month] |= 1 << uint(h.Date.day)
	}
	for m := time.January; m <= time.December; m++ {
		for d := 1; d <= daysIn(m, y); d++ {
			if t.mask[m]&(1<<uint(d)) == 0 {
				continue
			}
			n := Date{year: y, month: m, day: d}.dayNumber()
			if isWeekday(weekdayOf(n)) {
				t.weekdayRest = append(t.weekdayRest, n)
			}
		}
	}
	return t
}

// nextMonday returns d when it is a Monday and otherwise the first Monday
// after it, as Ley 51 de 1983 art. 1 numerals 2 and 3 require.
func nextMonday(d Date) Date {
	wd := int(d.Weekday())
	return d.AddDays((8 - wd) % 7)
}

func isWeekday(wd time.Weekday) bool { return wd != time.Saturday && wd != time.Sunday }

// Holidays returns the national holidays of year, sorted by the date of rest.
// There are always 18; two of them can share a Monday. The slice is a copy
// the caller may modify. Years outside MinYear..MaxYear fail with
// ErrOutOfRange.
func Holidays(year int) ([]Holiday, error) {
	t, ok := tableFor(year)
	if !ok {
		return nil, fmt.Errorf("holidays of %d: %w", year, ErrOutOfRange)
	}
	out := make([]Holiday, len(t.holidays))
	copy(out, t.holidays)
	return out, nil
}

// Supported reports whether d falls in a year whose holidays are known,
// MinYear..MaxYear.
func Supported(d Date) bool { return d.year >= MinYear && d.year <= MaxYear }

// IsHoliday reports whether d is a national day of rest. It reports false for
// dates that are not Supported; callers that must tell "not a holiday" from
// "unknown" check Supported first.
func IsHoliday(d Date) bool {
	t, ok := tableFor(d.year)
	return ok && t.isRest(d)
}

// IsBusinessDay reports whether d is a business day (día hábil): Monday to
// Friday and not a national holiday. It reports false for dates that are not
// Supported, so a day of unknown status is never counted toward a term.
func IsBusinessDay(d Date) bool {
	t, ok := tableFor(d.year)
	return ok && isWeekday(d.Weekday()) && !t.isRest(d)
}

func (t *yearTable) isRest(d Date) bool {
	if d.month < time.January || d.month > time.December || d.day < 1 || d.day > 31 {
		return false
	}
	return t.mask[d.month]&(1<<uint(d.day)) != 0
}
