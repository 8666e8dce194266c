package mail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"time"
)

// The outbox is an mbox file in the mboxrd variant: each message starts
// with a "From " line, and a body line that starts with "From " (after any
// number of ">") gets one more ">" so that it cannot be taken for the start
// of a message. Messages are MIME multipart/alternative with 8bit UTF-8
// parts and unencoded UTF-8 subjects (RFC 6532), so that `less` shows them
// as a person would read them and mutt -f opens them.

// encodeEntry writes m as one mbox entry, ending with a blank line.
func encodeEntry(from *mail.Address, m Message, now time.Time) []byte {
	boundary := pickBoundary(m)

	var msg bytes.Buffer
	fmt.Fprintf(&msg, "Date: %s\n", now.Format(time.RFC1123Z))
	fmt.Fprintf(&msg, "From: %s\n", from.String())
	fmt.Fprintf(&msg, "To: %s\n", m.To)
	fmt.Fprintf(&msg, "Subject: %s\n", m.Subject)
	fmt.Fprintf(&msg, "Message-ID: <%s@outbox.invalid>\n", randomID())
	msg.WriteString("MIME-Version: 1.0\n")
	fmt.Fprintf(&msg, "Content-Type: multipart/alternative; boundary=%q\n\n", boundary)
	writePart(&msg, boundary, "text/plain", m.Text)
	if m.HTML != "" {
		writePart(&msg, boundary, "text/html", m.HTML)
	}
	fmt.Fprintf(&msg, "--%s--\n", boundary)

	var out bytes.Buffer
	out.Grow(msg.Len() + 128)
	fmt.Fprintf(&out, "From %s %s\n", from.Address, now.UTC().Format(time.ANSIC))
	for line := range strings.SplitAfterSeq(msg.String(), "\n") {
		if isFromLine(line) {
			out.WriteByte('>')
		}
		out.WriteString(line)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

// writePart writes one part. The newline after the body belongs to the
// next delimiter (RFC 2046 section 5.1.1), so a body is read back exactly,
// trailing newline or not.
func writePart(w *bytes.Buffer, boundary, mediaType, body string) {
	fmt.Fprintf(w, "--%s\n", boundary)
	fmt.Fprintf(w, "Content-Type: %s; charset=utf-8\n", mediaType)
	w.WriteString("Content-Transfer-Encoding: 8bit\n\n")
	w.WriteString(body)
	w.WriteString("\n")
}

// pickBoundary returns a boundary that occurs in neither body, as RFC 2046
// section 5.1.1 requires.
func pickBoundary(m Message) string {
	for {
		b := "cerrojo-" + randomID()
		if !strings.Contains(m.Text, b) && !strings.Contains(m.HTML, b) {
			return b
		}
	}
}

// isFromLine reports whether line matches mboxrd's ^>*From pattern.
func isFromLine(line string) bool {
	return strings.HasPrefix(strings.TrimLeft(line, ">"), "From ")
}

// ErrMalformedOutbox is wrapped by ReadOutbox's errors.
var ErrMalformedOutbox = errors.New("malformed outbox")

// ReadOutbox reads the messages of an outbox file, oldest first. It is for
// tests and development tools that need the code or link a message
// carried. It accepts what Outbox writes and refuses anything else: every
// message it returns passes Message.Validate.
func ReadOutbox(r io.Reader) ([]Message, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxOutboxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	if len(data) > maxOutboxBytes {
		return nil, fmt.Errorf("read outbox: %w: larger than %d bytes", ErrMalformedOutbox,
			maxOutboxBytes)
	}
	if len(data) == 0 {
		return nil, nil
	}
	if !bytes.HasPrefix(data, []byte("From ")) {
		return nil, fmt.Errorf("read outbox: %w: does not start with a From line",
			ErrMalformedOutbox)
	}

	var msgs []Message
	var entry strings.Builder
	flush := func() error {
		m, err := parseEntry(entry.String())
		if err != nil {
			return fmt.Errorf("read outbox: message %d: %w", len(msgs)+1, err)
		}
		msgs = append(msgs, m)
		entry.Reset()
		return nil
	}
	for i, line := range strings.SplitAfter(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "From "):
			if i > 0 {
				if err := flush(); err != nil {
					return nil, err
				}
			}
		case isFromLine(line):
			entry.WriteString(line[1:])
		default:
			entry.WriteString(line)
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return msgs, nil
}

// parseEntry reads one message as encodeEntry wrote it.
func parseEntry(entry string) (Message, error) {
	msg, err := mail.ReadMessage(strings.NewReader(entry))
	if err != nil {
		return Message{}, fmt.Errorf("%w: headers: %v", ErrMalformedOutbox, err)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" || params["boundary"] == "" {
		return Message{}, fmt.Errorf("%w: not multipart/alternative", ErrMalformedOutbox)
	}

	m := Message{To: msg.Header.Get("To"), Subject: msg.Header.Get("Subject")}
	parts := multipart.NewReader(msg.Body, params["boundary"])
	for n := 0; ; n++ {
		part, err := parts.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Message{}, fmt.Errorf("%w: parts: %v", ErrMalformedOutbox, err)
		}
		if n == 2 {
			return Message{}, fmt.Errorf("%w: more than two parts", ErrMalformedOutbox)
		}
		body, err := readPart(part)
		if err != nil {
			return Message{}, err
		}
		switch {
		case n == 0 && part.Header.Get("Content-Type") == "text/plain; charset=utf-8":
			m.Text = body
		case n == 1 && part.Header.Get("Content-Type") == "text/html; charset=utf-8":
			m.HTML = body
		default:
			return Message{}, fmt.Errorf("%w: unexpected part %d", ErrMalformedOutbox, n+1)
		}
	}

	if err := m.Validate(); err != nil {
		return Message{}, fmt.Errorf("%w: %v", ErrMalformedOutbox, err)
	}
	return m, nil
}

func readPart(part *multipart.Part) (string, error) {
	if part.Header.Get("Content-Transfer-Encoding") != "8bit" {
		return "", fmt.Errorf("%w: a part is not 8bit", ErrMalformedOutbox)
	}
	body, err := io.ReadAll(io.LimitReader(part, MaxBodyBytes+1))
	if err != nil {
		return "", fmt.Errorf("%w: part body: %v", ErrMalformedOutbox, err)
	}
	if len(body) > MaxBodyBytes {
		return "", fmt.Errorf("%w: a part is larger than %d bytes", ErrMalformedOutbox,
			MaxBodyBytes)
	}
	return string(body), nil
}
