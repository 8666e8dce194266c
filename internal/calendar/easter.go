package calendar

import "time"

// easter returns the date of Easter Sunday in year y of the Gregorian
// calendar, computed with the anonymous Gregorian algorithm published by
// Jean Meeus in "Astronomical Algorithms" (ch. 8), known as the Meeus/Jones/
// Butcher algorithm. It reproduces the ecclesiastical computus (not the
// astronomical full moon), which is what the Church, and so Colombian law,
// follows. It is exact for every year from 1583 on, with no table.
func easter(y int) Date {
	// 1. Position of y in the 19-year Metonic cycle, which fixes the epact.
	a := y % 19

	// 2. Century and year within it, for the Gregorian solar and lunar
	//    corrections (dropped leap days, and the 8-in-2500-years moon shift).
	b, c := y/100, y%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3

	// 3. h counts the days from 21 March to the Paschal full moon of the
	//    computus.
	h := (19*a + b - d - g + 15) % 30

	// 4. l+1 counts the days from that full moon to the Sunday after it.
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7

	// 5. m is 1 only in the two exceptions of the Gregorian computus (the full
	//    moon would fall on 19 April, or on 18 April late in the Metonic
	//    cycle); taking a week off then keeps Easter on or before 25 April.
	m := (a + 11*h + 22*l) / 451

	// 6. Easter is 22 March + h + l - 7m; 114 is 22 March written as
	//    3*31 + 21, so n/31 is the month and n%31 the day less one.
	n := h + l - 7*m + 114
	return Date{year: y, month: time.Month(n / 31), day: n%31 + 1}
}
