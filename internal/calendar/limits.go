package calendar

// Bounds on input, each with the reason for its value.
const (
	// MinYear is the first year whose holidays are computed. Ley 51 de 1983
	// was promulgated on 22 December 1983, so 1984 is the first full year under
	// the current rule; earlier years moved no holidays and are not encoded.
	MinYear = 1984

	// MaxYear is the last year whose holidays are computed. It keeps the
	// holiday cache a fixed 217 entries and bounds every walk over the
	// calendar; the Easter algorithm itself is valid far beyond it.
	MaxYear = 2200

	// MaxBusinessDays caps the n of AddBusinessDays and Deadline. The longest
	// term in Ley 1581 de 2012 is 15 + 8 business days; 3650 leaves room for
	// any other term stated in days while keeping a walk under about 5,500
	// calendar days (a few microseconds).
	MaxBusinessDays = 3650

	// dateLen is the only accepted length of a textual date, "YYYY-MM-DD".
	// Checking it first means no other work is done on oversized input.
	dateLen = len("2006-01-02")

	// minDateYear and maxDateYear bound a Date built by NewDate or ParseDate:
	// four digits, no year zero.
	minDateYear = 1
	maxDateYear = 9999
)
