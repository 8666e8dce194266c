package calendar

import (
	"fmt"
	"time"
)

// RequestKind is the kind of a Habeas Data request under título V of Ley
// Estatutaria 1581 de 2012.
type RequestKind int

const (
	// Consulta is a request to see one's personal data (art. 14).
	Consulta RequestKind = iota + 1
	// Reclamo is a request to correct, update or delete data, or a complaint
	// that the law was broken (art. 15).
	Reclamo
)

// String returns the Spanish name of the kind.
func (k RequestKind) String() string {
	switch k {
	case Consulta:
		return "consulta"
	case Reclamo:
		return "reclamo"
	default:
		return fmt.Sprintf("RequestKind(%d)", int(k))
	}
}

// Terms of Ley 1581 de 2012, in business days. The law states them in días
// hábiles, except the five days to ask for a missing piece of a reclamo,
// which are business days too by Ley 4 de 1913 art. 62 because the law does
// not say otherwise.
const (
	// ConsultaDays is the term to answer a consulta (art. 14).
	ConsultaDays = 10
	// ConsultaExtensionDays is the most a consulta can be extended, if the
	// titular is told the reason and the new date before the first term
	// ends (art. 14).
	ConsultaExtensionDays = 5
	// ReclamoDays is the term to answer a complete reclamo (art. 15 num. 3).
	ReclamoDays = 15
	// ReclamoExtensionDays is the most a reclamo can be extended, on the
	// same condition as a consulta (art. 15 num. 3).
	ReclamoExtensionDays = 8
	// IncompleteReclamoDays is the term to ask the titular to complete an
	// incomplete reclamo (art. 15 num. 1).
	IncompleteReclamoDays = 5
	// TransferDays is the term for a party that is not competent to forward a
	// reclamo to the one that is, and tell the titular (art. 15 num. 1).
	TransferDays = 2
	// WithdrawalMonths is how long the titular has to complete a reclamo
	// after being asked; after it, the reclamo is deemed withdrawn
	// (desistido, art. 15 num. 1).
	WithdrawalMonths = 2
)

// Terms are the deadlines that run from the receipt of one Habeas Data
// request. Every date is the last day of its term; the term runs until
// midnight at its end.
type Terms struct {
	// Kind is the kind of request the terms were computed for.
	Kind RequestKind
	// Received is the day the request counts as received: the day of receipt
	// in Colombia, or the next business day when it arrived on a day that is
	// not one.
	Received Date
	// Due is the end of the ordinary term: 10 business days for a consulta,
	// 15 for a reclamo.
	Due Date
	// ExtendedDue is the latest possible answer when the titular was told of
	// the delay, its reasons and the new date before Due: 5 more business
	// days for a consulta, 8 for a reclamo, counted from the day after Due.
	ExtendedDue Date
	// CompleteBy is, for a reclamo, the last day to ask the titular for what
	// is missing from an incomplete reclamo. Zero for a consulta.
	CompleteBy Date
	// TransferBy is, for a reclamo, the last day for a party that is not
	// competent to forward it and tell the titular. Zero for a consulta.
	TransferBy Date
}

// HabeasData returns the terms that run from the receipt of a request of the
// given kind at the instant received, counted as Deadline documents.
//
// For a reclamo that was incomplete, the 15 days run from the receipt of the
// completed reclamo: call HabeasData again with the instant the missing
// information arrived.
//
// NOTE: art. 14 counts a consulta's 10 days "a partir de la fecha de recibo",
// where art. 15 counts a reclamo's "a partir del día siguiente". This package
// reads both as excluding the day of receipt, as the general rule for terms
// in days does. A stricter reading of art. 14 would count the day of receipt
// and end the consulta term one business day earlier; callers who want that
// margin should alert on the business day before Due.
func HabeasData(kind RequestKind, received time.Time) (Terms, error) {
	var days, extension int
	switch kind {
	case Consulta:
		days, extension = ConsultaDays, ConsultaExtensionDays
	case Reclamo:
		days, extension = ReclamoDays, ReclamoExtensionDays
	default:
		return Terms{}, fmt.Errorf("habeas data terms for %v: %w", kind, ErrRequestKind)
	}

	day := DateOf(received)
	if !Supported(day) {
		return Terms{}, fmt.Errorf("habeas data terms: receipt on %s: %w", day, ErrOutOfRange)
	}
	deemed, err := businessDayOnOrAfter(day)
	if err != nil {
		return Terms{}, fmt.Errorf("habeas data terms: %w", err)
	}

	t := Terms{Kind: kind, Received: deemed}
	if t.Due, err = AddBusinessDays(deemed, days); err != nil {
		return Terms{}, fmt.Errorf("habeas data terms: %w", err)
	}
	// The extension is "los ... días hábiles siguientes al vencimiento del
	// primer término": it runs from the day after Due.
	if t.ExtendedDue, err = AddBusinessDays(t.Due, extension); err != nil {
		return Terms{}, fmt.Errorf("habeas data terms: %w", err)
	}
	if kind == Reclamo {
		if t.CompleteBy, err = AddBusinessDays(deemed, IncompleteReclamoDays); err != nil {
			return Terms{}, fmt.Errorf("habeas data terms: %w", err)
		}
		if t.TransferBy, err = AddBusinessDays(deemed, TransferDays); err != nil {
			return Terms{}, fmt.Errorf("habeas data terms: %w", err)
		}
	}
	return t, nil
}

// WithdrawalDate returns the last day on which the titular can complete an
// incomplete reclamo after being asked to on the day asked; from the next day
// on, the reclamo is deemed withdrawn (Ley 1581 de 2012 art. 15 num. 1: "dos
// (2) meses desde la fecha del requerimiento").
//
// The term is in months, so it is counted on the calendar, not in business
// days (Ley 4 de 1913 arts. 59 and 62): it ends on the day with the same
// number two months later (Código Civil art. 67), or on the last day of that
// month when it is shorter (asked on 31 December, the term ends on the last
// day of February). If that day is not a business day the term extends to the
// next business day (Ley 4 de 1913 art. 62).
func WithdrawalDate(asked Date) (Date, error) {
	if !Supported(asked) {
		return Date{}, fmt.Errorf("withdrawal date from %s: %w", asked, ErrOutOfRange)
	}

	y, m := asked.year, asked.month+WithdrawalMonths
	if m > time.December {
		y, m = y+1, m-12
	}
	end := Date{year: y, month: m, day: min(asked.day, daysIn(m, y))}
	if !Supported(end) {
		return Date{}, fmt.Errorf("withdrawal date from %s: %w", asked, ErrOutOfRange)
	}

	due, err := businessDayOnOrAfter(end)
	if err != nil {
		return Date{}, fmt.Errorf("withdrawal date from %s: %w", asked, err)
	}
	return due, nil
}
