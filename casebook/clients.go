package casebook

import (
	"net/mail"
	"strings"
	"time"
)

// What each mail client makes of an e-mail: its header fields, its MIME
// layout, its charsets, its way of naming files, of signing and of
// quoting.

// mailSpec is what the sender writes.
type mailSpec struct {
	Seed       string // the case's name: ids and boundaries derive from it
	From, To   string // "Name <addr>"
	Cc         string
	ReplyTo    string
	Subject    string
	Date       time.Time
	InReplyTo  string   // without angle brackets
	References []string // without angle brackets
	Text       string   // what the sender wrote, with the quote below it
	Files      []file
	Extra      [][2]string // more header fields, after the others
}

func (s mailSpec) date() time.Time {
	if s.Date.IsZero() {
		return time.Now().Add(-2 * time.Minute)
	}
	return s.Date
}

func (s mailSpec) domain() string {
	if a, err := mail.ParseAddress(s.From); err == nil {
		if i := strings.LastIndexByte(a.Address, '@'); i >= 0 {
			return a.Address[i+1:]
		}
	}
	return "example.invalid"
}

func (s mailSpec) threading(m *message) {
	if s.InReplyTo != "" {
		m.add("In-Reply-To", "<"+s.InReplyTo+">")
		refs := s.References
		if len(refs) == 0 {
			refs = []string{s.InReplyTo}
		}
		var b []string
		for _, r := range refs {
			b = append(b, "<"+r+">")
		}
		m.add("References", strings.Join(b, " "))
	}
}

// messageID of a client: "<local@domain>" without the brackets.
func (s mailSpec) id(style string) string {
	t := token(s.Seed, 40)
	switch style {
	case "outlook":
		return "PR1P264MB" + strings.ToUpper(t[:4]) + strings.ToUpper(t[4:20]) + "@PR1P264MB" + strings.ToUpper(t[:4]) + ".FRAP264.PROD.OUTLOOK.COM"
	case "gmail":
		return "CAH" + t[:8] + "+" + strings.ToUpper(t[8:30]) + "=q@mail.gmail.com"
	case "apple":
		return strings.ToUpper(t[:8]+"-"+t[8:12]+"-"+t[12:16]+"-"+t[16:20]+"-"+t[20:32]) + "@" + s.domain()
	case "thunderbird":
		return t[:8] + "-" + t[8:12] + "-" + t[12:16] + "-" + t[16:20] + "-" + t[20:32] + "@" + s.domain()
	}
	return t[:24] + "." + t[24:32] + "@" + s.domain()
}

// outlook is Outlook for Microsoft 365: multipart/related for the logo of
// the signature (image001.png), text and HTML in Windows-1252, non-ASCII
// file names as RFC 2047 words, the Thread-* fields.
func outlook(s mailSpec) []byte {
	m := &message{boundary: func(n int) string {
		return "_00" + string(rune('0'+n)) + "_PR1P264MB" + strings.ToUpper(token(s.Seed, 12)) + "_"
	}}
	m.add("From", address(s.From))
	m.add("To", address(s.To))
	if s.Cc != "" {
		m.add("CC", address(s.Cc))
	}
	m.add("Subject", word(s.Subject))
	m.add("Thread-Topic", word(strings.TrimPrefix(strings.TrimPrefix(s.Subject, "RE: "), "TR: ")))
	m.add("Thread-Index", "AQHbQ"+token(s.Seed+"ti", 22)+"==")
	m.add("Date", rfc5322(s.date()))
	m.add("Message-ID", "<"+s.id("outlook")+">")
	s.threading(m)
	m.add("Accept-Language", "fr-FR, en-US")
	m.add("Content-Language", "fr-FR")
	if len(s.Files) > 0 {
		m.add("X-MS-Has-Attach", "yes")
	} else {
		m.add("X-MS-Has-Attach", "")
	}
	m.add("X-MS-TNEF-Correlator", "")
	for _, h := range s.Extra {
		m.add(h[0], h[1])
	}
	m.add("MIME-Version", "1.0")
	cid := "image001.png@01DB4A2C.7E3F1B20"
	textBody := strings.Replace(s.Text, "{logo}", "[cid:"+cid+"]", 1)
	htmlBody := strings.Replace(htmlOf(s.Text), "<div>{logo}</div>", `<div><img width="160" height="48" src="cid:`+cid+`" alt="logo"></div>`, 1)
	htmlBody = `<html><head><meta http-equiv="Content-Type" content="text/html; charset=Windows-1252"><style>p.MsoNormal{margin:0cm;font-size:11.0pt;font-family:"Calibri",sans-serif;}</style></head><body lang="FR" link="#0563C1"><div class="WordSection1">` + "\n" + htmlBody + "</div></body></html>"
	alt := multipart("alternative", text(textBody, "Windows-1252", "quoted-printable"), htmlPart(htmlBody, "Windows-1252", "quoted-printable"))
	body := alt
	if strings.Contains(s.Text, "{logo}") {
		logo := attachment(file{Name: "image001.png", Data: logoPNG(s.From), Inline: true, CID: cid}, "raw")
		body = multipart("related", alt, logo)
		body.ctype += `; type="multipart/alternative"`
	}
	if len(s.Files) > 0 {
		mixed := multipart("mixed", body)
		for _, f := range s.Files {
			mixed.parts = append(mixed.parts, attachment(f, "rfc2047"))
		}
		body = mixed
	}
	m.root = body
	return m.bytes()
}

// outlookTNEF is an Outlook that sends rich text to Exchange: the
// attachments travel inside winmail.dat (application/ms-tnef).
func outlookTNEF(s mailSpec) []byte {
	m := &message{boundary: func(n int) string { return "_000_" + strings.ToUpper(token(s.Seed, 16)) + "_" }}
	m.add("From", address(s.From))
	m.add("To", address(s.To))
	m.add("Subject", word(s.Subject))
	m.add("Thread-Topic", word(s.Subject))
	m.add("Thread-Index", "AdtB"+token(s.Seed+"ti", 24))
	m.add("Date", rfc5322(s.date()))
	m.add("Message-ID", "<"+strings.ToUpper(token(s.Seed, 32))+"@EXCH01.voirie.local>")
	s.threading(m)
	m.add("Accept-Language", "fr-FR")
	m.add("Content-Language", "fr-FR")
	m.add("X-MS-Has-Attach", "yes")
	m.add("X-MS-TNEF-Correlator", "<"+strings.ToUpper(token(s.Seed, 32))+"@EXCH01.voirie.local>")
	m.add("X-Mailer", "Microsoft Outlook 16.0")
	m.add("MIME-Version", "1.0")
	dat := attachment(file{Name: "winmail.dat", Type: "application/ms-tnef", Data: tnef(s.Text, s.Files...)}, "raw")
	m.root = multipart("mixed", text(s.Text, "iso-8859-1", "quoted-printable"), dat)
	return m.bytes()
}

// gmail is Gmail (and Google Workspace): text and HTML in UTF-8, each
// attachment with its X-Attachment-Id, file names as RFC 2047 words.
func gmail(s mailSpec) []byte {
	m := &message{boundary: func(n int) string { return "0000000000" + token(s.Seed+string(rune('a'+n)), 18) }}
	m.add("MIME-Version", "1.0")
	m.add("Date", rfc5322(s.date()))
	m.add("Message-ID", "<"+s.id("gmail")+">")
	s.threading(m)
	m.add("Subject", word(s.Subject))
	m.add("From", address(s.From))
	m.add("To", address(s.To))
	if s.Cc != "" {
		m.add("Cc", address(s.Cc))
	}
	if s.ReplyTo != "" {
		m.add("Reply-To", address(s.ReplyTo))
	}
	for _, h := range s.Extra {
		m.add(h[0], h[1])
	}
	alt := multipart("alternative", text(s.Text, "UTF-8", "quoted-printable"),
		htmlPart(`<div dir="ltr">`+htmlOf(s.Text)+"</div>", "UTF-8", "quoted-printable"))
	if len(s.Files) == 0 {
		m.root = alt
		return m.bytes()
	}
	mixed := multipart("mixed", alt)
	for i, f := range s.Files {
		id := "f_m" + token(s.Seed+f.Name, 8) + string(rune('0'+i))
		p := attachment(f, "rfc2047", [2]string{"X-Attachment-Id", id})
		p.header = append(p.header, [2]string{"Content-ID", "<" + id + ">"})
		mixed.parts = append(mixed.parts, p)
	}
	m.root = mixed
	return m.bytes()
}

// appleMail is Apple Mail on a Mac: a PDF dropped into the text stays
// where it was put (Content-Disposition inline), inside the HTML
// alternative, between two pieces of the text.
func appleMail(s mailSpec) []byte {
	m := &message{boundary: func(n int) string {
		t := strings.ToUpper(token(s.Seed+string(rune('a'+n)), 32))
		return "Apple-Mail=_" + t[:8] + "-" + t[8:12] + "-" + t[12:16] + "-" + t[16:20] + "-" + t[20:32]
	}}
	m.add("From", address(s.From))
	m.add("Mime-Version", `1.0 (Mac OS X Mail 16.0 \(3826.200.121\))`)
	m.add("Subject", word(s.Subject))
	m.add("Message-Id", "<"+s.id("apple")+">")
	s.threading(m)
	m.add("Date", rfc5322(s.date()))
	m.add("To", address(s.To))
	m.add("X-Mailer", "Apple Mail (2.3826.200.121)")
	before, after, _ := strings.Cut(s.Text, "{files}")
	plain := text(strings.TrimSpace(before)+"\n\n"+strings.TrimSpace(after)+"\n", "utf-8", "quoted-printable")
	htmlMixed := multipart("mixed", htmlPart(`<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head><body style="overflow-wrap: break-word;">`+htmlOf(before), "utf-8", "quoted-printable"))
	for _, f := range s.Files {
		f.Inline = true
		p := attachment(f, "rfc2231")
		p.ctype = strings.Replace(p.ctype, ";", "; x-unix-mode=0644;", 1)
		htmlMixed.parts = append(htmlMixed.parts, p)
	}
	htmlMixed.parts = append(htmlMixed.parts, htmlPart(htmlOf(after)+"</body></html>", "utf-8", "quoted-printable"))
	m.root = multipart("alternative", plain, htmlMixed)
	return m.bytes()
}

// thunderbird is Mozilla Thunderbird: text only, format=flowed, 8 bit,
// RFC 2231 file names.
func thunderbird(s mailSpec) []byte {
	m := &message{boundary: func(n int) string { return "------------" + token(s.Seed+string(rune('a'+n)), 24) }}
	m.add("Message-ID", "<"+s.id("thunderbird")+">")
	m.add("Date", rfc5322(s.date()))
	m.add("MIME-Version", "1.0")
	m.add("User-Agent", "Mozilla Thunderbird")
	m.add("Content-Language", "fr")
	m.add("To", address(s.To))
	m.add("From", address(s.From))
	s.threading(m)
	m.add("Subject", word(s.Subject))
	for _, h := range s.Extra {
		m.add(h[0], h[1])
	}
	body := text(s.Text, "UTF-8", "8bit", "format=flowed")
	if len(s.Files) == 0 {
		m.root = body
		return m.bytes()
	}
	mixed := multipart("mixed", body)
	for _, f := range s.Files {
		mixed.parts = append(mixed.parts, attachment(f, "rfc2231"))
	}
	m.root = mixed
	return m.bytes()
}

// iPhone is Mail on iOS: the attachments inline after the text, then
// "Envoyé de mon iPhone".
func iPhone(s mailSpec) []byte {
	m := &message{boundary: func(n int) string {
		t := strings.ToUpper(token(s.Seed+string(rune('a'+n)), 32))
		return "Apple-Mail-" + t[:8] + "-" + t[8:12] + "-" + t[12:16] + "-" + t[16:20] + "-" + t[20:32]
	}}
	m.add("From", address(s.From))
	m.add("Mime-Version", "1.0 (1.0)")
	m.add("Date", rfc5322(s.date()))
	m.add("Subject", word(s.Subject))
	m.add("Message-Id", "<"+s.id("apple")+">")
	s.threading(m)
	m.add("To", address(s.To))
	m.add("X-Mailer", "iPhone Mail (22B91)")
	mixed := multipart("mixed", text(s.Text, "utf-8", "quoted-printable"))
	for _, f := range s.Files {
		f.Inline = true
		mixed.parts = append(mixed.parts, attachment(f, "rfc2231"))
	}
	mixed.parts = append(mixed.parts, text("\n\nEnvoyé de mon iPhone\n", "utf-8", "quoted-printable"))
	m.root = mixed
	return m.bytes()
}

// android is the Samsung e-mail app: UTF-8 HTML and text, base64 text.
func android(s mailSpec) []byte {
	m := &message{boundary: func(n int) string { return "--_com.samsung.android.email_" + token(s.Seed+string(rune('a'+n)), 16) }}
	m.add("Message-ID", "<"+s.id("")+">")
	m.add("Date", rfc5322(s.date()))
	m.add("Subject", word(s.Subject))
	m.add("From", address(s.From))
	m.add("To", address(s.To))
	s.threading(m)
	m.add("MIME-Version", "1.0")
	txt := s.Text + "\n\n\nEnvoyé depuis mon appareil Galaxy\n"
	alt := multipart("alternative", text(txt, "UTF-8", "base64"), htmlPart(`<html><body><div dir="auto">`+htmlOf(txt)+"</div></body></html>", "UTF-8", "base64"))
	mixed := multipart("mixed", alt)
	for _, f := range s.Files {
		mixed.parts = append(mixed.parts, attachment(f, "rfc2047"))
	}
	m.root = mixed
	return m.bytes()
}

// billing is an invoicing software sending by itself: HTML only, from a
// no-reply address, marked as automatic (Auto-Submitted: auto-generated)
// when auto is set.
func billing(s mailSpec, software string, auto bool) []byte {
	m := &message{boundary: func(n int) string { return "=_mixed_" + token(s.Seed+string(rune('a'+n)), 20) }}
	m.add("Date", rfc5322(s.date()))
	m.add("From", address(s.From))
	m.add("To", address(s.To))
	if s.ReplyTo != "" {
		m.add("Reply-To", address(s.ReplyTo))
	}
	m.add("Subject", word(s.Subject))
	m.add("Message-ID", "<"+s.id("")+">")
	if auto {
		m.add("Auto-Submitted", "auto-generated")
	}
	m.add("X-Mailer", software)
	for _, h := range s.Extra {
		m.add(h[0], h[1])
	}
	m.add("MIME-Version", "1.0")
	mixed := multipart("mixed", htmlPart("<html><body>"+htmlOf(s.Text)+"</body></html>", "utf-8", "quoted-printable"))
	for _, f := range s.Files {
		mixed.parts = append(mixed.parts, attachment(f, "rfc2231"))
	}
	m.root = mixed
	return m.bytes()
}

// The quotes of our reply, as each client writes them under an answer.

// quoteOutlook: "De : … Envoyé : … À : … Objet : …", then the text as it
// was, not marked.
func quoteOutlook(r *Reply) string {
	return "\n________________________________\nDe : " + r.FromName + " <" + r.From + ">\nEnvoyé : " + frLong(r.Date) +
		"\nÀ : " + r.To + "\nObjet : " + r.Subject + "\n\n" + r.Text
}

// quoteGmail: "Le jeu. 3 déc. 2026 à 10:12, X <x> a écrit :" and "> ".
func quoteGmail(r *Reply) string {
	return "\n\nLe " + frShort(r.Date) + ", " + r.FromName + " <" + r.From + "> a écrit :\n\n" + quoted(r.Text)
}

// quoteThunderbird: "Le 03/12/2026 à 10:12, X a écrit :" and "> ".
func quoteThunderbird(r *Reply) string {
	d := r.Date.In(frenchLocation)
	return "\nLe " + d.Format("02/01/2006") + " à " + d.Format("15:04") + ", " + r.FromName + " a écrit :\n" + quoted(r.Text)
}

func quoted(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n"), "\n") {
		if line == "" {
			b.WriteString(">\n")
		} else {
			b.WriteString("> " + line + "\n")
		}
	}
	return b.String()
}

// answer is the subject of an answer: "RE: " or "Re: " and the original.
func answer(prefix string, r *Reply) string { return prefix + r.Subject }
