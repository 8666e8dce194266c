package sdk

import (
	"testing"
	"time"
)

func TestCacheTTL(t *testing.T) {
	cases := []struct {
		cacheControl, age string
		want              time.Duration
	}{
		{"", "", defaultCacheTTL},
		{"public, max-age=900", "", 900 * time.Second},
		{"MAX-AGE=900", "", 900 * time.Second},
		{`max-age="900"`, "", 900 * time.Second},
		{"max-age=900", "300", 600 * time.Second},
		{"max-age=900", "899", minCacheTTL},
		{"max-age=900", "junk", 900 * time.Second},
		{"max-age=29", "", minCacheTTL},
		{"max-age=30", "", 30 * time.Second},
		{"max-age=86400", "", 24 * time.Hour},
		{"max-age=86401", "", maxCacheTTL},
		{"max-age=99999999999999999999", "", defaultCacheTTL},
		{"max-age=-5", "", defaultCacheTTL},
		{"public, no-cache", "", minCacheTTL},
		{"no-store, max-age=900", "", minCacheTTL},
	}
	for _, tc := range cases {
		if got := cacheTTL(tc.cacheControl, tc.age); got != tc.want {
			t.Errorf("cacheTTL(%q, %q) = %s, want %s", tc.cacheControl, tc.age, got, tc.want)
		}
	}
}
