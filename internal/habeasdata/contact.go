package habeasdata

import (
	"context"
	"fmt"
	"time"

	"github.com/cerrojo/cerrojo/internal/calendar"
)

// Contact rules for marketing and commercial messages, after Ley 2300 de
// 2023 ("dejen de fregar") art. 3, which binds producers and suppliers of
// goods and services as well as collectors:
//
//   - contact only Monday to Friday from 7:00 to 19:00 and Saturday from
//     8:00 to 15:00, Colombian time; never on Sundays or national holidays;
//   - at most one contact a day;
//   - within one week, contact through one channel only.
//
// The law also requires that the channel was authorised by the consumer,
// which is the consent check itself (a purpose per channel, such as
// marketing_whatsapp). The helper is advice for the caller's scheduler: it
// knows only the contacts the marketplace's services report to it.

// Contact is one marketing contact a service reported.
type Contact struct {
	Channel string    `json:"channel"`
	At      time.Time `json:"at"`
}

// ContactAnswer says whether a contact may be made at the instant asked,
// and if not, why and from when it may.
type ContactAnswer struct {
	AllowedNow bool   `json:"allowed_now"`
	Reason     string `json:"reason"`
	// NextAllowedAt is the earliest instant from the one asked at which a
	// contact through the channel would be allowed, given the same history.
	NextAllowedAt time.Time `json:"next_allowed_at"`
}

// Reasons a contact is not allowed now.
const (
	ContactOK            = "allowed"
	ContactRestDay       = "sunday_or_holiday"
	ContactOutsideHours  = "outside_hours"
	ContactAlreadyToday  = "already_contacted_today"
	ContactOtherChannel  = "other_channel_this_week"
	contactSearchHorizon = 21 // days; two weeks always contain an allowed slot
)

// hoursOn returns the contact window of a day in minutes after midnight,
// or ok=false when the day allows none.
func hoursOn(d calendar.Date) (open, close int, ok bool) {
	if !calendar.IsBusinessDay(d) && d.Weekday() != time.Saturday {
		return 0, 0, false
	}
	if calendar.IsHoliday(d) {
		return 0, 0, false
	}
	if d.Weekday() == time.Saturday {
		return 8 * 60, 15 * 60, true
	}
	return 7 * 60, 19 * 60, true
}

// weekStart is the Monday of d's week.
func weekStart(d calendar.Date) calendar.Date {
	return d.AddDays(-((int(d.Weekday()) + 6) % 7))
}

// ContactRule applies the rules to a contact through channel at the instant
// at, given the history of earlier contacts.
func ContactRule(at time.Time, channel string, history []Contact) ContactAnswer {
	loc := calendar.Location()
	first := ""
	t := at.In(loc)
	for range contactSearchHorizon {
		d := calendar.DateOf(t)
		reason := contactReason(t, d, channel, history)
		if reason == ContactOK {
			if first == "" {
				return ContactAnswer{AllowedNow: true, Reason: ContactOK, NextAllowedAt: at}
			}
			return ContactAnswer{Reason: first, NextAllowedAt: t.UTC()}
		}
		if first == "" {
			first = reason
		}
		open, _, ok := hoursOn(d)
		dayStart := d.Time()
		if ok && reason == ContactOutsideHours && t.Before(dayStart.Add(time.Duration(open)*
			time.Minute)) {
			t = dayStart.Add(time.Duration(open) * time.Minute)
			continue
		}
		// Anything else is settled only on a later day: try its opening.
		next := d.AddDays(1)
		if nopen, _, ok := hoursOn(next); ok {
			t = next.Time().Add(time.Duration(nopen) * time.Minute)
		} else {
			t = next.Time()
		}
	}
	return ContactAnswer{Reason: first}
}

func contactReason(t time.Time, d calendar.Date, channel string, history []Contact) string {
	open, close, ok := hoursOn(d)
	if !ok {
		return ContactRestDay
	}
	minute := t.Hour()*60 + t.Minute()
	if minute < open || minute >= close {
		return ContactOutsideHours
	}
	week := weekStart(d)
	for _, c := range history {
		cd := calendar.DateOf(c.At)
		if cd == d {
			return ContactAlreadyToday
		}
		if weekStart(cd) == week && c.Channel != channel {
			return ContactOtherChannel
		}
	}
	return ContactOK
}

// contactKeep bounds the stored history: the rules look back one week.
const contactKeep = 8 * 24 * time.Hour

// RecordContact stores a contact a service made, and forgets those older
// than the rules look at.
func (s *Service) RecordContact(ctx context.Context, subjectID, channel string) error {
	if err := validSubject("/subject_id", subjectID); err != nil {
		return err
	}
	if !codePattern.MatchString(channel) || len(channel) > 32 {
		return invalid("/channel", "must be a snake_case channel name such as whatsapp")
	}
	now := s.Clock.Now().UTC()
	if _, err := s.DB.ExecContext(ctx, s.DB.Rebind(`DELETE FROM habeas_contacts
		WHERE subject_id = ? AND contacted_at < ?`), subjectID, now.Add(-contactKeep)); err != nil {
		return fmt.Errorf("record contact: %w", err)
	}
	_, err := s.DB.ExecContext(ctx, s.DB.Rebind(`INSERT INTO habeas_contacts
		(subject_id, channel, contacted_at) VALUES (?, ?, ?)`), subjectID, channel, now)
	if err != nil {
		return fmt.Errorf("record contact: %w", err)
	}
	return nil
}

func (s *Service) contacts(ctx context.Context, subjectID string) ([]Contact, error) {
	rows, err := s.DB.QueryContext(ctx, s.DB.Rebind(`SELECT channel, contacted_at
		FROM habeas_contacts WHERE subject_id = ? AND contacted_at >= ?
		ORDER BY contacted_at`), subjectID, s.Clock.Now().UTC().Add(-contactKeep))
	if err != nil {
		return nil, fmt.Errorf("load contacts: %w", err)
	}
	defer rows.Close()
	var out []Contact
	for rows.Next() {
		var c Contact
		if err := rows.Scan(&c.Channel, &c.At); err != nil {
			return nil, fmt.Errorf("load contacts: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
