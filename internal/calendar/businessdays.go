package calendar

import (
	"fmt"
	"time"
)

// AddBusinessDays returns the n-th business day after start, counting from
// the day after start: with n = 1 it is the first business day after start,
// whatever start itself is. With n = 0 it returns start unchanged.
//
// start must be Supported and n must be in 0..MaxBusinessDays; otherwise the
// error wraps ErrOutOfRange or ErrBusinessDays. A count that would run past
// the end of MaxYear fails with ErrOutOfRange rather than guess.
func AddBusinessDays(start Date, n int) (Date, error) {
	if err := checkCount(n); err != nil {
		return Date{}, fmt.Errorf("add business days: %w", err)
	}
	if !Supported(start) {
		return Date{}, fmt.Errorf("add business days from %s: %w", start, ErrOutOfRange)
	}

	// The walk is bounded twice: it stops after n <= MaxBusinessDays business
	// days, and it fails as soon as it leaves MaxYear.
	d, wd := start, start.Weekday()
	t, _ := tableFor(d.year)
	for n > 0 {
		d = d.next()
		wd = (wd + 1) % 7
		if d.year != t.y {
			var ok bool
			if t, ok = tableFor(d.year); !ok {
				return Date{}, fmt.Errorf("add business days from %s: %w", start, ErrOutOfRange)
			}
		}
		if isWeekday(wd) && !t.isRest(d) {
			n--
		}
	}
	return d, nil
}

// BusinessDaysBetween returns the number of business days d with a < d <= b:
// the days that elapse, counting as a term does, when going from a to b. It
// is zero when a == b and negative when b is before a, so that
// BusinessDaysBetween(a, AddBusinessDays(a, n)) == n. Both dates must be
// Supported, otherwise the error wraps ErrOutOfRange.
func BusinessDaysBetween(a, b Date) (int, error) {
	if !Supported(a) || !Supported(b) {
		return 0, fmt.Errorf("business days between %s and %s: %w", a, b, ErrOutOfRange)
	}
	if b.Before(a) {
		n, err := BusinessDaysBetween(b, a)
		return -n, err
	}

	// Weekdays in (a, b] come from a closed formula; the holidays that fall
	// on weekdays in the same span are then taken off, one year at a time,
	// so the cost grows with the number of years, not of days.
	lo, hi := a.dayNumber(), b.dayNumber()
	count := weekdaysBefore(hi+1) - weekdaysBefore(lo+1)
	for y := a.year; y <= b.year; y++ {
		t, _ := tableFor(y)
		for _, n := range t.weekdayRest {
			if n > lo && n <= hi {
				count--
			}
		}
	}
	return count, nil
}

// weekdaysBefore counts the Mondays to Fridays among day numbers below n,
// measured from Monday 1970-01-05 (day number 4); only differences of it are
// used, so the origin does not matter.
func weekdaysBefore(n int) int {
	k := n - 4
	weeks := floorDiv(k, 7)
	rest := k - 7*weeks
	return 5*weeks + min(rest, 5)
}

// Deadline returns the last day of a term of businessDays business days for
// a filing received at the instant received, counted as Colombian law counts
// terms stated in days:
//
//  1. The day of receipt is the civil date of received in Colombia, UTC-5.
//
//  2. A filing received on a Saturday, Sunday or holiday counts as received on
//     the next business day, since no term runs on a day that is not a
//     business day (Ley 4 de 1913, Código de Régimen Político y Municipal,
//     art. 62). The Consejo de Estado has applied the same rule to filings
//     sent electronically on a non-business day (exp. 27219, October 2024).
//
//  3. Only business days count: "en los plazos de días que se señalen en las
//     leyes y actos oficiales, se entienden suprimidos los feriados y de
//     vacantes" (Ley 4 de 1913 art. 62).
//
//  4. The count starts on the business day after receipt; the day of receipt
//     itself is not counted. Ley 1581 de 2012 art. 15 says so expressly for
//     reclamos ("a partir del día siguiente a la fecha de su recibo"), and
//     Ley 1437 de 2011 art. 14, as substituted by Ley 1755 de 2015, counts
//     petition terms in the days "siguientes a su recepción".
//
//  5. The result is the businessDays-th business day so counted. The term is
//     complete and runs until midnight at the end of that day (Código Civil
//     art. 67), that is until the Time of the following date.
//
// With businessDays = 0 the result is the day of receipt after step 2.
// businessDays must be in 0..MaxBusinessDays and the dates involved must be
// Supported; otherwise the error wraps ErrBusinessDays or ErrOutOfRange.
//
// NOTE: office hours are not modelled. A filing received at 23:00 on a
// business day counts as received that day, even if the office had closed.
// Treating it as received the next day would move the deadline later, so the
// choice made here errs toward answering early.
func Deadline(received time.Time, businessDays int) (Date, error) {
	if err := checkCount(businessDays); err != nil {
		return Date{}, fmt.Errorf("deadline: %w", err)
	}

	// Step 1.
	day := DateOf(received)
	if !Supported(day) {
		return Date{}, fmt.Errorf("deadline: receipt on %s: %w", day, ErrOutOfRange)
	}

	// Step 2.
	deemed, err := businessDayOnOrAfter(day)
	if err != nil {
		return Date{}, fmt.Errorf("deadline: %w", err)
	}

	// Steps 3 to 5.
	due, err := AddBusinessDays(deemed, businessDays)
	if err != nil {
		return Date{}, fmt.Errorf("deadline: %w", err)
	}
	return due, nil
}

// businessDayOnOrAfter returns d when it is a business day and otherwise the
// next business day: the day on which a filing made on d is deemed received,
// and the day to which a term ending on d extends.
func businessDayOnOrAfter(d Date) (Date, error) {
	if IsBusinessDay(d) {
		return d, nil
	}
	return AddBusinessDays(d, 1)
}

func checkCount(n int) error {
	if n < 0 || n > MaxBusinessDays {
		return fmt.Errorf("count %d not in 0..%d: %w", n, MaxBusinessDays, ErrBusinessDays)
	}
	return nil
}
