//go:build linux

package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// pinSelf confines every thread of this process to cpu, and so the threads
// they start later, and sets GOMAXPROCS to 1. restore puts back the CPUs
// and GOMAXPROCS there were (the tests share the process).
func pinSelf(cpu int) (restore func(), err error) {
	var old, set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		return nil, fmt.Errorf("read this process's CPUs: %w", err)
	}
	set.Set(cpu)
	// Twice: a thread started while the first pass ran may have copied the
	// old mask.
	for range 2 {
		if err := setAllThreads(&set); err != nil {
			_ = setAllThreads(&old) // best effort; the error below is the one to see
			return nil, fmt.Errorf("pin this process to CPU %d: %w", cpu, err)
		}
	}
	prev := runtime.GOMAXPROCS(1)
	return func() {
		_ = setAllThreads(&old) // the run is over; nothing to measure is left
		runtime.GOMAXPROCS(prev)
	}, nil
}

func setAllThreads(set *unix.CPUSet) error {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return err
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		err = unix.SchedSetaffinity(tid, set)
		if err != nil && !errors.Is(err, unix.ESRCH) { // ESRCH: the thread has exited
			return err
		}
	}
	return nil
}
