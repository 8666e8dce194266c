package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// HTTPSink POSTs each batch as JSON, {"records": [...]}, and counts any 2xx
// answer as delivered. Redirects are not followed: a collector that moved
// is a configuration to fix, not a place to send personal data unasked.
type HTTPSink struct {
	url    string
	token  string
	client *http.Client
}

// NewHTTPSink returns a sink posting to url, with a bearer token when token
// is not empty, each attempt bounded by timeout.
func NewHTTPSink(url, token string, timeout time.Duration) *HTTPSink {
	return &HTTPSink{url: url, token: token, client: &http.Client{
		Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

// Name implements Sink.
func (s *HTTPSink) Name() string { return "http" }

// Send implements Sink.
func (s *HTTPSink) Send(ctx context.Context, batch []RecordJSON) error {
	body, err := json.Marshal(struct {
		Records []RecordJSON `json:"records"`
	}{batch})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		// The URL may carry credentials: keep it out of the error.
		return fmt.Errorf("http sink: build request")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "cerrojo-audit-forwarder")
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("http sink: post failed")
	}
	defer resp.Body.Close()
	// Drained only so the connection can be reused; the status decides.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("http sink: collector answered %d", resp.StatusCode)
	}
	return nil
}

// Close implements Sink.
func (s *HTTPSink) Close() error {
	s.client.CloseIdleConnections()
	return nil
}
