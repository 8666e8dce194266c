// Package redistest finds the Redis server that tests use:
// CERROJO_TEST_REDIS_URL, by default redis://127.0.0.1:6379/0. Without a
// reachable server the test is skipped with a message saying how to enable
// it, except when CI=true, where it fails.
package redistest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/redisconn"
)

// DefaultURL is used when CERROJO_TEST_REDIS_URL is not set.
const DefaultURL = "redis://127.0.0.1:6379/0"

var (
	once     sync.Once
	reachErr error
)

// URL returns the test server's URL after checking that it answers.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("CERROJO_TEST_REDIS_URL")
	if u == "" {
		u = DefaultURL
	}
	once.Do(func() {
		c, err := redisconn.Open(u)
		if err != nil {
			reachErr = err
			return
		}
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		reachErr = redisconn.Ping(ctx, c)
	})
	if reachErr != nil {
		msg := fmt.Sprintf("Redis is not reachable (%v). Start it, or set CERROJO_TEST_REDIS_URL",
			reachErr)
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s; CI=true makes the Redis tests mandatory", msg)
		}
		t.Skip(msg)
	}
	return u
}
