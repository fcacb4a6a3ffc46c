package casebook

import (
	"archive/zip"
	"bytes"
	"encoding/asn1"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/big"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"facteur/samples"
)

// The attachments suppliers send, made in code: invoices (through package
// samples), and what comes with them or instead of them.

// facturX is the Factur-X PDF of inv; the sample data are the casebook's
// own, so a failure is a programming error.
func facturX(inv samples.Invoice) []byte {
	b, err := samples.FacturX(inv)
	if err != nil {
		panic(fmt.Sprintf("casebook: Factur-X %s: %v", inv.Number, err))
	}
	return b
}

// plainPDF is the visible invoice only, without structured data.
func plainPDF(inv samples.Invoice) []byte {
	b, err := samples.PlainPDF(inv)
	if err != nil {
		panic(fmt.Sprintf("casebook: PDF %s: %v", inv.Number, err))
	}
	return b
}

// zipOf is a ZIP archive of the files, as Windows' "Send to compressed
// folder" makes it.
func zipOf(files ...file) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: time.Date(2026, 11, 27, 9, 41, 0, 0, time.UTC)}
		fw, err := w.CreateHeader(h)
		if err != nil {
			panic(err)
		}
		if _, err := fw.Write(f.Data); err != nil {
			panic(err)
		}
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// tnef is an Outlook winmail.dat holding the files (MS-OXTNEF: the
// message attributes, then per attachment its rendering, title and data).
func tnef(body string, files ...file) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	b.Write(le.AppendUint32(nil, 0x223E9F78))
	b.Write(le.AppendUint16(nil, 0x0001)) // legacy key
	attr := func(level byte, id uint32, data []byte) {
		b.WriteByte(level)
		b.Write(le.AppendUint32(nil, id))
		b.Write(le.AppendUint32(nil, uint32(len(data))))
		b.Write(data)
		var sum uint16
		for _, c := range data {
			sum += uint16(c)
		}
		b.Write(le.AppendUint16(nil, sum))
	}
	attr(1, 0x00089006, le.AppendUint32(nil, 0x00010000))                         // attTnefVersion
	attr(1, 0x00069007, append(le.AppendUint32(nil, 1252), 0, 0, 0, 0))           // attOemCodepage
	attr(1, 0x00078008, []byte("IPM.Microsoft Mail.Note\x00"))                    // attMessageClass
	attr(1, 0x00018004, []byte("Facture\x00"))                                    // attSubject
	attr(1, 0x00038005, tnefDate(time.Date(2026, 11, 26, 8, 12, 0, 0, time.UTC))) // attDateSent
	attr(1, 0x00069003, msgProps(body))                                           // attMsgProps: the usual properties, the body as RTF
	for _, f := range files {
		rend := make([]byte, 14)
		le.PutUint16(rend, 1)              // attachment type: file
		le.PutUint32(rend[2:], 0xFFFFFFFF) // position
		attr(2, 0x00069002, rend)          // attAttachRenddata
		name, err := latin1(f.Name)
		if err != nil {
			panic(err)
		}
		attr(2, 0x00018010, append(name, 0)) // attAttachTitle
		attr(2, 0x0006800F, f.Data)          // attAttachData
	}
	return b.Bytes()
}

// tnefDate is a TNEF date (atpDate: year, month, day, hour, minute,
// second, weekday, 16 bits each).
func tnefDate(t time.Time) []byte {
	var b []byte
	for _, v := range []int{t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second(), int(t.Weekday())} {
		b = binary.LittleEndian.AppendUint16(b, uint16(v))
	}
	return b
}

// msgProps is the MAPI property list of a message as Outlook writes it
// in winmail.dat: its class, the sender, the code page and locale, and
// the body as RTF (PR_RTF_COMPRESSED, in its uncompressed "MELA" form).
func msgProps(body string) []byte {
	le := binary.LittleEndian
	var props [][]byte
	pad := func(v []byte) []byte {
		for len(v)%4 != 0 {
			v = append(v, 0)
		}
		return v
	}
	str := func(id uint16, s string) {
		u := utf16le(s + "\x00")
		v := le.AppendUint16(le.AppendUint16(nil, 0x001F), id) // PT_UNICODE
		v = le.AppendUint32(le.AppendUint32(v, 1), uint32(len(u)))
		props = append(props, pad(append(v, u...)))
	}
	long := func(id uint16, n uint32) {
		props = append(props, le.AppendUint32(le.AppendUint16(le.AppendUint16(nil, 0x0003), id), n))
	}
	bin := func(id uint16, data []byte) {
		v := le.AppendUint16(le.AppendUint16(nil, 0x0102), id) // PT_BINARY
		v = le.AppendUint32(le.AppendUint32(v, 1), uint32(len(data)))
		props = append(props, pad(append(v, data...)))
	}
	str(0x001A, "IPM.Note")
	str(0x0C1A, "Service comptabilité")
	str(0x0C1F, "comptabilite@voirie-nord-travaux.example")
	str(0x0E1D, "Facture")
	long(0x3FDE, 28591) // PR_INTERNET_CPID
	long(0x3FF1, 1036)  // PR_MESSAGE_LOCALE_ID: French
	long(0x0E07, 0x11)  // PR_MESSAGE_FLAGS
	var rtf strings.Builder
	rtf.WriteString(`{\rtf1\ansi\ansicpg1252\fromtext \fbasis0 \deff0{\fonttbl{\f0\fswiss\fcharset0 Arial;}{\f1\fmodern Courier New;}` +
		`{\f2\fnil\fcharset2 Symbol;}{\f3\fmodern\fcharset0 Courier New;}{\f4\fswiss\fcharset0 Calibri;}}` +
		`{\colortbl\red0\green0\blue0;\red0\green0\blue255;\red5\green99\blue193;\red149\green79\blue114;}` +
		`{\stylesheet{\s0\snext0\sqformat\spriority0 Normal;}{\*\cs10\additive\ssemihidden\sunhideused Default Paragraph Font;}` +
		`{\*\cs15\ul\cf2 Hyperlink;}}{\*\generator Microsoft Exchange Server;}{\*\formatConverter converted from text;}` + "\r\n" +
		`\viewkind5\viewscale100\uc1\pard\plain\f4\fs22\lang1036 `)
	for _, line := range strings.Split(body, "\n") {
		for _, r := range line {
			switch {
			case r == '\\' || r == '{' || r == '}':
				rtf.WriteString(`\` + string(r))
			case r < 0x80:
				rtf.WriteRune(r)
			case r < 0x100:
				fmt.Fprintf(&rtf, `\'%02x`, r)
			default:
				fmt.Fprintf(&rtf, `\u%d?`, r)
			}
		}
		rtf.WriteString("\\par\r\n")
	}
	rtf.WriteString("}")
	mela := le.AppendUint32(le.AppendUint32(nil, uint32(rtf.Len()+12)), uint32(rtf.Len()))
	mela = le.AppendUint32(le.AppendUint32(mela, 0x414C454D), 0)
	bin(0x1009, append(mela, rtf.String()...))
	out := le.AppendUint32(nil, uint32(len(props)))
	for _, p := range props {
		out = append(out, p...)
	}
	return out
}

func utf16le(s string) []byte {
	var b []byte
	for _, r := range s {
		if r >= 0x10000 {
			r = '?'
		}
		b = binary.LittleEndian.AppendUint16(b, uint16(r))
	}
	return b
}

func latin1(s string) ([]byte, error) {
	var out []byte
	for _, r := range s {
		if r > 0xFF {
			return nil, fmt.Errorf("casebook: %q is not Latin-1", s)
		}
		out = append(out, byte(r))
	}
	return out, nil
}

// logoPNG is the small company logo Outlook signatures carry
// (image001.png).
func logoPNG(seed string) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 160, 48))
	r := rand.New(rand.NewPCG(uint64(len(seed)), 7))
	c := color.RGBA{uint8(30 + r.IntN(80)), uint8(90 + r.IntN(100)), uint8(40 + r.IntN(60)), 255}
	for y := range 48 {
		for x := range 160 {
			if x < 44 || (y > 14 && y < 34 && x%9 < 6) {
				img.Set(x, y, c)
			} else {
				img.Set(x, y, color.White)
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// photoJPEG is a phone photo of a paper invoice: a sheet lit unevenly,
// lines of print, sensor noise. Big enough (well over 30 KB) never to be
// taken for a logo.
func photoJPEG(seed uint64) []byte {
	const w, h = 900, 1200
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(seed, 42))
	for y := range h {
		for x := range w {
			light := 200 + 40*float64(x)/w - 30*float64(y)/h
			v := light + float64(r.IntN(30)) - 15
			// Lines of print on the sheet.
			if x > 80 && x < w-80 && (y/22)%2 == 0 && y%22 > 8 && (x/37)%5 != 4 && y > 120 {
				v -= 140
			}
			if x < 40 || x > w-40 { // the table under the sheet
				v = 90 + float64(r.IntN(20))
			}
			v = max(0, min(255, v))
			i := img.PixOffset(x, y)
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(v), uint8(v*0.97), uint8(v*0.9), 255
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 82}); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// scannedPDF is a scanner's output: one page holding the picture of an
// invoice, no text.
func scannedPDF(seed uint64) []byte {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCreator("RICOH MP C3004", false)
	pdf.AddPage()
	pdf.RegisterImageOptionsReader("scan", fpdf.ImageOptions{ImageType: "JPG"}, bytes.NewReader(photoJPEG(seed)))
	pdf.ImageOptions("scan", 0, 0, 210, 280, false, fpdf.ImageOptions{ImageType: "JPG"}, 0, "")
	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// passwordPDF is a PDF that opens only with a password (AES-256).
func passwordPDF(pdf []byte, password string) []byte {
	conf := model.NewAESConfiguration(password, password+"-owner", 256)
	var out bytes.Buffer
	if err := api.Encrypt(bytes.NewReader(pdf), &out, conf); err != nil {
		panic(fmt.Sprintf("casebook: encrypt: %v", err))
	}
	return out.Bytes()
}

// damagedPDF is a PDF cut short in transfer: its header and the start of
// its first objects, nothing else.
func damagedPDF(pdf []byte) []byte {
	return append([]byte(nil), pdf[:min(len(pdf), 700)]...)
}

// docx is a Word invoice: a ZIP of WordprocessingML parts.
func docx(lines ...string) []byte {
	body := ""
	for _, l := range lines {
		body += `<w:p><w:r><w:t xml:space="preserve">` + xmlEscape(l) + `</w:t></w:r></w:p>`
	}
	return zipOf(
		file{Name: "[Content_Types].xml", Data: []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`)},
		file{Name: "_rels/.rels", Data: []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`)},
		file{Name: "word/document.xml", Data: []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` + body + `</w:body></w:document>`)},
	)
}

// xlsx is an Excel invoice: a ZIP of SpreadsheetML parts.
func xlsx(cells ...string) []byte {
	rows := ""
	for i, c := range cells {
		rows += fmt.Sprintf(`<row r="%d"><c r="A%d" t="inlineStr"><is><t>%s</t></is></c></row>`, i+1, i+1, xmlEscape(c))
	}
	return zipOf(
		file{Name: "[Content_Types].xml", Data: []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`)},
		file{Name: "_rels/.rels", Data: []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)},
		file{Name: "xl/workbook.xml", Data: []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet name="Facture" sheetId="1"/></sheets></workbook>`)},
		file{Name: "xl/worksheets/sheet1.xml", Data: []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + rows + `</sheetData></worksheet>`)},
	)
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// envelopedData is the DER of an S/MIME enveloped-data (RFC 5652) for a
// recipient whose key we do not have: a key-transport recipient, an
// AES-256-CBC content, all random bytes.
func envelopedData(seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 3))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return b
	}
	type algorithm struct {
		Algorithm asn1.ObjectIdentifier
		Params    asn1.RawValue `asn1:"optional"`
	}
	type issuerSerial struct {
		Issuer asn1.RawValue
		Serial *big.Int
	}
	type recipient struct {
		Version      int
		ID           issuerSerial
		Algorithm    algorithm
		EncryptedKey []byte
	}
	type encrypted struct {
		ContentType asn1.ObjectIdentifier
		Algorithm   algorithm
		Content     asn1.RawValue
	}
	type enveloped struct {
		Version    int
		Recipients []recipient `asn1:"set"`
		Content    encrypted
	}
	type contentInfo struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue `asn1:"explicit,tag:0"`
	}
	must := func(b []byte, err error) []byte {
		if err != nil {
			panic(err)
		}
		return b
	}
	type attr struct {
		Type  asn1.ObjectIdentifier
		Value string `asn1:"utf8"`
	}
	name := must(asn1.Marshal([][]attr{{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: "Comptabilite CASQ"}}}))
	iv := must(asn1.Marshal(random(16)))
	env := must(asn1.Marshal(enveloped{Version: 0,
		Recipients: []recipient{{Version: 0, ID: issuerSerial{Issuer: asn1.RawValue{FullBytes: name}, Serial: new(big.Int).SetBytes(random(16))},
			Algorithm: algorithm{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}, Params: asn1.NullRawValue}, EncryptedKey: random(256)}},
		Content: encrypted{ContentType: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1},
			Algorithm: algorithm{Algorithm: asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}, Params: asn1.RawValue{FullBytes: iv}},
			Content:   asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, Bytes: random(3600)}}}))
	return must(asn1.Marshal(contentInfo{ContentType: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 3}, Content: asn1.RawValue{FullBytes: env}}))
}
