// Package filestore decides what an uploaded vendor document is, seals it
// and stores it, and serves it back so a browser cannot run it.
//
// Vendor documents (RUT, Cámara de Comercio certificate, identity document,
// bank certificate) are among the most sensitive data cerrojo holds. The
// package guarantees:
//   - Only PDF, JPEG and PNG are accepted, decided from the content alone
//     (see Detect); the client's file name and media type are never trusted.
//   - Every document is sealed (AES-256-GCM through internal/keyring) with
//     associated data naming its key, so a blob copied or moved under
//     another key does not open, and an altered blob does not open.
//   - A document read back is checked against the SHA-256 and kind recorded
//     when it was stored (Vault.Get).
//   - Blobs on disk are written atomically with private modes (FS).
//   - Downloads are attachments with headers that stop rendering, sniffing,
//     framing, caching and cross-origin reads (ServeDownload).
package filestore

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
)

// Kind is a verified document type.
type Kind string

// The accepted kinds.
const (
	PDF  Kind = "pdf"
	JPEG Kind = "jpeg"
	PNG  Kind = "png"
)

// MediaType returns the media type served for the kind, or "" for an
// unknown kind.
func (k Kind) MediaType() string {
	switch k {
	case PDF:
		return "application/pdf"
	case JPEG:
		return "image/jpeg"
	case PNG:
		return "image/png"
	}
	return ""
}

// Valid reports whether k is one of the accepted kinds.
func (k Kind) Valid() bool { return k.MediaType() != "" }

// Extension returns the file name extension for the kind, with the dot.
func (k Kind) Extension() string {
	switch k {
	case PDF:
		return ".pdf"
	case JPEG:
		return ".jpg"
	case PNG:
		return ".png"
	}
	return ""
}

// Errors returned by Detect and Vault.Put; they are wrapped, test with errors.Is.
var (
	// ErrUnsupported means the content is not an accepted type, or carries
	// markup that a browser could render (HTML, SVG, XML, script).
	ErrUnsupported = errors.New("filestore: unsupported file type")
	// ErrMismatch means the media type the client declared differs from
	// the detected one (or is not one of the accepted media types).
	ErrMismatch = errors.New("filestore: declared type does not match content")
	// ErrMalformed means the content starts like an accepted type but its
	// structure is broken (truncated, bad chunk lengths, missing end marker).
	ErrMalformed = errors.New("filestore: malformed file")
	// ErrTooLarge means the content exceeds the size limit.
	ErrTooLarge = errors.New("filestore: file too large")
)

// markupWindow is how much of the start of a file is searched for markup.
// Browsers that sniff look at the first 512 bytes (WHATWG MIME Sniffing
// uses up to 1445); 1024 covers the common sniffers.
const markupWindow = 1024

// pdfEOFWindow is how close to the end of a PDF the %%EOF marker must be.
const pdfEOFWindow = 1024

// markupMarkers are searched case-insensitively (they are lower case here).
var markupMarkers = [][]byte{
	[]byte("<html"),
	[]byte("<svg"),
	[]byte("<script"),
	[]byte("<!doctype"),
	[]byte("<?xml"),
	[]byte("<body"),
	[]byte("<iframe"),
}

// hasMarkup reports whether b contains one of markupMarkers, ignoring case.
func hasMarkup(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if b[i] != '<' {
			continue
		}
		for _, m := range markupMarkers {
			if len(b)-i >= len(m) && asciiEqualFold(b[i:i+len(m)], m) {
				return true
			}
		}
	}
	return false
}

// asciiEqualFold compares b to the lower-case ASCII lower, ignoring the
// case of ASCII letters only (bytes.EqualFold would also fold UTF-8).
func asciiEqualFold(b, lower []byte) bool {
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// KindForMediaType maps a declared media type to a kind. Parameters (such
// as "; charset=binary") and case are ignored; image/jpg is accepted as a
// common misspelling of image/jpeg. It returns false for any other type.
func KindForMediaType(mediaType string) (Kind, bool) {
	mt, _, _ := strings.Cut(mediaType, ";")
	switch strings.ToLower(strings.TrimSpace(mt)) {
	case "application/pdf":
		return PDF, true
	case "image/jpeg", "image/jpg":
		return JPEG, true
	case "image/png":
		return PNG, true
	}
	return "", false
}

// Detect decides the type from the content alone (magic bytes plus
// structure) and refuses anything else. declared is the media type the
// client claimed (may be ""): when set it must match the detected kind.
//
// Rules, in the order they are applied, and why:
//
//  1. Empty content is ErrUnsupported: there is no document.
//  2. If the first 1024 bytes contain, ignoring case, "<html", "<svg",
//     "<script", "<!doctype", "<?xml", "<body" or "<iframe", the content is
//     ErrUnsupported. Browsers and other sniffers decide from the start of
//     a file; an HTML or SVG file renamed .pdf, or HTML behind a PDF
//     header, must never be stored, because served or opened the wrong way
//     it runs script in our origin or the user's.
//  3. PDF: starts with "%PDF-1." or "%PDF-2." and a digit (the header of
//     every PDF version, ISO 32000), and "%%EOF" occurs within the last
//     1024 bytes, preceded by "startxref" (every complete PDF ends with
//     them; a missing marker means a truncated or non-PDF file:
//     ErrMalformed). The bytes
//     after the last "%%EOF" must not contain the markers of rule 2
//     (ErrUnsupported): that is where PDF/HTML polyglots put their payload.
//  4. JPEG: starts FF D8 FF (SOI and the next marker); the marker segments
//     before the first scan (SOS) are walked with their length fields
//     checked against the end of the data; the file ends with FF D9 (EOI),
//     after which only zero padding is allowed (some encoders pad). Anything
//     else after EOI is where a polyglot would hide, and a missing EOI means
//     truncation: ErrMalformed (ErrUnsupported if the trailer has markup).
//  5. PNG: the 8-byte signature, then chunks walked one by one with their
//     length (at most 2^31-1, PNG spec 5.3) checked against the end of the
//     data and their CRC verified; the first chunk is a 13-byte IHDR with
//     non-zero dimensions, at least one IDAT precedes IEND, and IEND is the
//     last bytes of the file. Violations are ErrMalformed (ErrUnsupported
//     if bytes after IEND carry markup).
//  6. Anything else (GIF, ZIP, DOCX, plain text, ...) is ErrUnsupported:
//     the product needs no other type, and each accepted type is one more
//     parser to trust.
//  7. If declared is not "", it must name the detected kind per
//     KindForMediaType, else ErrMismatch: a client that claims image/png
//     for a PDF is confused or probing, and the document would later be
//     labelled inconsistently. Content errors take precedence.
//
// Detect does not look for markup in the middle of a file: downloads are
// served with the verified type, nosniff and a sandbox CSP (ServeDownload),
// so the middle of a file is never interpreted as markup by a browser.
func Detect(content []byte, declared string) (Kind, error) {
	kind, err := detectContent(content)
	if err != nil {
		return "", err
	}
	if declared != "" {
		dk, ok := KindForMediaType(declared)
		if !ok || dk != kind {
			return "", fmt.Errorf("%w: declared %q, content is %s",
				ErrMismatch, truncateForError(declared), kind.MediaType())
		}
	}
	return kind, nil
}

func truncateForError(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}

func detectContent(b []byte) (Kind, error) {
	if len(b) == 0 {
		return "", fmt.Errorf("%w: empty file", ErrUnsupported)
	}
	if hasMarkup(b[:min(len(b), markupWindow)]) {
		return "", fmt.Errorf("%w: markup in the first %d bytes", ErrUnsupported, markupWindow)
	}
	switch {
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return PDF, checkPDF(b)
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return JPEG, checkJPEG(b)
	case bytes.HasPrefix(b, pngSignature):
		return PNG, checkPNG(b)
	}
	return "", fmt.Errorf("%w: not a PDF, JPEG or PNG", ErrUnsupported)
}

func checkPDF(b []byte) error {
	v1, v2 := bytes.HasPrefix(b, []byte("%PDF-1.")), bytes.HasPrefix(b, []byte("%PDF-2."))
	if len(b) < 8 || !v1 && !v2 || b[7] < '0' || b[7] > '9' {
		return fmt.Errorf("%w: bad PDF header", ErrMalformed)
	}
	tail := b[max(0, len(b)-pdfEOFWindow):]
	i := bytes.LastIndex(tail, []byte("%%EOF"))
	if i < 0 {
		return fmt.Errorf("%w: PDF has no %%%%EOF in its last %d bytes",
			ErrMalformed, pdfEOFWindow)
	}
	// Every PDF ends "startxref", the offset of its cross-reference, then
	// "%%EOF" (ISO 32000-1 7.5.5, incremental updates included). Search only
	// after the header so that the two cannot overlap.
	if j := bytes.LastIndex(tail[:i], []byte("startxref")); j < 0 || len(b)-len(tail)+j < 8 {
		return fmt.Errorf("%w: PDF has no startxref before %%%%EOF", ErrMalformed)
	}
	if hasMarkup(tail[i+len("%%EOF"):]) {
		return fmt.Errorf("%w: markup after the PDF end marker", ErrUnsupported)
	}
	return nil
}

func checkJPEG(b []byte) error {
	// Walk the marker segments from just after SOI up to the first SOS.
	i := 2
	for {
		if i >= len(b) || b[i] != 0xFF {
			return fmt.Errorf("%w: JPEG marker expected at offset %d", ErrMalformed, i)
		}
		for i < len(b) && b[i] == 0xFF { // fill bytes (ITU T.81 B.1.1.2)
			i++
		}
		if i >= len(b) {
			return fmt.Errorf("%w: JPEG truncated in a marker", ErrMalformed)
		}
		m := b[i]
		i++
		switch {
		case m == 0x01 || (m >= 0xD0 && m <= 0xD7):
			continue // standalone markers: TEM, RSTn
		case m == 0x00 || m == 0xD8 || m == 0xD9:
			return fmt.Errorf("%w: JPEG marker %#x before the first scan", ErrMalformed, m)
		}
		if len(b)-i < 2 {
			return fmt.Errorf("%w: JPEG truncated in a segment length", ErrMalformed)
		}
		n := int(b[i])<<8 | int(b[i+1])
		if n < 2 || n > len(b)-i {
			return fmt.Errorf("%w: JPEG segment length runs past the end", ErrMalformed)
		}
		i += n
		if m == 0xDA { // SOS: entropy-coded data follows
			break
		}
	}
	end := len(bytes.TrimRight(b[i:], "\x00")) + i
	if end-i < 2 || b[end-2] != 0xFF || b[end-1] != 0xD9 {
		if j := bytes.LastIndex(b[i:], []byte{0xFF, 0xD9}); j >= 0 && hasMarkup(b[i+j+2:]) {
			return fmt.Errorf("%w: markup after the JPEG end marker", ErrUnsupported)
		}
		return fmt.Errorf("%w: JPEG does not end with FF D9", ErrMalformed)
	}
	return nil
}

var pngSignature = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}

func checkPNG(b []byte) error {
	i := len(pngSignature)
	sawIDAT := false
	for n := 0; ; n++ {
		if len(b)-i < 12 {
			return fmt.Errorf("%w: PNG truncated (no IEND)", ErrMalformed)
		}
		length := uint32(b[i])<<24 | uint32(b[i+1])<<16 | uint32(b[i+2])<<8 | uint32(b[i+3])
		if length > 1<<31-1 || int64(length) > int64(len(b)-i-12) {
			return fmt.Errorf("%w: PNG chunk length runs past the end", ErrMalformed)
		}
		typ := string(b[i+4 : i+8])
		data := b[i+8 : i+8+int(length)]
		crcAt := i + 8 + int(length)
		want := uint32(b[crcAt])<<24 | uint32(b[crcAt+1])<<16 | uint32(b[crcAt+2])<<8 |
			uint32(b[crcAt+3])
		if crc32.ChecksumIEEE(b[i+4:crcAt]) != want {
			return fmt.Errorf("%w: PNG chunk %q has a bad CRC", ErrMalformed, sanitizeType(typ))
		}
		i = crcAt + 4
		switch {
		case n == 0:
			if typ != "IHDR" || length != 13 {
				return fmt.Errorf("%w: PNG does not start with IHDR", ErrMalformed)
			}
			w := uint32(data[0])<<24 | uint32(data[1])<<16 | uint32(data[2])<<8 | uint32(data[3])
			h := uint32(data[4])<<24 | uint32(data[5])<<16 | uint32(data[6])<<8 | uint32(data[7])
			if w == 0 || h == 0 || w > 1<<31-1 || h > 1<<31-1 {
				return fmt.Errorf("%w: PNG has bad dimensions", ErrMalformed)
			}
		case typ == "IHDR":
			return fmt.Errorf("%w: PNG has a second IHDR", ErrMalformed)
		case typ == "IDAT":
			sawIDAT = true
		case typ == "IEND":
			if length != 0 || !sawIDAT {
				return fmt.Errorf("%w: PNG has a bad IEND or no IDAT", ErrMalformed)
			}
			if i != len(b) {
				if hasMarkup(b[i:]) {
					return fmt.Errorf("%w: markup after the PNG end marker", ErrUnsupported)
				}
				return fmt.Errorf("%w: data after the PNG IEND chunk", ErrMalformed)
			}
			return nil
		}
	}
}

// sanitizeType keeps a chunk type printable in an error message.
func sanitizeType(t string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x21 || r > 0x7E {
			return '?'
		}
		return r
	}, t)
}
