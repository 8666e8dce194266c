package calendar

import (
	"errors"
	"testing"
	"time"
)

func TestHabeasData(t *testing.T) {
	tests := []struct {
		name         string
		kind         RequestKind
		received     time.Time
		wantReceived string
		wantDue      string
		wantExtended string
		wantComplete string
		wantTransfer string
	}{
		{name: "consulta over Holy Week gets 10 days, then 5 more",
			kind: Consulta, received: cot(2025, time.April, 14, 10, 0),
			wantReceived: "2025-04-14", wantDue: "2025-04-30", wantExtended: "2025-05-08"},
		{name: "consulta on Christmas Day counts from the next business day",
			kind: Consulta, received: cot(2025, time.December, 25, 10, 0),
			wantReceived: "2025-12-26", wantDue: "2026-01-13", wantExtended: "2026-01-20"},
		{name: "consulta with a shared Monday holiday",
			kind: Consulta, received: cot(2025, time.June, 27, 10, 0),
			wantReceived: "2025-06-27", wantDue: "2025-07-14", wantExtended: "2025-07-21"},
		{name: "reclamo over Navidad, Año Nuevo and Reyes gets 15 days, then 8 more",
			kind: Reclamo, received: cot(2025, time.December, 24, 16, 0),
			wantReceived: "2025-12-24", wantDue: "2026-01-19", wantExtended: "2026-01-29",
			wantComplete: "2026-01-02", wantTransfer: "2025-12-29"},
		{name: "reclamo filed on San José 2024 counts from Tuesday",
			kind: Reclamo, received: cot(2024, time.March, 25, 11, 0),
			wantReceived: "2024-03-26", wantDue: "2024-04-18", wantExtended: "2024-04-30",
			wantComplete: "2024-04-04", wantTransfer: "2024-04-01"},
		{name: "reclamo filed on a Saturday counts from Monday",
			kind: Reclamo, received: cot(2025, time.April, 19, 9, 0),
			wantReceived: "2025-04-21", wantDue: "2025-05-13", wantExtended: "2025-05-23",
			wantComplete: "2025-04-28", wantTransfer: "2025-04-23"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := HabeasData(tc.kind, tc.received)
			if err != nil {
				t.Fatalf("got err %v, want nil", err)
			}
			check := func(field string, d Date, want string) {
				t.Helper()
				if want == "" {
					if !d.IsZero() {
						t.Errorf("%s: got %v, want zero Date", field, d)
					}
					return
				}
				if d.String() != want {
					t.Errorf("%s: got %v, want %s", field, d, want)
				}
			}
			if got.Kind != tc.kind {
				t.Errorf("Kind: got %v, want %v", got.Kind, tc.kind)
			}
			check("Received", got.Received, tc.wantReceived)
			check("Due", got.Due, tc.wantDue)
			check("ExtendedDue", got.ExtendedDue, tc.wantExtended)
			check("CompleteBy", got.CompleteBy, tc.wantComplete)
			check("TransferBy", got.TransferBy, tc.wantTransfer)
		})
	}
}

func TestHabeasDataAgreesWithDeadline(t *testing.T) {
	received := cot(2025, time.October, 10, 15, 0)
	for _, tc := range []struct {
		kind RequestKind
		days int
	}{{Consulta, ConsultaDays}, {Reclamo, ReclamoDays}} {
		terms, err := HabeasData(tc.kind, received)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Deadline(received, tc.days)
		if err != nil || terms.Due != want {
			t.Fatalf("%v: got Due %v, want Deadline %v (%v)", tc.kind, terms.Due, want, err)
		}
	}
}

func TestHabeasDataRejectsBadInput(t *testing.T) {
	tests := []struct {
		name     string
		kind     RequestKind
		received time.Time
		want     error
	}{
		{name: "rejects the zero kind", kind: 0, received: cot(2025, time.May, 5, 9, 0),
			want: ErrRequestKind},
		{name: "rejects an unknown kind", kind: 7, received: cot(2025, time.May, 5, 9, 0),
			want: ErrRequestKind},
		{name: "rejects a receipt before 1984", kind: Reclamo,
			received: cot(1983, time.May, 5, 9, 0), want: ErrOutOfRange},
		{name: "rejects terms that run past MaxYear", kind: Reclamo,
			received: cot(2200, time.December, 20, 9, 0), want: ErrOutOfRange},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := HabeasData(tc.kind, tc.received)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got err %v, want %v", err, tc.want)
			}
			if got != (Terms{}) {
				t.Fatalf("got %+v on error, want zero Terms", got)
			}
		})
	}
}

func TestWithdrawalDate(t *testing.T) {
	tests := []struct {
		name  string
		asked string
		want  string
		err   error
	}{
		{name: "two months to the same day number", asked: "2025-03-12", want: "2025-05-12"},
		{name: "ending on a Saturday extends to Monday", asked: "2025-03-10",
			want: "2025-05-12"},
		{name: "31 December ends on the last day of February", asked: "2024-12-31",
			want: "2025-02-28"},
		{name: "leap February keeps the 29th", asked: "2023-12-31", want: "2024-02-29"},
		{name: "ending on Navidad extends to the 26th", asked: "2025-10-25",
			want: "2025-12-26"},
		{name: "6 January 2026 is a business day, Reyes is on the 12th",
			asked: "2025-11-06", want: "2026-01-06"},
		{name: "rejects a term that ends after MaxYear", asked: "2200-11-15",
			err: ErrOutOfRange},
		{name: "rejects a date before 1984", asked: "1983-11-15", err: ErrOutOfRange},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := WithdrawalDate(mustDate(t, tc.asked))
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("got err %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("got err %v, want nil", err)
			}
			if got.String() != tc.want {
				t.Fatalf("got %v, want %s", got, tc.want)
			}
		})
	}
}

func TestRequestKindString(t *testing.T) {
	for kind, want := range map[RequestKind]string{
		Consulta: "consulta", Reclamo: "reclamo", 9: "RequestKind(9)",
	} {
		if got := kind.String(); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
