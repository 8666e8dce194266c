// Package calendar knows which days are Colombian national holidays and counts
// business days (días hábiles) for legal deadlines, in particular the terms
// that Ley Estatutaria 1581 de 2012 gives a data controller to answer a Habeas
// Data consulta or reclamo.
//
// # Guarantees
//
//   - Holidays are computed from rules, never listed by hand, following art.
//     177 of the Código Sustantivo del Trabajo as amended by art. 1 of Ley 51
//     de 1983 (Ley Emiliani), for every year from MinYear to MaxYear. Any
//     other year is refused with ErrOutOfRange instead of being guessed.
//   - A Date is a civil date (year, month, day) with no time of day and no
//     zone. An instant becomes a Date only in Colombian time, UTC-5, through
//     DateOf; the package never reads the host's zone or a tz database.
//   - Every loop is bounded. Counts above MaxBusinessDays, and walks that
//     would leave the supported years, are refused with an error.
//   - All functions are safe for concurrent use. A year is computed at most a
//     few times, cached, and never changes afterwards.
//   - Nothing panics on bad input. ParseDate accepts exactly one spelling,
//     YYYY-MM-DD, and every other input fails with ErrInvalidDate.
//
// # Counting rule
//
// A term of n business days is counted as Deadline documents it: the civil
// date of receipt is taken in Colombian time; a filing received on a day that
// is not a business day counts as received on the next business day; the
// count starts on the business day after receipt; the deadline is the n-th
// business day counted, and the term runs until midnight at its end.
// The legal basis of each step is cited where the step is coded.
//
// # Assumptions and limits
//
// Business days are Monday to Friday minus national holidays. Saturdays are
// not business days, as in administrative practice. The package does not know
// regional holidays (such as Barranquilla's carnival), one-off civic days
// declared by decree, office hours, or the days when courts close (the
// vacancia judicial and the first days of Holy Week). It is therefore fit for
// administrative and Habeas Data terms, not for judicial ones.
//
// Bills to change the list of holidays or the rule that moves them to Monday
// are filed in Congress from time to time. Only enacted law is encoded; the
// holiday lists published for 2026 still follow Ley 51 de 1983 unchanged.
// Some official calendars now call 12 October "Día de la Diversidad Étnica y
// Cultural de la Nación"; the date rule is the same, and Holiday keeps the
// name used in Ley 51.
//
// # What the caller must protect
//
// A deadline is only as right as the instant of receipt passed to Deadline or
// HabeasData. That instant must come from the server's trusted clock when the
// request is recorded, never from a timestamp the requester supplies.
package calendar

import "errors"

// ErrInvalidDate means a date does not exist in the Gregorian calendar or is
// not written as YYYY-MM-DD.
var ErrInvalidDate = errors.New("calendar: invalid date")

// ErrOutOfRange means a year or date lies outside MinYear..MaxYear, or that a
// count of business days would run past the end of MaxYear.
var ErrOutOfRange = errors.New("calendar: outside supported years")

// ErrBusinessDays means a count of business days is negative or above
// MaxBusinessDays.
var ErrBusinessDays = errors.New("calendar: business day count out of bounds")

// ErrRequestKind means a Habeas Data request kind is neither Consulta nor
// Reclamo.
var ErrRequestKind = errors.New("calendar: unknown habeas data request kind")
