package tokens

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/storage/storagetest"
	"github.com/cerrojo/cerrojo/sdk"
)

func TestFirstStartCreatesCurrentAndNext(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		a := newNode(t, db, testConfig(), t0)

		keys := byState(t, db)
		if len(keys[StateCurrent]) != 1 || len(keys[StateNext]) != 1 || len(keys[StateRetired]) != 0 {
			t.Fatalf("got %v, want one current and one next key", keys)
		}
		cur := keys[StateCurrent][0]
		if !cur.ActivatedAt.Equal(t0) || !cur.CreatedAt.Equal(t0) {
			t.Errorf("current key: %+v, want created and activated at start", cur)
		}
		// A fresh install signs at once: no token exists yet that a
		// verifier could hold, and verifiers fetch the JWKS on first use.
		if _, err := a.Verify(bg, a.mint(t, "u1")); err != nil {
			t.Fatal(err)
		}

		b := newNode(t, db, testConfig(), t0.Add(time.Second))
		if got := byState(t, db); len(got[StateCurrent]) != 1 || len(got[StateNext]) != 1 {
			t.Fatalf("a second node changed the keys: %v", got)
		}
		setA, _ := a.Keys().Set()
		setB, _ := b.Keys().Set()
		if setA.Current().ID != setB.Current().ID || setA.Current().ID != cur.ID {
			t.Fatalf("nodes disagree on the current key: %s, %s", setA.Current().ID,
				setB.Current().ID)
		}
		body, _ := setA.JWKS()
		if !bytes.Contains(body, []byte(keys[StateNext][0].ID)) {
			t.Fatalf("the next key is not published: %s", body)
		}
	})
}

// TestConcurrentFirstStart starts several nodes on an empty database at
// once: exactly one current and one next key come out, and every node
// signs with the same one.
func TestConcurrentFirstStart(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		const nodes = 6
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			current = map[string]int{}
			start   = make(chan struct{})
		)
		for range nodes {
			wg.Go(func() {
				<-start
				s, err := New(bg, Options{Config: testConfig(), Store: NewSQLStore(db),
					Ring: testRing(t), Clock: clock.NewFake(t0)})
				if err != nil {
					t.Error(err)
					return
				}
				set, err := s.Keys().Set()
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				current[set.Current().ID]++
				mu.Unlock()
			})
		}
		close(start)
		wg.Wait()

		keys := byState(t, db)
		if len(keys[StateCurrent]) != 1 || len(keys[StateNext]) != 1 {
			t.Fatalf("got %d current and %d next keys, want 1 and 1", len(keys[StateCurrent]),
				len(keys[StateNext]))
		}
		if len(current) != 1 || current[keys[StateCurrent][0].ID] != nodes {
			t.Fatalf("nodes sign with %v, want all with %s", current, keys[StateCurrent][0].ID)
		}
	})
}

// TestConcurrentRotate has several nodes call Rotate at the same moment:
// exactly one rotation happens, and the others are told the new next key
// is too young.
func TestConcurrentRotate(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		cfg := testConfig()
		first := newNode(t, db, cfg, t0)
		before := byState(t, db)
		at := t0.Add(publishLead(cfg))

		const nodes = 6
		var instances []*Keys
		for range nodes {
			k := NewKeys(cfg, NewSQLStore(db), testRing(t), clock.NewFake(at))
			if err := k.Refresh(bg); err != nil {
				t.Fatal(err)
			}
			instances = append(instances, k)
		}

		var (
			wg        sync.WaitGroup
			mu        sync.Mutex
			rotations []*Rotation
			tooSoon   int
			start     = make(chan struct{})
		)
		for _, k := range instances {
			wg.Go(func() {
				<-start
				r, err := k.Rotate(bg)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					rotations = append(rotations, r)
				case errors.Is(err, ErrRotationTooSoon):
					tooSoon++
				default:
					t.Error(err)
				}
			})
		}
		close(start)
		wg.Wait()

		if len(rotations) != 1 || tooSoon != nodes-1 {
			t.Fatalf("got %d rotations and %d too-soon answers, want 1 and %d", len(rotations),
				tooSoon, nodes-1)
		}
		after := byState(t, db)
		if len(after[StateCurrent]) != 1 || len(after[StateNext]) != 1 || len(after[StateRetired]) != 1 {
			t.Fatalf("after rotation: %v", after)
		}
		if after[StateCurrent][0].ID != before[StateNext][0].ID ||
			after[StateRetired][0].ID != before[StateCurrent][0].ID {
			t.Fatalf("the rotation did not promote next and retire current: %v", after)
		}
		// Every node converges on the new current key at its next refresh.
		for i, k := range append(instances, first.Keys()) {
			if err := k.Refresh(bg); err != nil {
				t.Fatal(err)
			}
			set := k.set.Load()
			if set.Current().ID != after[StateCurrent][0].ID {
				t.Errorf("node %d signs with %s", i, set.Current().ID)
			}
			if set.Generation() != 2 {
				t.Errorf("node %d at generation %d, want 2 (first keys, one rotation)", i,
					set.Generation())
			}
		}
	})
}

// TestConcurrentScheduledRotation: every node's maintenance finds the
// rotation due at once; one rotates.
func TestConcurrentScheduledRotation(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		cfg := testConfig()
		newNode(t, db, cfg, t0)
		at := t0.Add(cfg.RotationInterval)

		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 6 {
			k := NewKeys(cfg, NewSQLStore(db), testRing(t), clock.NewFake(at))
			wg.Go(func() {
				<-start
				if err := k.Maintain(bg); err != nil {
					t.Error(err)
				}
			})
		}
		close(start)
		wg.Wait()

		gen, err := NewSQLStore(db).Generation(bg)
		if err != nil {
			t.Fatal(err)
		}
		keys := byState(t, db)
		if gen != 2 || len(keys[StateRetired]) != 1 || len(keys[StateCurrent]) != 1 ||
			len(keys[StateNext]) != 1 {
			t.Fatalf("generation %d, keys %v; want one rotation", gen, keys)
		}
	})
}

func TestRotateWaitsForThePublicationLead(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		cfg := testConfig()
		n := newNode(t, db, cfg, t0)
		next := byState(t, db)[StateNext][0]

		n.clock.Set(t0.Add(publishLead(cfg) - time.Second))
		_, err := n.Keys().Rotate(bg)
		var soon *RotationTooSoonError
		if !errors.As(err, &soon) || soon.Next != next.ID ||
			!soon.NotBefore.Equal(t0.Add(publishLead(cfg))) {
			t.Fatalf("got %v, want too soon for %s until %s", err, next.ID, t0.Add(publishLead(cfg)))
		}

		n.clock.Set(t0.Add(publishLead(cfg)))
		r, err := n.Keys().Rotate(bg)
		if err != nil {
			t.Fatal(err)
		}
		if r.Current.ID != next.ID {
			t.Fatalf("promoted %s, want %s", r.Current.ID, next.ID)
		}
		set, _ := n.Keys().Set()
		if set.Current().ID != next.ID {
			t.Fatal("the node did not reload after rotating")
		}
	})
}

func TestForceRotate(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		n := newNode(t, db, testConfig(), t0)
		before := byState(t, db)

		n.clock.Advance(time.Second)
		r, err := n.Keys().ForceRotate(bg)
		if err != nil {
			t.Fatal(err)
		}
		if r.Retired.ID != before[StateCurrent][0].ID || r.Current.ID != before[StateNext][0].ID {
			t.Fatalf("got %+v", r)
		}
		set, _ := n.Keys().Set()
		if _, err := n.Verify(bg, n.mint(t, "u")); err != nil || set.Current().ID != r.Current.ID {
			t.Fatalf("after a forced rotation: %v", err)
		}
	})
}

func TestForceRotateOnAnEmptyDatabase(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		k := NewKeys(testConfig(), NewSQLStore(db), testRing(t), clock.NewFake(t0))
		r, err := k.ForceRotate(bg)
		if err != nil {
			t.Fatal(err)
		}
		if r == nil || r.Retired.ID == "" {
			t.Fatalf("got %+v, want a rotation of the keys just created", r)
		}
	})
}

func TestMaintenanceDeletesRetiredKeysAfterTheirWindow(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		cfg := testConfig()
		n := newNode(t, db, cfg, t0)
		at := t0.Add(cfg.RotationInterval)
		n.clock.Set(at)
		if err := n.Keys().Maintain(bg); err != nil {
			t.Fatal(err)
		}
		retired := byState(t, db)[StateRetired]
		if len(retired) != 1 || !retired[0].DeletableAfter.Equal(at.Add(retireWindow(cfg))) {
			t.Fatalf("retired keys: %+v", retired)
		}

		n.clock.Set(retired[0].DeletableAfter.Add(-time.Second))
		if err := n.Keys().Maintain(bg); err != nil {
			t.Fatal(err)
		}
		set, _ := n.Keys().Set()
		if len(byState(t, db)[StateRetired]) != 1 || len(set.Published()) != 3 {
			t.Fatal("a retired key was dropped before its window ended")
		}

		n.clock.Set(retired[0].DeletableAfter)
		if err := n.Keys().Maintain(bg); err != nil {
			t.Fatal(err)
		}
		set, _ = n.Keys().Set()
		if len(byState(t, db)[StateRetired]) != 0 || len(set.Published()) != 2 {
			t.Fatalf("the retired key is still there: %v", kids(set.Published()))
		}
	})
}

func TestStaleNodeNeitherSignsNorPublishes(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		n := newNode(t, db, testConfig(), t0)
		n.clock.Advance(staleAfter)
		if _, err := n.Keys().Set(); err != nil {
			t.Fatalf("at the bound: %v", err)
		}

		n.clock.Advance(time.Second)
		if _, _, err := n.Mint(bg, Claims{Subject: "u", ClientID: "c"}); !errors.Is(err, ErrStale) {
			t.Fatalf("got %v, want ErrStale", err)
		}
		if code := serveJWKS(t, n, "").Code; code != 503 {
			t.Fatalf("JWKS: got %d, want 503", code)
		}
		// Verification still works from the old copy: it only ever
		// accepts keys, which a stale copy can only lack.
		if err := n.Keys().Refresh(bg); err != nil {
			t.Fatal(err)
		}
		if _, err := n.Verify(bg, n.mint(t, "u")); err != nil {
			t.Fatal(err)
		}
	})
}

func TestPrivateKeysAreSealedToTheirRow(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		newNode(t, db, testConfig(), t0)
		_, recs, err := NewSQLStore(db).Load(bg)
		if err != nil {
			t.Fatal(err)
		}

		t.Run("wrong master key", func(t *testing.T) {
			other, err := keyring.New(rand.Reader, bytes.Repeat([]byte{8}, 32))
			if err != nil {
				t.Fatal(err)
			}
			_, err = New(bg, Options{Config: testConfig(), Store: NewSQLStore(db), Ring: other,
				Clock: clock.NewFake(t0)})
			if !errors.Is(err, keyring.ErrUnknownKey) {
				t.Fatalf("got %v, want the key not to open", err)
			}
		})
		t.Run("sealed value moved to another kid", func(t *testing.T) {
			swapped := recs[0]
			swapped.Sealed = recs[1].Sealed
			if _, err := openPrivate(testRing(t), swapped); !errors.Is(err, keyring.ErrDecrypt) {
				t.Fatalf("got %v, want ErrDecrypt", err)
			}
		})
		t.Run("no plaintext key in the row", func(t *testing.T) {
			for _, r := range recs {
				if bytes.Contains(r.Sealed, []byte{0x30, 0x2e, 0x02, 0x01, 0x00}) {
					t.Fatalf("key %s: the sealed value holds a PKCS #8 header", r.ID)
				}
			}
		})
	})
}

func TestDatabaseAllowsOneCurrentAndOneNextKey(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		newNode(t, db, testConfig(), t0)
		for _, state := range []string{"current", "next"} {
			activated := any(nil)
			if state == "current" {
				activated = micros(t0)
			}
			_, err := db.ExecContext(bg, db.Rebind(
				"INSERT INTO signing_keys (kid, alg, state, public_jwk, private_sealed, "+
					"created_us, activated_us) VALUES (?, 'EdDSA', ?, '{}', ?, ?, ?)"),
				"extra-"+state, state, []byte{1}, micros(t0), activated)
			if !storage.IsUniqueViolation(err) {
				t.Errorf("a second %s key: got %v, want a unique violation", state, err)
			}
		}
	})
}

// countingStore counts the reads a node makes.
type countingStore struct {
	Store
	mu    sync.Mutex
	reads int
}

func (c *countingStore) Generation(ctx context.Context) (int64, error) {
	c.mu.Lock()
	c.reads++
	c.mu.Unlock()
	return c.Store.Generation(ctx)
}

func TestUnknownKidReloadsAtMostEvery10s(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		a := newNode(t, db, testConfig(), t0)
		store := &countingStore{Store: NewSQLStore(db)}
		clk := clock.NewFake(t0)
		b, err := New(bg, Options{Config: testConfig(), Store: store, Ring: testRing(t), Clock: clk})
		if err != nil {
			t.Fatal(err)
		}

		// a rotates twice: its new current key was created after b last
		// loaded the set.
		for range 2 {
			a.clock.Advance(time.Second)
			if _, err := a.Keys().ForceRotate(bg); err != nil {
				t.Fatal(err)
			}
		}
		tok := a.mint(t, "u")
		readsBefore := store.reads

		if _, err := b.Verify(bg, tok); err != nil {
			t.Fatalf("b did not reload on the unknown kid: %v", err)
		}
		if store.reads != readsBefore+1 {
			t.Fatalf("got %d reads, want 1", store.reads-readsBefore)
		}
		for i := range 50 {
			forged := strings.Replace(tok, strings.Split(tok, ".")[0],
				b64([]byte(`{"alg":"EdDSA","kid":"junk-`+strconv.Itoa(i)+`","typ":"at+jwt"}`)), 1)
			if _, err := b.Verify(bg, forged); !errors.Is(err, sdk.ErrUnknownKey) {
				t.Fatalf("got %v, want unknown key", err)
			}
		}
		if store.reads != readsBefore+1 {
			t.Fatalf("junk kids caused %d more reads within 10 s", store.reads-readsBefore-1)
		}
		clk.Advance(unknownKeyRefreshInterval)
		b.Verify(bg, strings.Replace(tok, strings.Split(tok, ".")[0],
			b64([]byte(`{"alg":"EdDSA","kid":"junk","typ":"at+jwt"}`)), 1))
		if store.reads != readsBefore+2 {
			t.Fatalf("got %d reads after the interval, want 2", store.reads-readsBefore)
		}
	})
}

func TestAlgorithmChangeTakesEffectThroughRotation(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		newNode(t, db, testConfig(), t0)
		cfg := testConfig()
		cfg.Algorithm = sdk.ES256
		n := newNode(t, db, cfg, t0.Add(time.Minute))

		set, _ := n.Keys().Set()
		if set.Current().Algorithm != sdk.EdDSA {
			t.Fatal("a configuration change replaced the current key at once")
		}
		for i, want := range []string{sdk.EdDSA, sdk.ES256} {
			n.clock.Advance(publishLead(cfg))
			r, err := n.Keys().Rotate(bg)
			if err != nil {
				t.Fatal(err)
			}
			if r.Current.Algorithm != want || r.Next.Algorithm != sdk.ES256 {
				t.Fatalf("rotation %d: current %s, next %s", i, r.Current.Algorithm,
					r.Next.Algorithm)
			}
		}
		tok := n.mint(t, "u")
		if _, err := n.Verify(bg, tok); err != nil {
			t.Fatal(err)
		}
		var h struct{ Alg string }
		raw, _ := b64decode(strings.Split(tok, ".")[0])
		json.Unmarshal(raw, &h)
		if h.Alg != sdk.ES256 {
			t.Fatalf("token alg %s", h.Alg)
		}
	})
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
