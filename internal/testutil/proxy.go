package testutil

import (
	"io"
	"net"
	"sync"
	"testing"
)

// Proxy is a TCP proxy in front of a test's PostgreSQL or Redis that the
// test can stop and start again on the same address, to cut a dependency
// off mid-traffic as a crash or a network partition would.
type Proxy struct {
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// StartProxy listens on a loopback port and forwards every connection to
// target (host:port). It is stopped when the test ends.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	p := &Proxy{target: target, conns: make(map[net.Conn]struct{})}
	p.listen(t, "127.0.0.1:0")
	t.Cleanup(func() {
		p.Stop()
		p.wg.Wait()
	})
	return p
}

// Addr is the host:port the proxy listens on.
func (p *Proxy) Addr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.addr
}

func (p *Proxy) listen(t testing.TB, addr string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("proxy listen on %s: %v", addr, err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.wg.Go(func() { p.pipe(c) })
		}
	})
}

// pipe copies both ways between down and a new connection to the target.
// Close and copy errors are discarded throughout: the proxy exists to drop
// connections, and the tests see any failure on their own side of it.
func (p *Proxy) pipe(down net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = down.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil { // stopped meanwhile
		p.mu.Unlock()
		_ = up.Close()
		_ = down.Close()
		return
	}
	p.conns[down], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()

	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(up, down)
		_ = up.Close()
		close(done)
	}()
	_, _ = io.Copy(down, up)
	_ = down.Close()
	<-done

	p.mu.Lock()
	delete(p.conns, down)
	delete(p.conns, up)
	p.mu.Unlock()
}

// Stop closes the listener and every open connection.
func (p *Proxy) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	// Closing is the point; an error closing an already broken listener or
	// connection leaves nothing to undo.
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		_ = c.Close()
	}
}

// Restart listens again on the address the proxy had.
func (p *Proxy) Restart(t testing.TB) { p.listen(t, p.Addr()) }
