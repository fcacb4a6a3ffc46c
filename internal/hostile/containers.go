package hostile

import (
	"bytes"
	"encoding/binary"
	"strings"
)

// tnefAttr is one TNEF attribute: level, id, length, data, checksum.
func tnefAttr(level byte, id uint32, data []byte, length uint32) []byte {
	var b bytes.Buffer
	b.WriteByte(level)
	_ = binary.Write(&b, binary.LittleEndian, id)
	_ = binary.Write(&b, binary.LittleEndian, length)
	b.Write(data)
	var sum uint16
	for _, c := range data {
		sum += uint16(c)
	}
	_ = binary.Write(&b, binary.LittleEndian, sum)
	return b.Bytes()
}

// tnefOf is a TNEF stream (winmail.dat) with one attachment, name and
// data; cut, when positive, truncates the stream to that many bytes;
// lie, when set, is written as the length of the data attribute.
func tnefOf(name string, data []byte, cut int, lie uint32) []byte {
	var b bytes.Buffer
	_ = binary.Write(&b, binary.LittleEndian, uint32(0x223E9F78))
	_ = binary.Write(&b, binary.LittleEndian, uint16(0x0001))
	b.Write(tnefAttr(1, 0x00069007, []byte{0xe4, 0x04, 0, 0}, 4))                  // attOemCodepage
	b.Write(tnefAttr(2, 0x00069002, make([]byte, 14), 14))                         // attAttachRendData
	b.Write(tnefAttr(2, 0x00018010, append([]byte(name), 0), uint32(len(name)+1))) // attAttachTitle
	n := uint32(len(data))
	if lie != 0 {
		n = lie
	}
	b.Write(tnefAttr(2, 0x0006800F, data, n)) // attAttachData
	out := b.Bytes()
	if cut > 0 && cut < len(out) {
		out = out[:cut]
	}
	return out
}

func winmail(id, subject string, tnef []byte) []byte {
	return withAttachments(id, subject, attachment(`application/ms-tnef; name="winmail.dat"`, `attachment; filename="winmail.dat"`, tnef))
}

// uuencode writes data as an uuencoded block named name, without its
// "end" line when open.
func uuencode(name string, data []byte, open bool) string {
	var b strings.Builder
	b.WriteString("begin 644 " + name + "\n")
	enc := func(c byte) byte {
		if c == 0 {
			return '`'
		}
		return c + 32
	}
	for len(data) > 0 {
		n := min(45, len(data))
		line := data[:n]
		data = data[n:]
		b.WriteByte(enc(byte(n)))
		for i := 0; i < n; i += 3 {
			var c [3]byte
			copy(c[:], line[i:])
			b.WriteByte(enc(c[0] >> 2))
			b.WriteByte(enc((c[0]<<4 | c[1]>>4) & 63))
			b.WriteByte(enc((c[1]<<2 | c[2]>>6) & 63))
			b.WriteByte(enc(c[2] & 63))
		}
		b.WriteByte('\n')
	}
	if !open {
		b.WriteString("`\nend\n")
	}
	return b.String()
}

func uuMessage(id, subject, body string) []byte {
	p := textPart(strings.ReplaceAll(body, "\n", "\r\n"))
	return message(header(id, subject), p)
}

func containers() []File {
	return []File{
		{Name: "tnef-truncated.eml", Want: Answered,
			Note: "a winmail.dat holding a readable invoice, cut in the middle of the invoice's data",
			build: func() ([]byte, error) {
				inv, err := invoice("FH-TNEF-1")
				if err != nil {
					return nil, err
				}
				full := tnefOf("FH-TNEF-1.pdf", inv, 0, 0)
				return winmail("tnef-truncated", "Facture FH-TNEF-1", full[:len(full)/2]), nil
			}},
		{Name: "tnef-length-lie.eml", Want: Deposited,
			Note: "a winmail.dat whose data attribute claims 0xFFFFFFF0 bytes",
			build: func() ([]byte, error) {
				inv, err := invoice("FH-TNEF-2")
				if err != nil {
					return nil, err
				}
				return winmail("tnef-length-lie", "Facture FH-TNEF-2", tnefOf("FH-TNEF-2.pdf", inv, 0, 0xFFFFFFF0)), nil
			}},
		{Name: "uuencode-truncated.eml", Want: Answered,
			Note: "a readable invoice uuencoded in the body, cut halfway, no end line",
			build: func() ([]byte, error) {
				inv, err := invoice("FH-UU-1")
				if err != nil {
					return nil, err
				}
				uu := uuencode("FH-UU-1.pdf", inv, true)
				return uuMessage("uuencode-truncated", "Facture FH-UU-1", "Bonjour,\nci-joint notre facture.\n\n"+uu[:len(uu)/2]), nil
			}},
		{Name: "uuencode-unterminated-31mb.eml", Want: Answered, Big: true,
			Note: "an uuencoded block of 31 MB that never ends (no end line)",
			build: func() ([]byte, error) {
				data := bytes.Repeat([]byte("%PDF-1.7 facture "), 22_500_000/17)
				return uuMessage("uuencode-unterminated-31mb", "Facture FH-UU-2", "Bonjour,\nci-joint notre facture.\n\n"+uuencode("FH-UU-2.pdf", data, true)), nil
			}},
		{Name: "smime-truncated.eml", Want: Answered,
			Note: "an opaque S/MIME signed message (application/pkcs7-mime) cut after a few hundred bytes",
			build: func() ([]byte, error) {
				// The DER of a SignedData ContentInfo, its lengths claiming
				// far more than follows.
				der := []byte{0x30, 0x83, 0x10, 0x00, 0x00, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02, 0xa0, 0x83, 0x0f, 0xff, 0xf0}
				der = append(der, bytes.Repeat([]byte{0x30, 0x82, 0x01}, 100)...)
				p := part{header: "Content-Type: application/pkcs7-mime; smime-type=signed-data; name=\"smime.p7m\"\r\nContent-Disposition: attachment; filename=\"smime.p7m\"\r\nContent-Transfer-Encoding: base64\r\n",
					body: base64Lines(der, 76)}
				return message(header("smime-truncated", "Facture FH-SMIME-1"), p), nil
			}},
		{Name: "smime-signed-bad-signature.eml", Want: Deposited,
			Note: "a readable invoice in a multipart/signed whose signature part is truncated garbage",
			build: func() ([]byte, error) {
				inv, err := invoice("FH-SMIME-2")
				if err != nil {
					return nil, err
				}
				content := multipart("mixed", "=_signed_content", true, textPart("Ci-joint notre facture.\r\n"), pdfAttachment("FH-SMIME-2.pdf", inv))
				sig := part{header: "Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\nContent-Transfer-Encoding: base64\r\n",
					body: base64Lines([]byte{0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x06}, 76)}
				signed := multipart("signed", "=_signed", true, content, sig)
				signed.header = "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"=_signed\"\r\n"
				return message(header("smime-signed-bad-signature", "Facture FH-SMIME-2"), signed), nil
			}},
		{Name: "smime-enveloped.eml", Want: Answered,
			Note: "an encrypted S/MIME message (enveloped-data), unreadable without the recipient's key",
			build: func() ([]byte, error) {
				der := []byte{0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03, 0xa0, 0x80, 0x30, 0x80, 0x02, 0x01, 0x00}
				p := part{header: "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\"\r\nContent-Disposition: attachment; filename=\"smime.p7m\"\r\nContent-Transfer-Encoding: base64\r\n",
					body: base64Lines(der, 76)}
				return message(header("smime-enveloped", "Facture FH-SMIME-3"), p), nil
			}},
	}
}
