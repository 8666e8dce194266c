package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"time"
)

// SyslogSink sends each record as one RFC 5424 syslog message: facility
// authpriv (10), severity notice for successes and warning otherwise,
// APP-NAME "cerrojo", MSGID the action, no structured data, and the record
// as JSON (prefixed with the UTF-8 byte order mark that section 6.4 asks
// for) as MSG. Over TCP, messages are framed by octet counting (RFC 6587
// section 3.4.1); over UDP, each is one datagram (RFC 5426), and a
// collector may cut messages longer than it accepts: prefer TCP.
type SyslogSink struct {
	network, address string
	timeout          time.Duration
	hostname         string

	mu   sync.Mutex
	conn net.Conn
}

// NewSyslogSink returns a sink sending to address over network ("tcp" or
// "udp"), each write bounded by timeout.
func NewSyslogSink(network, address string, timeout time.Duration) *SyslogSink {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "-"
	}
	return &SyslogSink{network: network, address: address, timeout: timeout,
		hostname: printableASCII(host, 255)}
}

// Name implements Sink.
func (s *SyslogSink) Name() string { return "syslog" }

const (
	facilityAuthpriv = 10
	severityWarning  = 4
	severityNotice   = 5
	utf8BOM          = "\xef\xbb\xbf"
)

// format returns the RFC 5424 message for r (section 6).
func (s *SyslogSink) format(r RecordJSON) ([]byte, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	severity := severityWarning
	if r.Outcome == OutcomeSuccess {
		severity = severityNotice
	}
	msgID := printableASCII(r.Action, 32)
	if msgID == "" {
		msgID = "-"
	}
	head := fmt.Sprintf("<%d>1 %s %s cerrojo - %s - ", facilityAuthpriv*8+severity, r.Time,
		s.hostname, msgID)
	return append([]byte(head+utf8BOM), body...), nil
}

// Send implements Sink.
func (s *SyslogSink) Send(ctx context.Context, batch []RecordJSON) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		d := net.Dialer{Timeout: s.timeout}
		conn, err := d.DialContext(ctx, s.network, s.address)
		if err != nil {
			return fmt.Errorf("syslog sink: %w", err)
		}
		s.conn = conn
	}
	for _, r := range batch {
		msg, err := s.format(r)
		if err != nil {
			return err
		}
		if s.network == "tcp" {
			msg = append([]byte(strconv.Itoa(len(msg))+" "), msg...)
		}
		// A connection that cannot take a deadline fails the Write below.
		_ = s.conn.SetWriteDeadline(time.Now().Add(s.timeout))
		if _, err := s.conn.Write(msg); err != nil {
			// Start over on a new connection; the batch is sent again whole.
			_ = s.conn.Close() // already broken; the write error is returned
			s.conn = nil
			return fmt.Errorf("syslog sink: %w", err)
		}
	}
	return nil
}

// Close implements Sink.
func (s *SyslogSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn = nil
	return err
}

// printableASCII keeps the bytes 33-126 that RFC 5424 allows in header
// fields, up to max.
func printableASCII(s string, max int) string {
	b := make([]byte, 0, min(len(s), max))
	for i := 0; i < len(s) && len(b) < max; i++ {
		if s[i] >= 33 && s[i] <= 126 {
			b = append(b, s[i])
		}
	}
	return string(b)
}
