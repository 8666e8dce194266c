package filestore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
)

// tinyPDF is a minimal well-formed PDF with one empty page.
const tinyPDF = "%PDF-1.4\n" +
	"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" +
	"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n" +
	"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>\nendobj\n" +
	"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n" +
	"0000000058 00000 n \n0000000115 00000 n \n" +
	"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n188\n%%EOF\n"

func testImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	for x := range 4 {
		for y := range 3 {
			img.Set(x, y, color.RGBA{uint8(60 * x), uint8(80 * y), 200, 255})
		}
	}
	return img
}

func tinyPNG(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, testImage()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func tinyJPEG(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testImage(), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// pngChunk builds a chunk with a correct CRC.
func pngChunk(typ string, data []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[4:]))
}

func TestDetect(t *testing.T) {
	pdf := []byte(tinyPDF)
	pngb := tinyPNG(t)
	jpg := tinyJPEG(t)
	iend := pngb[len(pngb)-12:]
	pngNoIEND := pngb[:len(pngb)-12]
	// First IDAT: right after the signature (8) and IHDR (25).
	pngLongChunk := bytes.Clone(pngb)
	binary.BigEndian.PutUint32(pngLongChunk[33:], uint32(len(pngb)))
	pngHugeChunk := bytes.Clone(pngb)
	binary.BigEndian.PutUint32(pngHugeChunk[33:], 0xFFFFFFF0)
	pngBadCRC := bytes.Clone(pngb)
	pngBadCRC[len(pngBadCRC)-13] ^= 1 // last data byte of the IDAT
	sig := pngb[:8]
	ihdr := pngb[8:33]
	pngNoIDAT := cat(sig, ihdr, iend)
	pngNoIHDR := cat(sig, pngb[33:])
	pngZeroWidth := cat(sig, pngChunk("IHDR", make([]byte, 13)), pngb[33:])

	bigPDF := cat([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("x"), 2000),
		[]byte("\nstartxref\n9\n%%EOF\n"), bytes.Repeat([]byte(" "), 1100))
	midMarkupPDF := cat([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("x"), 2000),
		[]byte("<html>"), []byte("\nstartxref\n9\n%%EOF\n"))

	tests := []struct {
		name     string
		content  []byte
		declared string
		want     Kind
		err      error
	}{
		{"pdf", pdf, "", PDF, nil},
		{"pdf declared", pdf, "application/pdf", PDF, nil},
		{"pdf declared with params", pdf, " Application/PDF ; charset=binary", PDF, nil},
		{"pdf 2.0", []byte(strings.Replace(tinyPDF, "%PDF-1.4", "%PDF-2.0", 1)), "", PDF, nil},
		{"pdf without final newline", bytes.TrimSuffix(pdf, []byte("\n")), "", PDF, nil},
		{"pdf markup past first KB and before EOF", midMarkupPDF, "", PDF, nil},
		{"png", pngb, "image/png", PNG, nil},
		{"jpeg", jpg, "image/jpeg", JPEG, nil},
		{"jpeg declared image/jpg", jpg, "image/jpg", JPEG, nil},
		{"jpeg with zero padding", cat(jpg, make([]byte, 16)), "", JPEG, nil},

		{"html named pdf", []byte("<!DOCTYPE html><html><body>hola</body></html>"),
			"application/pdf", "", ErrUnsupported},
		{"html upper case", []byte("\n\n<HTML><SCRIPT>alert(1)</SCRIPT>"), "", "", ErrUnsupported},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`),
			"image/png", "", ErrUnsupported},
		{"svg with xml prolog", []byte(`<?xml version="1.0"?><svg></svg>`), "", "",
			ErrUnsupported},
		{"pdf+html polyglot after EOF",
			cat(pdf, []byte("<html><script>alert(document.domain)</script></html>")),
			"application/pdf", "", ErrUnsupported},
		{"pdf header then markup in first KB",
			[]byte("%PDF-1.4\n<html><body><script>alert(1)</script></body></html>\n" +
				"startxref\n9\n%%EOF\n"),
			"", "", ErrUnsupported},
		{"iframe in first KB of a pdf",
			cat([]byte("%PDF-1.4\n% <IFRAME src=x>\n"), pdf[9:]), "", "", ErrUnsupported},
		{"png with html after IEND", cat(pngb, []byte("<script>alert(1)</script>")), "", "",
			ErrUnsupported},
		{"jpeg with html after EOI", cat(jpg, []byte("<body onload=alert(1)>")), "", "",
			ErrUnsupported},

		{"truncated pdf", pdf[:len(pdf)-7], "", "", ErrMalformed},
		{"pdf EOF too far from end", bigPDF, "", "", ErrMalformed},
		{"pdf bad version", []byte(strings.Replace(tinyPDF, "%PDF-1.4", "%PDF-3.0", 1)), "",
			"", ErrMalformed},
		{"pdf version not digit", []byte(strings.Replace(tinyPDF, "%PDF-1.4", "%PDF-1.x", 1)),
			"", "", ErrMalformed},
		{"pdf header only", []byte("%PDF-1.4%%EOF"), "", "", ErrMalformed},
		{"pdf without startxref", []byte("%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF"), "", "",
			ErrMalformed},
		{"png cut IEND", pngNoIEND, "", "", ErrMalformed},
		{"png cut mid chunk", pngb[:40], "", "", ErrMalformed},
		{"png chunk length past end", pngLongChunk, "", "", ErrMalformed},
		{"png chunk length huge", pngHugeChunk, "", "", ErrMalformed},
		{"png bad crc", pngBadCRC, "", "", ErrMalformed},
		{"png no IDAT", pngNoIDAT, "", "", ErrMalformed},
		{"png no IHDR first", pngNoIHDR, "", "", ErrMalformed},
		{"png zero width", pngZeroWidth, "", "", ErrMalformed},
		{"png trailing bytes", cat(pngb, []byte{0}), "", "", ErrMalformed},
		{"png signature only", sig, "", "", ErrMalformed},
		{"jpeg without FFD9", jpg[:len(jpg)-2], "", "", ErrMalformed},
		{"jpeg with trailing garbage", cat(jpg, []byte("garbage")), "", "", ErrMalformed},
		{"jpeg soi only", []byte{0xFF, 0xD8, 0xFF, 0xD9}, "", "", ErrMalformed},
		{"jpeg segment past end", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x40, 0x00, 0xFF, 0xD9}, "",
			"", ErrMalformed},

		{"empty", nil, "", "", ErrUnsupported},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04" +
			"\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"),
			"image/gif", "", ErrUnsupported},
		{"zip/docx", []byte("PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml"),
			"", "", ErrUnsupported},
		{"plain text", []byte("RUT 900.123.456-7\n"), "text/plain", "", ErrUnsupported},

		{"declared png, pdf content", pdf, "image/png", "", ErrMismatch},
		{"declared pdf, jpeg content", jpg, "application/pdf", "", ErrMismatch},
		{"declared html, pdf content", pdf, "text/html", "", ErrMismatch},
		{"declared octet-stream", pngb, "application/octet-stream", "", ErrMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Detect(tt.content, tt.declared)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Detect() = %q, %v; want error %v", got, err, tt.err)
				}
				if got != "" {
					t.Errorf("Detect() kind = %q with an error", got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Detect() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestKindMediaType(t *testing.T) {
	for k, want := range map[Kind]string{
		PDF: "application/pdf", JPEG: "image/jpeg", PNG: "image/png", "gif": "",
	} {
		if got := k.MediaType(); got != want {
			t.Errorf("%q.MediaType() = %q, want %q", k, got, want)
		}
		if k.Valid() != (want != "") {
			t.Errorf("%q.Valid() = %v", k, k.Valid())
		}
		if want != "" {
			if back, ok := KindForMediaType(want); !ok || back != k {
				t.Errorf("KindForMediaType(%q) = %q, %v", want, back, ok)
			}
		}
	}
}

// FuzzDetect checks that Detect never panics, that whatever it accepts is
// accepted again identically (also with its own media type declared), and
// that nothing accepted has markup in its first 1024 bytes.
func FuzzDetect(f *testing.F) {
	pngb := tinyPNG(f)
	jpg := tinyJPEG(f)
	for _, s := range [][]byte{
		[]byte(tinyPDF), pngb, jpg, nil, []byte("<html>"), []byte("%PDF-1.4\nstartxref\n0\n%%EOF"),
		pngb[:len(pngb)-12], jpg[:len(jpg)-2], cat(jpg, make([]byte, 4)),
		cat([]byte(tinyPDF), []byte("<svg>")), []byte{0xFF, 0xD8, 0xFF, 0xDA, 0, 2, 0xFF, 0xD9},
	} {
		f.Add(s, "")
	}
	f.Add([]byte(tinyPDF), "image/png")
	f.Fuzz(func(t *testing.T, content []byte, declared string) {
		kind, err := Detect(content, declared)
		if err != nil {
			if kind != "" {
				t.Fatalf("kind %q with error %v", kind, err)
			}
			if !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrMalformed) &&
				!errors.Is(err, ErrMismatch) {
				t.Fatalf("error without a sentinel: %v", err)
			}
			return
		}
		if !kind.Valid() {
			t.Fatalf("accepted invalid kind %q", kind)
		}
		for _, d := range []string{"", declared, kind.MediaType()} {
			again, err := Detect(bytes.Clone(content), d)
			if err != nil || again != kind {
				t.Fatalf("re-detect with %q = %q, %v; first %q", d, again, err, kind)
			}
		}
		head := strings.ToLower(string(content[:min(len(content), 1024)]))
		for _, m := range []string{"<html", "<svg", "<script", "<!doctype", "<?xml", "<body",
			"<iframe"} {
			if strings.Contains(head, m) {
				t.Fatalf("accepted %s with %q in the first 1024 bytes", kind, m)
			}
		}
	})
}
