package filestore

import (
	"net/http"
	"path"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// maxFilenameRunes caps the length of a served file name (without extension).
const maxFilenameRunes = 100

// defaultFilename is used when nothing usable is left of the given name.
const defaultFilename = "documento"

// ServeDownload writes the document as an attachment that a browser will
// not render as anything else:
//   - Content-Type: the verified media type of kind;
//   - Content-Disposition: attachment, with a safe ASCII filename and, when
//     the name has non-ASCII letters, filename* in UTF-8 (RFC 6266, RFC
//     8187); both end in the kind's extension, so a saved file opens with
//     a viewer for its real type (never, say, as .html);
//   - X-Content-Type-Options: nosniff;
//   - Content-Security-Policy: sandbox; default-src 'none' (if rendered
//     anyway, nothing runs and nothing loads);
//   - Cache-Control: no-store (no copy in shared or browser caches);
//   - Cross-Origin-Resource-Policy: same-origin (other sites cannot embed
//     or read it);
//   - X-Frame-Options: DENY, Referrer-Policy: no-referrer;
//   - Content-Length.
//
// content must come from Vault.Get (verified to be of kind). An unknown
// kind gets a 500 and no content.
func ServeDownload(w http.ResponseWriter, kind Kind, filename string, content []byte) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if !kind.Valid() {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("internal error\n"))
		return
	}
	h.Del("Content-Encoding")
	h.Del("ETag")
	h.Del("Last-Modified")
	h.Set("Content-Type", kind.MediaType())
	h.Set("Content-Disposition", ContentDisposition(kind, filename))
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Length", strconv.Itoa(len(content)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(content)
}

// ContentDisposition returns the Content-Disposition value ServeDownload
// uses: attachment; filename="<ASCII>" and, if the cleaned name is not
// plain ASCII, filename*=UTF-8”<percent-encoded>. Directory parts,
// control and formatting characters (CR, LF, bidirectional overrides),
// quotes and backslashes never reach the header, and the extension is
// always the one of kind.
func ContentDisposition(kind Kind, filename string) string {
	base := cleanName(filename, kind)
	ext := kind.Extension()
	ascii := asciiName(base)
	v := `attachment; filename="` + ascii + ext + `"`
	if ascii != base {
		v += "; filename*=UTF-8''" + percentEncode(base+ext)
	}
	return v
}

// cleanName returns filename without directories, its extension if it is
// one of kind's, characters that are not printable (controls, bidi and
// other format characters) and leading dots or spaces; at most
// maxFilenameRunes runes, in Unicode NFC. It may be non-ASCII.
func cleanName(filename string, kind Kind) string {
	name := strings.ToValidUTF8(filename, "")
	name = strings.ReplaceAll(name, `\`, "/")
	name = path.Base(name)
	if name == "." || name == "/" {
		name = ""
	}
	lower := strings.ToLower(name)
	for _, e := range extensions(kind) {
		if strings.HasSuffix(lower, e) {
			name = name[:len(name)-len(e)]
			break
		}
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case r == '"' || r == '\\' || r == '/' || r == '%' || r == ';':
			return '_'
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			return -1
		case unicode.IsSpace(r):
			return ' '
		case !unicode.IsPrint(r):
			return -1
		}
		return r
	}, norm.NFC.String(name))
	name = strings.TrimLeft(name, ". ")
	name = strings.TrimRight(name, ". ")
	if utf8.RuneCountInString(name) > maxFilenameRunes {
		name = string([]rune(name)[:maxFilenameRunes])
		name = strings.TrimRight(name, ". ")
	}
	if name == "" {
		name = defaultFilename
	}
	return name
}

func extensions(kind Kind) []string {
	switch kind {
	case PDF:
		return []string{".pdf"}
	case JPEG:
		return []string{".jpg", ".jpeg"}
	case PNG:
		return []string{".png"}
	}
	return nil
}

// asciiName folds accents away ("Cámara" becomes "Camara") and replaces
// what is left outside [A-Za-z0-9 ._()-] with '_'.
func asciiName(name string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(name) {
		switch {
		case unicode.Is(unicode.Mn, r):
			// combining accent: drop
		case r < utf8.RuneSelf && (r == ' ' || r == '.' || r == '_' || r == '-' || r == '(' ||
			r == ')' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := strings.TrimLeft(b.String(), ". ")
	if s == "" {
		s = defaultFilename
	}
	return s
}

// percentEncode encodes s for an RFC 8187 ext-value: everything outside
// attr-char is %XX of its UTF-8 bytes.
func percentEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}
