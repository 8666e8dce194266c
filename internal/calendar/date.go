package calendar

import (
	"fmt"
	"time"
)

// bogota is Colombian legal time. Colombia has kept UTC-5 without daylight
// saving since 1993, so a fixed zone is exact for current instants and needs
// no tz database on the host.
//
// NOTE: from 1992-05-03 to 1993-02-06 (per the IANA tz database) Colombia ran
// on UTC-4. DateOf still uses UTC-5 for instants in that period, so an instant
// in the first hour of a local day there maps to the previous date. This is
// accepted: no request handled by this system was received in 1992.
var bogota = time.FixedZone("COT", -5*60*60)

// Location returns the fixed UTC-5 zone in which this package turns instants
// into dates.
func Location() *time.Location { return bogota }

// Date is a civil date in the proleptic Gregorian calendar: a year, a month
// and a day, with no time of day and no zone. The zero Date is not a valid
// date; IsZero reports it. Dates are comparable with == and usable as map
// keys.
type Date struct {
	year  int
	month time.Month
	day   int
}

// NewDate returns the date year-month-day, or an error wrapping
// ErrInvalidDate when the year is outside 1..9999 or the day does not exist
// in that month (for example 2025-02-29).
func NewDate(year int, month time.Month, day int) (Date, error) {
	if year < minDateYear || year > maxDateYear {
		return Date{}, fmt.Errorf("new date: year %d: %w", year, ErrInvalidDate)
	}
	if month < time.January || month > time.December {
		return Date{}, fmt.Errorf("new date: month %d: %w", int(month), ErrInvalidDate)
	}
	if day < 1 || day > daysIn(month, year) {
		return Date{}, fmt.Errorf("new date: day %d of %04d-%02d: %w",
			day, year, int(month), ErrInvalidDate)
	}
	return Date{year: year, month: month, day: day}, nil
}

// DateOf returns the civil date of the instant t in Colombia (UTC-5),
// whatever zone t carries. An instant of 23:30 UTC-5 on 24 December is
// 24 December even though it is already 25 December in UTC.
func DateOf(t time.Time) Date {
	y, m, d := t.In(bogota).Date()
	return Date{year: y, month: m, day: d}
}

// ParseDate parses a date written exactly as YYYY-MM-DD: ten bytes, ASCII
// digits, zero padded, nothing before or after. It rejects every other
// spelling, so a date accepted here always prints back to the same string.
// Errors wrap ErrInvalidDate and do not echo the input.
func ParseDate(s string) (Date, error) {
	if len(s) != dateLen {
		return Date{}, fmt.Errorf("parse date: length %d, want %d: %w",
			len(s), dateLen, ErrInvalidDate)
	}
	if s[4] != '-' || s[7] != '-' {
		return Date{}, fmt.Errorf("parse date: want YYYY-MM-DD: %w", ErrInvalidDate)
	}

	year, okY := atoiFixed(s[0:4])
	month, okM := atoiFixed(s[5:7])
	day, okD := atoiFixed(s[8:10])
	if !okY || !okM || !okD {
		return Date{}, fmt.Errorf("parse date: non-digit in YYYY-MM-DD: %w", ErrInvalidDate)
	}

	d, err := NewDate(year, time.Month(month), day)
	if err != nil {
		return Date{}, fmt.Errorf("parse date: %w", err)
	}
	return d, nil
}

// atoiFixed decodes a run of ASCII digits. It accepts no sign, no space and
// no non-ASCII digit, unlike strconv.Atoi which would take "+1".
func atoiFixed(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// Year returns the year of d.
func (d Date) Year() int { return d.year }

// Month returns the month of d.
func (d Date) Month() time.Month { return d.month }

// Day returns the day of the month of d.
func (d Date) Day() int { return d.day }

// IsZero reports whether d is the zero Date, which is not a valid date.
func (d Date) IsZero() bool { return d == Date{} }

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday { return weekdayOf(d.dayNumber()) }

// AddDays returns the date n calendar days after d (before it when n is
// negative).
func (d Date) AddDays(n int) Date { return fromDayNumber(d.dayNumber() + n) }

// Compare returns -1 if d is before e, +1 if d is after e and 0 if they are
// the same date.
func (d Date) Compare(e Date) int {
	switch {
	case d.year != e.year:
		return cmpInt(d.year, e.year)
	case d.month != e.month:
		return cmpInt(int(d.month), int(e.month))
	default:
		return cmpInt(d.day, e.day)
	}
}

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// Time returns the first instant of d in Colombia, 00:00 UTC-5. A term that
// ends on d runs until Time of the next day.
func (d Date) Time() time.Time {
	return time.Date(d.year, d.month, d.day, 0, 0, 0, 0, bogota)
}

// String returns d as YYYY-MM-DD, the form ParseDate accepts.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.year, int(d.month), d.day)
}

// MarshalText encodes d as YYYY-MM-DD. It refuses the zero Date and dates
// outside years 1..9999, which have no canonical four-digit spelling.
func (d Date) MarshalText() ([]byte, error) {
	if _, err := NewDate(d.year, d.month, d.day); err != nil {
		return nil, fmt.Errorf("marshal date: %w", err)
	}
	return []byte(d.String()), nil
}

// UnmarshalText decodes a date written as ParseDate requires. On error *d is
// left unchanged.
func (d *Date) UnmarshalText(b []byte) error {
	parsed, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = parsed
	return nil
}

// dayNumber counts days from 1970-01-01 to d. Going through time.Date at UTC
// midnight keeps the Gregorian arithmetic in the standard library.
func (d Date) dayNumber() int {
	return int(time.Date(d.year, d.month, d.day, 0, 0, 0, 0, time.UTC).Unix() / secondsPerDay)
}

// fromDayNumber is the inverse of dayNumber.
func fromDayNumber(n int) Date {
	y, m, d := time.Unix(int64(n)*secondsPerDay, 0).UTC().Date()
	return Date{year: y, month: m, day: d}
}

// next returns the day after d without leaving the civil representation,
// which keeps the business-day walk free of time.Time conversions.
func (d Date) next() Date {
	if d.day < daysIn(d.month, d.year) {
		d.day++
		return d
	}
	if d.month < time.December {
		d.month++
		d.day = 1
		return d
	}
	return Date{year: d.year + 1, month: time.January, day: 1}
}

const secondsPerDay = 24 * 60 * 60

// weekdayOf returns the weekday of a day number; day 0, 1970-01-01, was a
// Thursday.
func weekdayOf(n int) time.Weekday {
	return time.Weekday(floorMod(n+int(time.Thursday), 7))
}

// daysIn returns the number of days in month m of year y.
func daysIn(m time.Month, y int) int {
	switch m {
	case time.February:
		if isLeap(y) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	default:
		return 31
	}
}

// isLeap applies the Gregorian leap-year rule.
func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	default:
		return 0
	}
}

// floorDiv and floorMod round toward negative infinity, so weekday arithmetic
// stays right for day numbers before 1970.
func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int) int { return a - floorDiv(a, b)*b }
