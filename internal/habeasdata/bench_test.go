package habeasdata

import (
	"fmt"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

// benchLedger is a ledger of 2,000 titulares with three decisions each,
// and the titular the benchmarks ask about.
func benchLedger(b *testing.B, db *storage.DB) (*fixture, string) {
	f := newFixture(b, db, cot(2026, time.March, 2, 10, 0))
	f.publish(b, "1", v1Purposes, time.Time{})
	for i := range 2000 {
		if err := f.decide(b, fmt.Sprintf("usr_%d", i), "1", grant("purchases"),
			grant("marketing_whatsapp"), refuse("biometric_login")); err != nil {
			b.Fatal(err)
		}
	}
	return f, "usr_1234"
}

// BenchmarkCheck measures the consent check the marketplace's services call
// before each use of a person's data. Compare it with
// BenchmarkCheckBaseline, the one indexed read any such check needs, on
// the same ledger in the same run:
//
//	go test -run '^$' -bench 'Check' ./internal/habeasdata/
func BenchmarkCheck(b *testing.B) {
	each(b, func(b *testing.B, db *storage.DB) {
		f, subject := benchLedger(b, db)
		for b.Loop() {
			a, err := f.svc.Check(ctx, subject, "marketing_whatsapp", "")
			if err != nil || !a.Allowed {
				b.Fatalf("%+v %v", a, err)
			}
		}
	})
}

// BenchmarkCheckBaseline is the floor: the latest decision, read by the
// ledger's index, with nothing else.
func BenchmarkCheckBaseline(b *testing.B) {
	each(b, func(b *testing.B, db *storage.DB) {
		_, subject := benchLedger(b, db)
		q := db.Rebind(`SELECT decision FROM habeas_consents WHERE subject_id = ? AND
			purpose = ? ORDER BY seq DESC LIMIT 1`)
		for b.Loop() {
			var d string
			if err := db.QueryRowContext(ctx, q, subject, "marketing_whatsapp").Scan(&d); err != nil ||
				d != "granted" {
				b.Fatal(d, err)
			}
		}
	})
}

func each(b *testing.B, fn func(b *testing.B, db *storage.DB)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, storagetest.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) { fn(b, storagetest.Postgres(b)) })
}
