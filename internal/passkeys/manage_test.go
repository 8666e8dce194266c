package passkeys

import (
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/passkeys/passkeytest"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
)

func TestManage(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db)
		addUser(t, db, "usr_ana")
		addUser(t, db, "usr_eve")
		a, b := passkeytest.New(t, testOrigin), passkeytest.New(t, testOrigin)
		ca := f.register(t, "usr_ana", a)
		f.clock.Advance(time.Second)
		cb := f.register(t, "usr_ana", b)

		list, err := f.svc.List(ctx, "usr_ana")
		if err != nil || len(list) != 2 || list[0].ID != ca.ID || list[1].ID != cb.ID {
			t.Fatalf("list: got %+v, %v", list, err)
		}
		if n, err := f.svc.Count(ctx, "usr_ana"); n != 2 || err != nil {
			t.Errorf("count: got %d, %v; want 2", n, err)
		}
		if list, err := f.svc.List(ctx, "usr_eve"); err != nil || list == nil || len(list) != 0 {
			t.Errorf("empty list: got %#v, %v; want []", list, err)
		}

		if err := f.svc.Rename(ctx, "usr_ana", ca.ID, "Llavero", meta); err != nil {
			t.Fatal(err)
		}
		wantErr(t, f.svc.Rename(ctx, "usr_eve", ca.ID, "Mía", meta), ErrNotFound)
		wantErr(t, f.svc.Rename(ctx, "usr_ana", ca.ID, "a\u202eb", meta), ErrInvalidName)
		wantErr(t, f.svc.Rename(ctx, "usr_ana", "pk_nada", "x", meta), ErrNotFound)
		if got := f.stored(t, "usr_ana", ca.ID).Name; got != "Llavero" {
			t.Errorf("name: got %q, want Llavero", got)
		}

		wantErr(t, f.svc.Remove(ctx, "usr_eve", ca.ID, meta), ErrNotFound)
		if err := f.svc.Remove(ctx, "usr_ana", ca.ID, meta); err != nil {
			t.Fatal(err)
		}
		wantErr(t, f.svc.Remove(ctx, "usr_ana", ca.ID, meta), ErrNotFound)
		_, err = f.login(t, "", a)
		wantErr(t, err, ErrRejected) // a removed passkey no longer signs in
		if _, err := f.login(t, "usr_ana", b); err != nil {
			t.Errorf("remaining passkey: %v", err)
		}
		if err := f.svc.Remove(ctx, "usr_ana", cb.ID, meta); err != nil {
			t.Fatal(err)
		}
		_, _, err = f.svc.BeginLogin(ctx, "usr_ana")
		wantErr(t, err, ErrNoPasskeys)

		for action, want := range map[string]int{"mfa.passkey.rename": 1, "mfa.passkey.remove": 2} {
			recs := f.records(t, action)
			if len(recs) != want || recs[0].Actor.ID != "usr_ana" ||
				recs[0].Target.Type != "passkey" {
				t.Errorf("%s records: got %+v, want %d", action, recs, want)
			}
		}
	})
}

func TestRemovalDuringLogin(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		f := newFixture(t, db)
		addUser(t, db, "usr_ana")
		a := passkeytest.New(t, testOrigin)
		c := f.register(t, "usr_ana", a)

		id, opts, err := f.svc.BeginLogin(ctx, "usr_ana")
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Remove(ctx, "usr_ana", c.ID, meta); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.FinishLogin(ctx, id, a.Get(t, opts), meta)
		wantErr(t, err, ErrRejected)
	})
}
