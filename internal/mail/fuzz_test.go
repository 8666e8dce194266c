package mail

import (
	"bytes"
	"net/mail"
	"strings"
	"testing"
)

// mailAddress lets tests name net/mail's type without importing it twice.
type mailAddress = mail.Address

// FuzzReadOutbox checks the outbox reader on any input: it never panics,
// every message it accepts is valid, and what it accepts survives being
// written and read again unchanged.
func FuzzReadOutbox(f *testing.F) {
	from, err := parseFrom("cerrojo <no-reply@localhost>")
	if err != nil {
		f.Fatal(err)
	}
	tricky := Message{To: "beto@example.co", Subject: "Asunto", Text: "From x\n>From y\n",
		HTML: "<p>--cerrojo-</p>"}
	seeds := [][]byte{
		encodeEntry(from, validMessage(), eventTime),
		append(encodeEntry(from, validMessage(), eventTime), encodeEntry(from, tricky, eventTime)...),
		encodeEntry(from, Message{To: "a@b.co", Subject: "s", Text: "t"}, eventTime),
		[]byte("From x\n\n"), []byte("From \nContent-Type: multipart/alternative; boundary=b\n\n--b--\n"),
	}
	for _, s := range seeds {
		f.Add(s)
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		msgs, err := ReadOutbox(bytes.NewReader(data))
		if err != nil {
			if msgs != nil {
				t.Fatalf("got messages and an error")
			}
			return
		}
		var again bytes.Buffer
		for _, m := range msgs {
			if err := m.Validate(); err != nil {
				t.Fatalf("accepted an invalid message: %v", err)
			}
			again.Write(encodeEntry(from, m, eventTime))
		}
		back, err := ReadOutbox(&again)
		if err != nil {
			t.Fatalf("cannot read back what was written: %v", err)
		}
		if len(back) != len(msgs) {
			t.Fatalf("read back %d messages, want %d", len(back), len(msgs))
		}
		for i := range msgs {
			if back[i] != msgs[i] {
				t.Fatalf("message %d changed: %+v became %+v", i, msgs[i], back[i])
			}
		}
	})
}

// FuzzCheckAddress checks that an accepted address is exactly one bare
// address that net/mail reads back unchanged, with nothing that could end
// a header line.
func FuzzCheckAddress(f *testing.F) {
	for _, s := range []string{"ana@example.co", "a@b", "Ana <ana@example.co>",
		"ana@example.co\r\nBcc: x@y.co", `"a b"@example.co`, "muñoz@example.co",
		"a@[127.0.0.1]", "a,b@c.co", "=?utf-8?q?x?=@example.co"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		if CheckAddress(addr) != nil {
			return
		}
		if strings.ContainsAny(addr, "\r\n\x00<>,;\" ") {
			t.Fatalf("accepted %q", addr)
		}
		if strings.Count(addr, "@") != 1 || len(addr) > MaxAddressBytes {
			t.Fatalf("accepted %q", addr)
		}
		parsed, err := mail.ParseAddress(addr)
		if err != nil || parsed.Address != addr || parsed.Name != "" {
			t.Fatalf("accepted %q, which net/mail reads as %v, %v", addr, parsed, err)
		}
		list, err := mail.ParseAddressList(addr)
		if err != nil || len(list) != 1 {
			t.Fatalf("accepted %q, which reads as a list of %d", addr, len(list))
		}
	})
}

// FuzzCheckLink checks that an accepted link is https (or http to a
// loopback host), without user information, and inside the allow-list.
func FuzzCheckLink(f *testing.F) {
	for _, s := range []string{"https://mercado.example/r?t=1", "http://localhost:8080/",
		"javascript:alert(1)", "https://a@b.example", `https://a\@b.example`,
		"https://mercado.example.evil.example/", "HTTP://LOCALHOST/"} {
		f.Add(s)
	}
	hosts := []string{"mercado.example", "localhost", "127.0.0.1", "::1"}
	f.Fuzz(func(t *testing.T, link string) {
		if checkLink(link, hosts) != nil {
			return
		}
		lower := strings.ToLower(link)
		if !strings.HasPrefix(lower, "https://") && !strings.HasPrefix(lower, "http://") {
			t.Fatalf("accepted %q", link)
		}
		if strings.ContainsAny(link, "\\ \r\n\t\x00") {
			t.Fatalf("accepted %q", link)
		}
		rest := lower[strings.Index(lower, "//")+2:]
		authority, _, _ := strings.Cut(rest, "/")
		authority, _, _ = strings.Cut(authority, "?")
		authority, _, _ = strings.Cut(authority, "#")
		if strings.Contains(authority, "@") {
			t.Fatalf("accepted user information in %q", link)
		}
	})
}
