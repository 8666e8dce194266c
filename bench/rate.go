package main

import (
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// maxInFlight bounds the requests a fixed-rate run has outstanding at once
// (and the goroutines and connections it opens to send them).
const maxInFlight = 1024

// driveRate sends requests open loop: the i-th is due at start + i/rate,
// whatever happened to the ones before it, for duration. A pool of
// goroutines, grown on demand up to maxInFlight, sends them. A request that
// finds all maxInFlight busy at its time waits for one and counts as late;
// when the run's time is up, the requests still waiting are not sent, and
// count as late too.
// Latency runs from each request's scheduled time, not from when it was
// sent, so a server that falls behind shows its queue in the percentiles
// (no coordinated omission).
func driveRate(base string, sc scenario, duration time.Duration, rate float64) result {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: maxInFlight,
		MaxConnsPerHost: maxInFlight}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	total := int(duration.Seconds() * rate)
	jobs := make(chan time.Time)
	var (
		errs, late atomic.Int64
		mu         sync.Mutex
		all        []time.Duration
		wg         sync.WaitGroup
	)
	worker := func() {
		var mine []time.Duration
		for at := range jobs {
			if err := once(client, base, sc); err != nil {
				errs.Add(1)
				continue
			}
			mine = append(mine, time.Since(at))
		}
		mu.Lock()
		all = append(all, mine...)
		mu.Unlock()
	}

	cpuStart := cpuTime()
	start := time.Now()
	end := time.NewTimer(duration)
	defer end.Stop()
	pool := 0
schedule:
	for i := range total {
		// From start each time, so rounding does not accumulate.
		at := start.Add(time.Duration(float64(i) * float64(time.Second) / rate))
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		select {
		case jobs <- at: // an idle sender took it
			continue
		default:
		}
		if pool < maxInFlight {
			pool++
			wg.Go(worker)
			jobs <- at
			continue
		}
		// Every sender is busy: it starts when one is free, if the run
		// lasts that long.
		late.Add(1)
		select {
		case jobs <- at:
		case <-end.C:
			late.Add(int64(total - i - 1))
			break schedule
		}
	}
	close(jobs)
	wg.Wait()
	elapsed := max(time.Since(start), duration)
	cpu := cpuTime() - cpuStart

	slices.Sort(all)
	res := result{errors: errs.Load(), late: late.Load(), fixedRate: true}
	res.summarize(all, elapsed, cpu)
	return res
}
