package httpx

import (
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the proxies in front of cerrojo whose word on the client's
// address is taken. A request that arrives from one of them may name the
// client in X-Forwarded-For or Forwarded (RFC 7239); from anyone else,
// those headers are ignored, since any client can write them.
type Proxies []netip.Prefix

// maxForwardedHops bounds the hops read from the forwarding headers: a
// real chain has a few; a long one is an attacker padding it.
const maxForwardedHops = 16

// ClientIP returns the address of the client of r: the peer, unless the
// peer is a trusted proxy, in which case the forwarding headers are read
// from the nearest hop outwards and the first address that is not itself a
// trusted proxy is the client. Forwarded wins over X-Forwarded-For when a
// request has both. A hop that cannot be read ends the walk at the last
// trusted address, so a garbled header cannot choose the answer.
func (p Proxies) ClientIP(r *http.Request) string {
	peer, ok := parseHost(hostOnly(r.RemoteAddr))
	if !ok {
		return hostOnly(r.RemoteAddr)
	}
	if !p.trusted(peer) {
		return peer.String()
	}
	hops := forwardedFor(r.Header.Values("Forwarded"))
	if hops == nil {
		hops = xForwardedFor(r.Header.Values("X-Forwarded-For"))
	}
	client := peer
	for i := len(hops) - 1; i >= 0 && i >= len(hops)-maxForwardedHops; i-- {
		a, ok := parseHost(hops[i])
		if !ok {
			break
		}
		client = a
		if !p.trusted(a) {
			break
		}
	}
	return client.String()
}

func (p Proxies) trusted(a netip.Addr) bool {
	for _, pr := range p {
		if pr.Contains(a) {
			return true
		}
	}
	return false
}

// parseHost reads an address as forwarding headers and RemoteAddr write
// it: bare, in brackets, with a port, or quoted.
func parseHost(s string) (netip.Addr, bool) {
	s = strings.Trim(strings.TrimSpace(s), `"`)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// xForwardedFor lists the hops of X-Forwarded-For headers, nearest last.
func xForwardedFor(values []string) []string {
	var hops []string
	for _, v := range values {
		for _, h := range strings.Split(v, ",") {
			hops = append(hops, strings.TrimSpace(h))
		}
	}
	return hops
}

// forwardedFor lists the for= parameters of Forwarded headers (RFC 7239
// section 4), nearest last; nil when there is none.
func forwardedFor(values []string) []string {
	var hops []string
	for _, v := range values {
		for _, elem := range strings.Split(v, ",") {
			for _, pair := range strings.Split(elem, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if ok && strings.EqualFold(k, "for") {
					hops = append(hops, val)
				}
			}
		}
	}
	return hops
}
