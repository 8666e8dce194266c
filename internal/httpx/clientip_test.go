package httpx

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	proxies := Proxies{netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("2001:db8::/32")}
	cases := []struct {
		name, peer string
		headers    map[string]string
		want       string
	}{
		{"direct client", "203.0.113.7:5000", nil, "203.0.113.7"},
		{"untrusted peer's headers are ignored", "203.0.113.7:5000",
			map[string]string{"X-Forwarded-For": "1.2.3.4"}, "203.0.113.7"},
		{"trusted proxy names the client", "10.1.2.3:443",
			map[string]string{"X-Forwarded-For": "198.51.100.9"}, "198.51.100.9"},
		{"client-written hops before the real one are skipped", "10.1.2.3:443",
			map[string]string{"X-Forwarded-For": "1.1.1.1, 198.51.100.9"}, "198.51.100.9"},
		{"chain of trusted proxies", "10.1.2.3:443",
			map[string]string{"X-Forwarded-For": "198.51.100.9, 10.9.9.9"}, "198.51.100.9"},
		{"Forwarded wins", "10.1.2.3:443", map[string]string{
			"Forwarded":       `for=192.0.2.60;proto=https, for="[2001:db8:cafe::17]:4711"`,
			"X-Forwarded-For": "1.1.1.1"}, "192.0.2.60"},
		{"garbled hop stops the walk at the proxy", "10.1.2.3:443",
			map[string]string{"X-Forwarded-For": "198.51.100.9, not-an-ip"}, "10.1.2.3"},
		{"trusted proxy without headers", "10.1.2.3:443", nil, "10.1.2.3"},
		{"IPv4-mapped peer", "[::ffff:203.0.113.7]:80", nil, "203.0.113.7"},
		{"obfuscated identifier", "10.1.2.3:443",
			map[string]string{"Forwarded": "for=_hidden"}, "10.1.2.3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.peer
			for k, v := range c.headers {
				r.Header.Set(k, v)
			}
			if got := proxies.ClientIP(r); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.1.2.3:443"
	r.Header.Set("X-Forwarded-For", "198.51.100.9")
	if got := Proxies(nil).ClientIP(r); got != "10.1.2.3" {
		t.Errorf("no trusted proxies: got %q", got)
	}
}

// FuzzClientIP feeds arbitrary forwarding headers from a trusted proxy:
// the answer is always an address, and one the headers or the peer gave.
func FuzzClientIP(f *testing.F) {
	f.Add("198.51.100.9, 10.0.0.1", `for=192.0.2.60;proto=http`)
	f.Add("", `for="[2001:db8::1]:80"`)
	f.Add("garbage,,,", "for=")
	proxies := Proxies{netip.MustParsePrefix("10.0.0.0/8")}
	f.Fuzz(func(t *testing.T, xff, fwd string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "10.0.0.1:1234"
		r.Header.Set("X-Forwarded-For", xff)
		r.Header.Set("Forwarded", fwd)
		got := proxies.ClientIP(r)
		if _, err := netip.ParseAddr(got); err != nil {
			t.Fatalf("ClientIP gave %q, not an address", got)
		}
	})
}
