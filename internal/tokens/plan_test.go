package tokens

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

func freshRecords(n int) []Record {
	var out []Record
	for i := range n {
		out = append(out, Record{Key: Key{ID: fmt.Sprintf("fresh-%d", i), Algorithm: "EdDSA",
			State: StateNext}})
	}
	return out
}

func TestPlan(t *testing.T) {
	cfg := testConfig()
	lead, window := publishLead(cfg), retireWindow(cfg)
	cur := Key{ID: "cur", State: StateCurrent, CreatedAt: t0, ActivatedAt: t0}
	next := Key{ID: "next", State: StateNext, CreatedAt: t0}
	old := Key{ID: "old", State: StateRetired, CreatedAt: t0.Add(-48 * time.Hour),
		ActivatedAt: t0.Add(-24 * time.Hour), RetiredAt: t0, DeletableAfter: t0.Add(window)}

	type want struct {
		deleted, updated, inserted string // comma-separated kids
		rotated                    bool
		err                        error
		need                       int
	}
	cases := []struct {
		name  string
		keys  []Key
		mode  mode
		now   time.Time
		fresh int
		want  want
	}{
		{"empty set asks for two keys", nil, modeEnsure, t0, 0, want{need: 2}},
		{"empty set with one fresh key asks for two", nil, modeEnsure, t0, 1, want{need: 2}},
		{"empty set bootstraps current and next", nil, modeEnsure, t0, 2,
			want{inserted: "fresh-0,fresh-1"}},
		{"a lone next key is promoted at bootstrap", []Key{next}, modeScheduled, t0, 1,
			want{updated: "next", inserted: "fresh-0"}},
		{"missing next key is created", []Key{cur}, modeEnsure, t0, 1, want{inserted: "fresh-0"}},
		{"complete set needs nothing", []Key{cur, next}, modeEnsure, t0.Add(1000 * time.Hour), 0,
			want{}},
		{"scheduled: not due", []Key{cur, next}, modeScheduled,
			t0.Add(cfg.RotationInterval - time.Second), 0, want{}},
		{"scheduled: due", []Key{cur, next}, modeScheduled, t0.Add(cfg.RotationInterval), 1,
			want{updated: "cur,next", inserted: "fresh-0", rotated: true}},
		{"scheduled: due but next too young", []Key{cur, {ID: "next", State: StateNext,
			CreatedAt: t0.Add(cfg.RotationInterval - lead + time.Second)}}, modeScheduled,
			t0.Add(cfg.RotationInterval), 0, want{}},
		{"rotate: next published exactly long enough", []Key{cur, next}, modeRotate, t0.Add(lead), 1,
			want{updated: "cur,next", inserted: "fresh-0", rotated: true}},
		{"rotate: next too young", []Key{cur, next}, modeRotate, t0.Add(lead - time.Second), 1,
			want{err: ErrRotationTooSoon}},
		{"rotate: missing next is created, not promoted", []Key{cur}, modeRotate, t0.Add(lead), 1,
			want{inserted: "fresh-0"}},
		{"force: rotates a young next", []Key{cur, next}, modeForce, t0.Add(time.Second), 1,
			want{updated: "cur,next", inserted: "fresh-0", rotated: true}},
		{"force: asks for the new next key", []Key{cur, next}, modeForce, t0, 0, want{need: 1}},
		{"retired key kept until its window ends", []Key{old, cur, next}, modeEnsure,
			t0.Add(window - time.Second), 0, want{}},
		{"retired key deleted when its window ends", []Key{old, cur, next}, modeEnsure,
			t0.Add(window), 0, want{deleted: "old"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := &planner{cfg: cfg, now: tc.now, fresh: freshRecords(tc.fresh)}
			ch, err := p.plan(slices.Clone(tc.keys), tc.mode)

			var need errNeedKeys
			switch {
			case tc.want.need > 0:
				if !errors.As(err, &need) || int(need) != tc.want.need {
					t.Fatalf("got %v, want a request for %d keys", err, tc.want.need)
				}
				return
			case tc.want.err != nil:
				if !errors.Is(err, tc.want.err) {
					t.Fatalf("got %v, want %v", err, tc.want.err)
				}
				return
			case err != nil:
				t.Fatalf("got %v", err)
			}

			var ins []string
			for _, r := range ch.Insert {
				ins = append(ins, r.ID)
				if !r.CreatedAt.Equal(tc.now) {
					t.Errorf("inserted %s created at %s, want the plan's time", r.ID, r.CreatedAt)
				}
			}
			got := want{deleted: join(ch.Delete), updated: join(kids(ch.Update)),
				inserted: join(ins), rotated: p.rotated != nil}
			if got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestPlanRotationTimes(t *testing.T) {
	cfg := testConfig()
	now := t0.Add(cfg.RotationInterval)
	p := &planner{cfg: cfg, now: now, fresh: freshRecords(1)}
	ch, err := p.plan([]Key{
		{ID: "cur", State: StateCurrent, CreatedAt: t0, ActivatedAt: t0},
		{ID: "next", State: StateNext, CreatedAt: t0},
	}, modeScheduled)
	if err != nil {
		t.Fatal(err)
	}
	retired, promoted := ch.Update[0], ch.Update[1]
	if retired.State != StateRetired || !retired.RetiredAt.Equal(now) ||
		!retired.DeletableAfter.Equal(now.Add(retireWindow(cfg))) ||
		!retired.ActivatedAt.Equal(t0) {
		t.Errorf("retired key: %+v", retired)
	}
	if promoted.State != StateCurrent || !promoted.ActivatedAt.Equal(now) {
		t.Errorf("promoted key: %+v", promoted)
	}
	if r := p.rotated; r == nil || r.Retired.ID != "cur" || r.Current.ID != "next" ||
		r.Next.ID != "fresh-0" {
		t.Errorf("rotation report: %+v", p.rotated)
	}
}

func TestRotationWindows(t *testing.T) {
	cfg := testConfig()
	// With the defaults: max-age 15m + stale bound 3m + skew 1m.
	if got := publishLead(cfg); got != 19*time.Minute {
		t.Errorf("publish lead: got %s, want 19m", got)
	}
	// TTL 10m + stale bound 3m + verifier leeway 5m + skew 1m.
	if got := retireWindow(cfg); got != 19*time.Minute {
		t.Errorf("retire window: got %s, want 19m", got)
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}
