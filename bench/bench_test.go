package main

import (
	"testing"
	"time"
)

// TestHarnessRuns checks that the harness works end to end in its short
// mode: it starts a node, drives every scenario and its baseline, and no
// request fails. It says nothing about the numbers.
func TestHarnessRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node and drives it")
	}
	if err := run("", 300*time.Millisecond, 2); err != nil {
		t.Fatal(err)
	}
}
