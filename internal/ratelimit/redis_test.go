package ratelimit

import (
	"context"
	"testing"
	"time"
)

func TestRedisConformance(t *testing.T) {
	c := openRedis(t, redisURL(t))
	conformance(t, testRedis(t, c), time.Sleep)
}

func TestRedisKeysAreNamespacedAndExpire(t *testing.T) {
	c := openRedis(t, redisURL(t))
	r := NewRedis(c)
	key := "test:" + randomHex(t)
	stored := "rate:cerrojo:rl:" + key
	t.Cleanup(func() { c.Del(context.Background(), stored) })

	lim := Limit{Rate: 10, Period: time.Minute, Burst: 5}
	if _, err := r.Allow(context.Background(), key, lim); err != nil {
		t.Fatal(err)
	}
	ttl, err := c.TTL(context.Background(), stored).Result()
	if err != nil {
		t.Fatal(err)
	}
	// One request puts the key one emission interval (6 s) from its full
	// allowance; Redis keeps it no longer than that, rounded up.
	if ttl <= 0 || ttl > 6*time.Second {
		t.Fatalf("%s has TTL %s, want within (0, 6s]", stored, ttl)
	}
}

// TestRedisAgreesWithMemory runs one sequence of requests against both
// limiters: without waiting, both must give the same decisions and
// remaining counts.
func TestRedisAgreesWithMemory(t *testing.T) {
	c := openRedis(t, redisURL(t))
	r := testRedis(t, c)
	m := NewMemory(newFake())
	ctx := context.Background()

	for _, lim := range []Limit{
		{Rate: 10, Period: time.Minute, Burst: 5},
		{Rate: 7, Period: time.Minute, Burst: 1},
		{Rate: 30, Period: time.Hour, Burst: 10},
	} {
		key := lim.String()
		for i := range lim.Burst + 2 {
			got, err := r.Allow(ctx, key, lim)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := m.Allow(ctx, key, lim)
			if got.Allowed != want.Allowed || got.Remaining != want.Remaining {
				t.Fatalf("%s, request %d: redis %+v, memory %+v", lim, i+1, got, want)
			}
		}
	}
}
