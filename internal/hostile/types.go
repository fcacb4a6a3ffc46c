package hostile

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"math/rand/v2"
)

// png is a small valid PNG (a 16×16 grey picture).
func png() []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		_ = binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, 16)
	binary.BigEndian.PutUint32(ihdr[4:], 16)
	ihdr[8], ihdr[9] = 8, 0 // 8-bit greyscale
	chunk("IHDR", ihdr)
	var raw bytes.Buffer
	for y := 0; y < 16; y++ {
		raw.WriteByte(0)
		raw.Write(bytes.Repeat([]byte{0x80}, 16))
	}
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	_, _ = w.Write(raw.Bytes())
	_ = w.Close()
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return b.Bytes()
}

// random is n bytes of a fixed pseudo-random sequence.
func random(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]byte, n)
	for i := range out {
		out[i] = byte(r.Uint32())
	}
	return out
}

func types() []File {
	return []File{
		{Name: "png-named-pdf.eml", Want: Answered,
			Note: "a PNG picture attached as FH-TYPE-1.pdf, application/pdf",
			build: func() ([]byte, error) {
				return pdfMessage("png-named-pdf", "Facture FH-TYPE-1", "FH-TYPE-1.pdf", png()), nil
			}},
		{Name: "empty-pdf.eml", Want: Answered,
			Note: "an empty FH-TYPE-2.pdf",
			build: func() ([]byte, error) {
				return pdfMessage("empty-pdf", "Facture FH-TYPE-2", "FH-TYPE-2.pdf", nil), nil
			}},
		{Name: "random-pdf.eml", Want: Answered,
			Note: "64 KiB of random bytes attached as FH-TYPE-3.pdf",
			build: func() ([]byte, error) {
				return pdfMessage("random-pdf", "Facture FH-TYPE-3", "FH-TYPE-3.pdf", random(3, 64<<10)), nil
			}},
		{Name: "random-pdf-header.eml", Want: Answered,
			Note: "a %PDF header followed by 64 KiB of random bytes",
			build: func() ([]byte, error) {
				return pdfMessage("random-pdf-header", "Facture FH-TYPE-4", "FH-TYPE-4.pdf", append([]byte("%PDF-1.7\n"), random(4, 64<<10)...)), nil
			}},
		{Name: "empty-message.eml", Want: Held,
			Note:  "a message of no bytes at all",
			build: func() ([]byte, error) { return []byte{}, nil }},
		{Name: "random-message.eml", Want: Held,
			Note:  "a message of 16 KiB of random bytes",
			build: func() ([]byte, error) { return random(5, 16<<10), nil }},
		{Name: "headers-only.eml", Want: Held,
			Note: "a header with no body and no blank line, no From",
			build: func() ([]byte, error) {
				return []byte("Subject: Facture\r\nContent-Type: multipart/mixed; boundary=x"), nil
			}},
		{Name: "auto-reply-injection.eml", Want: Ignored,
			Note: "an automatic reply (Auto-Submitted) whose Subject carries encoded CR LF: ignored, positively",
			build: func() ([]byte, error) {
				return message(header("auto-reply-injection", b64Word("Absence"+injection), "Auto-Submitted: auto-replied"),
					textPart("Je suis absent jusqu'au 30 novembre.\r\n")), nil
			}},
	}
}
