package habeasdata

import (
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/calendar"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

func TestContactRule(t *testing.T) {
	// Monday 2 March 2026; San José is moved to Monday 23 March 2026.
	sanJose, _ := calendar.NewDate(2026, time.March, 23)
	if !calendar.IsHoliday(sanJose) {
		t.Fatal("the test assumes 2026-03-23 is a holiday")
	}
	mon := func(h, m int) time.Time { return cot(2026, time.March, 2, h, m) }
	tests := []struct {
		name    string
		at      time.Time
		channel string
		history []Contact
		reason  string
		next    time.Time
	}{
		{"weekday morning", mon(10, 0), "whatsapp", nil, ContactOK, mon(10, 0)},
		{"before seven", mon(6, 30), "whatsapp", nil, ContactOutsideHours, mon(7, 0)},
		{"at seven in the evening", mon(19, 0), "whatsapp", nil, ContactOutsideHours,
			cot(2026, time.March, 3, 7, 0)},
		{"saturday before three", cot(2026, time.March, 7, 14, 59), "sms", nil, ContactOK,
			cot(2026, time.March, 7, 14, 59)},
		{"saturday at three skips sunday", cot(2026, time.March, 7, 15, 0), "sms", nil,
			ContactOutsideHours, cot(2026, time.March, 9, 7, 0)},
		{"sunday", cot(2026, time.March, 8, 12, 0), "sms", nil, ContactRestDay,
			cot(2026, time.March, 9, 7, 0)},
		{"holiday monday", cot(2026, time.March, 23, 10, 0), "email", nil, ContactRestDay,
			cot(2026, time.March, 24, 7, 0)},
		{"once a day", mon(11, 0), "whatsapp",
			[]Contact{{Channel: "whatsapp", At: mon(9, 0)}}, ContactAlreadyToday,
			cot(2026, time.March, 3, 7, 0)},
		{"one channel a week", cot(2026, time.March, 4, 10, 0), "whatsapp",
			[]Contact{{Channel: "sms", At: mon(9, 0)}}, ContactOtherChannel,
			cot(2026, time.March, 9, 7, 0)},
		{"same channel later in the week", cot(2026, time.March, 4, 10, 0), "sms",
			[]Contact{{Channel: "sms", At: mon(9, 0)}}, ContactOK,
			cot(2026, time.March, 4, 10, 0)},
		{"last week's channel does not count", cot(2026, time.March, 9, 10, 0), "whatsapp",
			[]Contact{{Channel: "sms", At: cot(2026, time.March, 6, 9, 0)}}, ContactOK,
			cot(2026, time.March, 9, 10, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := ContactRule(tc.at, tc.channel, tc.history)
			if a.Reason != tc.reason || a.AllowedNow != (tc.reason == ContactOK) ||
				!a.NextAllowedAt.Equal(tc.next) {
				t.Fatalf("got %+v (next %v), want %s next %v", a,
					a.NextAllowedAt.In(calendar.Location()), tc.reason, tc.next)
			}
		})
	}
}

func TestCheckAppliesContactRules(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db, cot(2026, time.March, 2, 10, 0))
		f.publish(t, "1", v1Purposes, time.Time{})
		if err := f.decide(t, "usr_1", "1", grant("marketing_whatsapp")); err != nil {
			t.Fatal(err)
		}
		a, err := f.svc.Check(ctx, "usr_1", "marketing_whatsapp", "whatsapp")
		if err != nil || !a.Allowed || a.Contact == nil || !a.Contact.AllowedNow {
			t.Fatalf("first contact: %+v %v", a, err)
		}
		if err := f.svc.RecordContact(ctx, "usr_1", "whatsapp"); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Hour)
		a, _ = f.svc.Check(ctx, "usr_1", "marketing_whatsapp", "whatsapp")
		if !a.Allowed || a.Contact.AllowedNow || a.Contact.Reason != ContactAlreadyToday {
			t.Fatalf("second contact the same day: %+v", a.Contact)
		}
		if err := f.svc.RecordContact(ctx, "usr_1", "Whats App"); err == nil {
			t.Fatal("a bad channel name was accepted")
		}
	})
}
