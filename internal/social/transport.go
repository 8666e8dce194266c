package social

import (
	"errors"
	"io"
	"net/http"
)

// MaxProviderBodyBytes caps every answer read from a provider (discovery,
// JWKS, token, UserInfo): go-oidc reads them whole, so the cap is applied
// underneath, in the transport. Real ones are a few KiB.
const MaxProviderBodyBytes = 1 << 20

// limitedTransport cuts provider answers at MaxProviderBodyBytes: reading
// past the cap is an error, so a hostile or broken endpoint cannot make
// the node hold an unbounded body in memory.
type limitedTransport struct{ next http.RoundTripper }

func (t limitedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = &limitedBody{r: io.LimitReader(resp.Body, MaxProviderBodyBytes+1), c: resp.Body}
	return resp, nil
}

type limitedBody struct {
	r io.Reader
	c io.Closer
	n int64
}

var errBodyTooLarge = errors.New("social: provider answer larger than the limit")

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	if b.n > MaxProviderBodyBytes {
		return 0, errBodyTooLarge
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.c.Close() }
