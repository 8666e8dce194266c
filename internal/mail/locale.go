package mail

import (
	"fmt"
	"strings"
	"time"
)

// Locale selects the language of an email.
type Locale string

// The locales with templates. Spanish as spoken in Colombia comes first and
// is what any other tag falls back to.
const (
	SpanishColombia Locale = "es-CO"
	English         Locale = "en"
)

// Locales lists the locales with templates, the default first.
var Locales = []Locale{SpanishColombia, English}

// MatchLocale maps a language tag (BCP 47, as a user's profile or the first
// entry of an Accept-Language header gives it) to a locale with templates:
// any English tag to English, anything else, malformed or empty included,
// to Spanish (es-CO).
func MatchLocale(tag string) Locale {
	if len(tag) > maxLocaleTagBytes {
		return SpanishColombia
	}
	tag, _, _ = strings.Cut(tag, ",")
	tag, _, _ = strings.Cut(tag, ";")
	primary, _, _ := strings.Cut(strings.TrimSpace(tag), "-")
	primary, _, _ = strings.Cut(primary, "_")
	if strings.EqualFold(primary, "en") {
		return English
	}
	return SpanishColombia
}

// colombia is Colombia's time, UTC-5 all year: the country has not
// observed daylight saving time since 1993, so a fixed zone is exact and
// needs no time zone database on the host.
var colombia = time.FixedZone("COT", -5*60*60)

var monthsES = [...]string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio",
	"agosto", "septiembre", "octubre", "noviembre", "diciembre"}

// formatTime writes t in Colombian time, the way each language writes a
// date and time in running text.
func formatTime(l Locale, t time.Time) string {
	t = t.In(colombia)
	if l == English {
		return t.Format("January 2, 2006, 3:04 PM") + " (Colombia time)"
	}
	// Spanish writes the 12-hour clock with "a. m." and "p. m.", spaced,
	// as the Real Academia Española's spelling rules recommend.
	hour := t.Hour() % 12
	if hour == 0 {
		hour = 12
	}
	meridiem := "a. m."
	if t.Hour() >= 12 {
		meridiem = "p. m."
	}
	return fmt.Sprintf("%d de %s de %d, %d:%02d %s (hora de Colombia)", t.Day(),
		monthsES[t.Month()-1], t.Year(), hour, t.Minute(), meridiem)
}

// formatDuration writes how long a code or link stays valid, in whole
// days, hours or minutes, rounding minutes up so that the email never
// promises less time than the caller granted.
func formatDuration(l Locale, d time.Duration) string {
	type unit struct{ one, many string }
	var days, hours, minutes unit
	if l == English {
		days, hours, minutes = unit{"day", "days"}, unit{"hour", "hours"}, unit{"minute", "minutes"}
	} else {
		days, hours, minutes = unit{"día", "días"}, unit{"hora", "horas"}, unit{"minuto", "minutos"}
	}
	count := func(n int64, u unit) string {
		if n == 1 {
			return "1 " + u.one
		}
		return fmt.Sprintf("%d %s", n, u.many)
	}

	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return count(int64(d/(24*time.Hour)), days)
	case d >= time.Hour && d%time.Hour == 0:
		return count(int64(d/time.Hour), hours)
	}
	return count(int64((d+time.Minute-1)/time.Minute), minutes)
}

// maskAddress shows enough of an address for its owner to recognise it and
// little enough that a stranger reading the email learns nothing useful:
// the first character of the local part and the whole domain.
func maskAddress(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" {
		return "***"
	}
	first := []rune(local)[0]
	return string(first) + "***@" + domain
}
